"""Benchmark: how right the AI worker is on what academies feed it (not how fast).

    tools/bazel run //tools/dev/bench:ai_quality_bench [-- --only omr,ocr,similarity --sheets 10]

  omr         phone-style photos of filled sheets (tools/testing/documents/photos.py) at
              each strength, flat to hard, --sheets per strength (20 to 75 questions, one
              double-marked and one blank question each): questions read right, sheets
              fully right, refused, and sheets scored wrong (the one outcome never allowed);
              then photos with the page pushed half off the frame: those with a corner
              mark cut off must be refused, the others read right
  ocr         the Korean pages of tools/testing/documents/pages_ko.json rendered in four
              fonts (Noto Sans/Serif CJK KR, regular and bold) at 24, 32, 40 and 56 px:
              character error rate without and with spaces, word accuracy (every word) and
              Korean word accuracy (the Hangul words that come back whole), per size
  similarity  tools/testing/documents/questions_ko.json: every question asked against all
              paraphrases and distractors (and every paraphrase against all questions and
              distractors), ranked by the Korean terms alone, the embedding alone, and the
              two combined at each --weights: recall@1 and mean reciprocal rank. --model
              measures another model (a package or a local directory, as AI_EMBED_MODEL)

Every input is generated from fixed seeds, so two runs see the same inputs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[3]

TESTING = _REPO_ROOT / "tools" / "testing" / "documents"
QUESTION_COUNTS = (20, 45, 60, 75)


def bench_omr(sheets: int) -> None:
    from apps.support.ai.services import omr
    from apps.support.ai.services.imaging import decode_image
    from apps.support.ai.services.omr_layout import load_spec
    from tools.testing.documents.photos import STRENGTHS, sheet_photo
    from tools.testing.documents.sheets import random_marks

    spec = load_spec()
    print(f"omr: {sheets} photos per strength, 1500x2000 JPEG; read = questions read right")
    print(f"  {'strength':<8} {'questions read':>16} {'sheets right':>13} {'refused':>8} {'scored wrong':>13} "
          f"{'s/sheet':>8}")

    def cases(seed_base: int, **photo):
        for i in range(sheets):
            questions = QUESTION_COUNTS[i % len(QUESTION_COUNTS)]
            marks = random_marks(questions, spec.choices, seed=seed_base + i)
            marks[2], marks[5] = [1, 4], []
            yield questions, marks, sheet_photo(spec, questions=questions, marks=marks, seed=seed_base + i, **photo)

    for name, strength in STRENGTHS.items():
        read = total = right = refused = wrong = 0
        seconds = 0.0
        for questions, marks, photo in cases(1000, strength=strength):
            expected = [sorted(marks[q]) for q in range(1, questions + 1)]
            total += questions
            start = time.perf_counter()
            try:
                reading = omr.read_sheet(decode_image(photo.data), spec=spec, questions=questions)
            except omr.SheetNotFound:
                refused += 1
                continue
            finally:
                seconds += time.perf_counter() - start
            good = sum(a == b for a, b in zip(reading.marked, expected))
            read += good
            right += good == questions
            wrong += good != questions
        print(f"  {name:<8} {read:>6}/{total:<5} {100 * read / total:5.1f}% {right:>6}/{sheets:<6} {refused:>8} "
              f"{wrong:>13} {seconds / sheets:8.3f}")
    outcomes = {"refused": 0, "read right": 0, "scored wrong": 0}
    cut = 0
    for questions, marks, photo in cases(2000, strength="phone", shift=(0.13, 0.1)):
        cut += not photo.marks_in_frame
        try:
            reading = omr.read_sheet(decode_image(photo.data), spec=spec, questions=questions)
        except omr.SheetNotFound:
            outcomes["refused"] += 1
            continue
        right = reading.marked == [sorted(marks[q]) for q in range(1, questions + 1)]
        outcomes["read right" if right else "scored wrong"] += 1
    print(f"  page pushed off the frame ({cut} of {sheets} with a corner mark cut off): "
          + ", ".join(f"{n} {name}" for name, n in outcomes.items()))


def bench_ocr() -> None:
    from apps.support.ai.services import ocr
    from tools.testing.documents import text_images as ti

    pages = json.loads((TESTING / "pages_ko.json").read_text(encoding="utf-8"))["pages"]
    print(f"ocr: {len(pages)} Korean pages x {len(ti.KOREAN_FONTS)} fonts per size, languages kor+eng")
    print(f"  {'size':>5} {'CER':>7} {'CER+spaces':>11} {'words':>7} {'Korean words':>13} {'confidence':>11} "
          f"{'s/page':>7}")
    totals = {"cer": [], "spaces": [], "words": [], "korean": []}
    for size in (24, 32, 40, 56):
        cer, spaced, words, korean, confidence, seconds = [], [], [], [], [], 0.0
        for font in ti.KOREAN_FONTS:
            for page in pages:
                image = ti.render_lines(page["lines"], korean=True, size=size, font=font)
                start = time.perf_counter()
                result = ocr.recognise(image, languages="kor+eng")
                seconds += time.perf_counter() - start
                expected = "\n".join(page["lines"])
                cer.append(ti.character_error_rate(expected, result.text))
                spaced.append(ti.character_error_rate(expected, result.text, spaces=True))
                words.append(ti.word_accuracy(expected, result.text))
                korean.append(ti.korean_word_accuracy(expected, result.text))
                confidence.append(result.confidence)
        n = len(cer)
        totals["cer"] += cer
        totals["spaces"] += spaced
        totals["words"] += words
        totals["korean"] += korean
        print(f"  {size:>3}px {_mean(cer):7.3f} {_mean(spaced):11.3f} {100 * _mean(words):6.1f}% "
              f"{100 * _mean(korean):12.1f}% {_mean(confidence):11.1f} {seconds / n:7.2f}")
    print(f"  {'all':>5} {_mean(totals['cer']):7.3f} {_mean(totals['spaces']):11.3f} "
          f"{100 * _mean(totals['words']):6.1f}% {100 * _mean(totals['korean']):12.1f}%")


def bench_similarity(model: str | None, weights: list[float]) -> None:
    import numpy as np

    from apps.domains.ai import ranking
    from apps.support.ai.services.embed import Embedder
    from apps.support.ai.services.terms import question_terms

    data = json.loads((TESTING / "questions_ko.json").read_text(encoding="utf-8"))
    questions = [p["question"] for p in data["pairs"]]
    paraphrases = [p["paraphrase"] for p in data["pairs"]]
    distractors = [d["question"] for d in data["distractors"]]
    start = time.perf_counter()
    embedder = Embedder.load(device="cpu", model=model)
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    vectors = {id(texts): embedder.embed(texts) for texts in (questions, paraphrases, distractors)}
    embedded = time.perf_counter() - start
    terms = {id(texts): question_terms(texts) for texts in (questions, paraphrases, distractors)}
    count = len(questions) + len(paraphrases) + len(distractors)
    print(f"similarity: {len(questions)} pairs, {len(distractors)} distractors; model {embedder.name} "
          f"({embedder.dimensions} dimensions, loaded in {loaded:.1f} s, {count / embedded:.1f} texts/s)")
    print(f"  {'ranking':<22} {'recall@1 q->p':>14} {'MRR q->p':>9} {'recall@1 p->q':>14} {'MRR p->q':>9}")
    methods = [("terms alone", None)] + [(f"embedding + {w:g} x terms" if w else "embedding alone", w)
                                          for w in weights]
    for label, weight in methods:
        figures = []
        for asked, answers in ((questions, paraphrases), (paraphrases, questions)):
            corpus_vectors = np.vstack([vectors[id(answers)], vectors[id(distractors)]])
            corpus_terms = terms[id(answers)] + terms[id(distractors)]
            ranks = []
            for i in range(len(asked)):
                if weight is None:
                    scores = ranking.lexical_scores(terms[id(asked)][i], corpus_terms)
                    order = [int(j) for j in np.argsort(-scores, kind="stable")]
                else:
                    order = ranking.rank(query_vector=vectors[id(asked)][i], query_terms=terms[id(asked)][i],
                                         vectors=corpus_vectors, terms=corpus_terms, lexical_weight=weight).order
                ranks.append(order.index(i) + 1)
            figures += [sum(r == 1 for r in ranks) / len(ranks), _mean([1 / r for r in ranks])]
        print(f"  {label:<22} {figures[0]:14.3f} {figures[1]:9.3f} {figures[2]:14.3f} {figures[3]:9.3f}")
    for pair, unrelated in zip(data.get("translations", []), data.get("unrelated", [])):
        korean, english, other = embedder.embed([pair["korean"], pair["english"], unrelated])
        print(f"  cosine({pair['korean']!r}, its English) {float(korean @ english):.3f}; "
              f"with {unrelated!r} {float(korean @ other):.3f}")


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="omr,ocr,similarity", help="a comma-separated subset")
    parser.add_argument("--sheets", type=int, default=10, help="photos per OMR strength (default 10)")
    parser.add_argument("--model", help="the embedding model, as AI_EMBED_MODEL takes it (default: its value, or "
                                        "the packaged all-MiniLM-L6-v2)")
    parser.add_argument("--weights", default="0,0.5,1,2",
                        help="lexical weights to rank with beside the embedding (AI_SIMILAR_LEXICAL_WEIGHT)")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    only = set(args.only.split(","))
    unknown = only - {"omr", "ocr", "similarity"}
    if unknown:
        parser.error(f"unknown --only {', '.join(sorted(unknown))}: choose from omr, ocr, similarity")
    print(f"host: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    if "omr" in only:
        bench_omr(args.sheets)
    if "ocr" in only:
        bench_ocr()
    if "similarity" in only:
        bench_similarity(args.model, [float(w) for w in args.weights.split(",")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
