import pytest

from apps.domains.playback import ranges


@pytest.mark.parametrize("given, merged", [
    ([], []),
    ([[0, 10]], [[0.0, 10.0]]),
    ([[5, 20], [0, 10], [30, 31]], [[0.0, 20.0], [30.0, 31.0]]),
    ([[0, 10], [10.1, 12]], [[0.0, 12.0]]),  # a player's adjacent reports join
    ([[0, 10], [11, 12]], [[0.0, 10.0], [11.0, 12.0]]),
    ([[3, 3], [4, 2]], []),  # empty and backwards ranges cover nothing
])
def test_merge(given, merged):
    assert ranges.merge(given) == merged


def test_rewatching_counts_once_and_seeking_covers_nothing():
    watched = [[0, 30], [10, 20], [0, 30]]  # the first half minute, three times
    watched.append([600, 605])  # a seek to 10:00 and five seconds there
    assert ranges.covered(watched) == 35.0
    assert ranges.length(watched) == 75.0
