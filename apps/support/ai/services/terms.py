"""Korean-aware terms of a question for lexical ranking: its content morphemes, by Kiwi
(kiwipiepy, with the model kiwipiepy-model ships; no network).

    question_terms(["함수 f(x)=x²-4x+3의 최솟값을 구하시오."])
    -> [["함수/NNG", "f/SL", "x/SL", "2/SN", "4/SN", "x/SL", "3/SN", "최솟값/NNG", "구하/VV"]]

Korean glues particles and endings to words (최솟값을, 구하시오), so words are a poor unit;
morphemes tagged as nouns, verb and adjective stems, roots, foreign words, numbers and
adverbs carry what a question asks, and particles and endings, which every question
shares, are left out. Stored beside each question's vector; the API ranks with them
(apps/domains/ai/ranking.py) without loading Kiwi.
"""

import threading
from collections.abc import Sequence

CONTENT_TAGS = ("NN", "VV", "VA", "XR", "SL", "SN", "SH", "MM", "MAG")
MAX_TERMS = 512

_kiwi = None
_lock = threading.Lock()


def question_terms(texts: Sequence[str]) -> list[list[str]]:
    kiwi = _analyser()
    with _lock:  # one analyser per process, shared by the worker's job threads
        return [[f"{token.form}/{token.tag}" for token in kiwi.tokenize(text)
                 if token.tag.startswith(CONTENT_TAGS)][:MAX_TERMS] for text in texts]


def _analyser():
    global _kiwi
    with _lock:
        if _kiwi is None:
            from kiwipiepy import Kiwi

            _kiwi = Kiwi()
        return _kiwi
