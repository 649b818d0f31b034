"""Watched time as a set of [start, end) ranges of media seconds.

    merged = merge([[0, 10], [5, 20], [30, 31]])     # [[0, 20], [30, 31]]
    covered(merged)                                  # 21.0

A viewer's covered time is the measure of the union of every range they played, so
watching a part twice counts once, and seeking ahead covers nothing: only ranges the
player reports as played are ever added. Ranges are kept rounded to milliseconds.
"""

from collections.abc import Iterable

Range = list[float]

# Two ranges closer than this join: a player's reports of one continuous play meet within
# a frame or two of each other.
JOIN_GAP_SECONDS = 0.25


def merge(ranges: Iterable[Iterable[float]]) -> list[Range]:
    ordered = sorted((round(float(start), 3), round(float(end), 3)) for start, end in ranges)
    merged: list[Range] = []
    for start, end in ordered:
        if end <= start:
            continue
        if merged and start <= merged[-1][1] + JOIN_GAP_SECONDS:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def covered(ranges: Iterable[Iterable[float]]) -> float:
    """Seconds in the union of `ranges`."""
    return round(sum(end - start for start, end in merge(ranges)), 3)


def length(ranges: Iterable[Iterable[float]]) -> float:
    """Seconds the ranges add up to, overlaps counted as often as they occur."""
    return round(sum(max(0.0, float(end) - float(start)) for start, end in ranges), 3)
