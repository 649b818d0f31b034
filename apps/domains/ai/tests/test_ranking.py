"""Ranking similar questions: the embedding's cosine combined with the match of Korean terms."""

import numpy as np

from apps.domains.ai import ranking


def test_weight_zero_ranks_by_the_cosine_alone():
    vectors = np.array([[0.0, 1.0], [0.8, 0.6], [1.0, 0.0]])
    ranked = ranking.rank(query_vector=[1.0, 0.0], query_terms=["함수/NNG"], vectors=vectors,
                          terms=[["함수/NNG"], [], []], lexical_weight=0.0)
    assert ranked.order == [2, 1, 0]
    np.testing.assert_allclose(ranked.cosine, [0.0, 0.8, 1.0], atol=1e-6)


def test_shared_terms_lift_a_paraphrase_the_embedding_misses():
    """The English model puts an unrelated Korean sentence nearest; the terms put the
    question that asks the same thing first."""
    query_terms = ["함수/NNG", "f/SL", "x/SL", "최솟값/NNG", "구하/VV"]
    terms = [
        ["오늘/NNG", "날씨/NNG", "맑/VA"],  # the weather
        ["f/SL", "x/SL", "함수/NNG", "작/VA", "값/NNG"],  # the paraphrase
        ["삼각형/NNG", "넓이/NNG", "구하/VV"],
    ]
    vectors = np.array([[0.9, 0.1], [0.7, 0.3], [0.6, 0.4]])
    by_cosine = ranking.rank(query_vector=[1.0, 0.0], query_terms=query_terms, vectors=vectors, terms=terms,
                             lexical_weight=0.0)
    combined = ranking.rank(query_vector=[1.0, 0.0], query_terms=query_terms, vectors=vectors, terms=terms,
                            lexical_weight=1.0)
    assert by_cosine.order[0] == 0 and combined.order[0] == 1


def test_questions_without_terms_fall_back_to_the_cosine():
    vectors = np.array([[0.0, 1.0], [1.0, 0.0]])
    ranked = ranking.rank(query_vector=[1.0, 0.0], query_terms=None, vectors=vectors, terms=[None, None],
                          lexical_weight=1.0)
    assert ranked.order == [1, 0]


def test_lexical_scores_weigh_rare_terms_more():
    scores = ranking.lexical_scores(["극한/NNG", "구하/VV"], [["구하/VV"], ["극한/NNG"], ["구하/VV"]])
    assert scores[1] > scores[0] == scores[2] > 0
