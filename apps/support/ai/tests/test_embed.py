"""Embeddings with the packaged MiniLM model on CPU: paraphrases rank first, and a batch of
64 equals 64 single passes."""

import numpy as np
import pytest

from apps.support.ai.services.embed import Embedder

PAIRS = [
    ("What is the derivative of x squared?", "Differentiate x^2 with respect to x."),
    ("When did World War II end?", "In which year was the Second World War over?"),
    ("How do plants make food from sunlight?", "Explain photosynthesis in plants."),
    ("What is the capital city of France?", "Which city is France's capital?"),
    ("How many sides does a hexagon have?", "What is the number of edges of a hexagon?"),
]


@pytest.fixture(scope="module")
def embedder():
    return Embedder.load(device="cpu")


def test_paraphrases_rank_above_unrelated_questions(embedder):
    queries = embedder.embed([a for a, _ in PAIRS])
    candidates = embedder.embed([b for _, b in PAIRS])
    scores = queries @ candidates.T
    assert list(scores.argmax(axis=1)) == list(range(len(PAIRS)))
    for i in range(len(PAIRS)):
        assert scores[i, i] > max(np.delete(scores[i], i)) + 0.2


def test_a_batch_equals_single_passes(embedder):
    texts = [f"Question {i}: " + "how does the topic relate to limits and continuity? " * (1 + i % 6)
             for i in range(64)]
    batched = embedder.embed(texts, batch_size=64)
    singles = np.stack([embedder.embed([t])[0] for t in texts])
    assert batched.shape == (64, 384)
    np.testing.assert_allclose(batched, singles, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)


def test_devices_are_checked():
    with pytest.raises(ValueError, match="device must be one of"):
        Embedder.load(device="tpu")
