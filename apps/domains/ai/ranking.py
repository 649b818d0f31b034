"""Ranking a tenant's questions against one: the embedding's cosine similarity, combined with
a lexical match on the questions' Korean terms (TF-IDF over content morphemes).

    ranked = rank(query_vector=v, query_terms=t, vectors=m, terms=ts, lexical_weight=1.0)
    ranked.order, ranked.cosine[i], ranked.relevance[i]

The packaged embedding model was trained on English and tells Korean paraphrases apart
poorly; the terms find questions that share what they ask about. Each score is turned into
a z-score over the candidates (the two have different scales), and relevance is
z(cosine) + lexical_weight * z(lexical). Weight 0 ranks by the cosine alone, as a strong
multilingual model wants (docs/benchmarks.md has the figures for both).
"""

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Ranked:
    order: list[int]  # candidate indexes, most relevant first
    cosine: np.ndarray
    relevance: np.ndarray


def rank(*, query_vector: Sequence[float], query_terms: Sequence[str] | None, vectors: np.ndarray,
         terms: Sequence[Sequence[str] | None], lexical_weight: float) -> Ranked:
    matrix = np.asarray(vectors, dtype=np.float32)
    query = np.asarray(query_vector, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(query) or 1.0)
    cosine = matrix @ query / np.where(norms == 0, 1.0, norms)
    relevance = cosine.astype(np.float64)
    if lexical_weight and query_terms and len(cosine) > 1:
        relevance = _z(relevance) + lexical_weight * _z(lexical_scores(query_terms, terms))
    order = [int(i) for i in np.argsort(-relevance, kind="stable")]
    return Ranked(order=order, cosine=cosine, relevance=relevance)


def lexical_scores(query_terms: Sequence[str], terms: Sequence[Sequence[str] | None]) -> np.ndarray:
    """TF-IDF cosine of the query's terms with each candidate's, the IDF taken over the
    candidates and the query (smoothed as scikit-learn's TfidfVectorizer smooths it)."""
    documents = [Counter(t or ()) for t in terms]
    query = Counter(query_terms)
    df = Counter()
    for counts in [*documents, query]:
        df.update(counts.keys())
    n = len(documents) + 1
    idf = {term: math.log((1 + n) / (1 + count)) + 1 for term, count in df.items()}

    def weights(counts: Counter) -> dict[str, float]:
        w = {term: tf * idf[term] for term, tf in counts.items()}
        norm = math.sqrt(sum(v * v for v in w.values())) or 1.0
        return {term: v / norm for term, v in w.items()}

    q = weights(query)
    return np.array([sum(q.get(term, 0.0) * v for term, v in weights(d).items()) for d in documents])


def _z(scores: np.ndarray) -> np.ndarray:
    spread = float(scores.std())
    return (scores - scores.mean()) / spread if spread > 1e-9 else np.zeros_like(scores)
