"""Benchmark: how right the AI worker is on what academies feed it (not how fast).

    tools/bazel run //tools/bench:ai_quality_bench [-- --only omr,ocr,similarity --sheets 10]

  omr         phone-style photos of filled sheets (apps/support/ai/testing/photos.py) at
              each strength, flat to hard, --sheets per strength (20 to 75 questions, one
              double-marked and one blank question each): questions read right, sheets
              fully right, refused, and sheets scored wrong (the one outcome never allowed);
              then photos with the page pushed half off the frame: those with a corner
              mark cut off must be refused, the others read right
  ocr         the Korean pages of apps/support/ai/testing/pages_ko.json rendered in four
              fonts (Noto Sans/Serif CJK KR, regular and bold) at 24, 32, 40 and 56 px:
              character error rate without and with spaces, and word accuracy, per size
  similarity  apps/support/ai/testing/questions_ko.json: every question asked against all
              paraphrases and distractors (and every paraphrase against all questions and
              distractors), ranked by each method: recall@1 and mean reciprocal rank

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

_REPO_ROOT = Path(__file__).resolve().parents[2]
if str(_REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(_REPO_ROOT))

TESTING = _REPO_ROOT / "apps" / "support" / "ai" / "testing"
QUESTION_COUNTS = (20, 45, 60, 75)


def bench_omr(sheets: int) -> None:
    from apps.support.ai.services import omr
    from apps.support.ai.services.imaging import decode_image
    from apps.support.ai.services.omr_layout import load_spec
    from apps.support.ai.testing.photos import STRENGTHS, sheet_photo
    from apps.support.ai.testing.sheets import random_marks

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
    from apps.support.ai.testing import text_images as ti

    pages = json.loads((TESTING / "pages_ko.json").read_text(encoding="utf-8"))["pages"]
    print(f"ocr: {len(pages)} Korean pages x {len(ti.KOREAN_FONTS)} fonts per size, languages kor+eng")
    print(f"  {'size':>5} {'CER':>7} {'CER+spaces':>11} {'words':>7} {'confidence':>11} {'s/page':>7}")
    totals = {"cer": [], "spaces": [], "words": []}
    for size in (24, 32, 40, 56):
        cer, spaced, words, confidence, seconds = [], [], [], [], 0.0
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
                confidence.append(result.confidence)
        n = len(cer)
        totals["cer"] += cer
        totals["spaces"] += spaced
        totals["words"] += words
        print(f"  {size:>3}px {_mean(cer):7.3f} {_mean(spaced):11.3f} {100 * _mean(words):6.1f}% "
              f"{_mean(confidence):11.1f} {seconds / n:7.2f}")
    print(f"  {'all':>5} {_mean(totals['cer']):7.3f} {_mean(totals['spaces']):11.3f} "
          f"{100 * _mean(totals['words']):6.1f}%")


def bench_similarity() -> None:
    from apps.support.ai.services import ranking
    from apps.support.ai.services.embed import Embedder

    data = json.loads((TESTING / "questions_ko.json").read_text(encoding="utf-8"))
    questions = [p["question"] for p in data["pairs"]]
    paraphrases = [p["paraphrase"] for p in data["pairs"]]
    distractors = [d["question"] for d in data["distractors"]]
    start = time.perf_counter()
    embedder = Embedder.load(device="cpu")
    loaded = time.perf_counter() - start
    print(f"similarity: {len(questions)} pairs, {len(distractors)} distractors; model {embedder.name} "
          f"({embedder.dimensions} dimensions, loaded in {loaded:.1f} s)")
    print(f"  {'method':<10} {'recall@1 q->p':>14} {'MRR q->p':>9} {'recall@1 p->q':>14} {'MRR p->q':>9}")
    directions = [(questions, paraphrases), (paraphrases, questions)]
    vectors = {id(texts): embedder.embed(texts) for texts in (questions, paraphrases)}
    distractor_vectors = embedder.embed(distractors)
    for method in ranking.METHODS:
        figures = []
        for asked, answers in directions:
            corpus = answers + distractors
            corpus_vectors = _stack(vectors[id(answers)], distractor_vectors)
            ranks = []
            for i, text in enumerate(asked):
                scores = ranking.score(method, query=text, query_vector=vectors[id(asked)][i], texts=corpus,
                                       vectors=corpus_vectors)
                order = sorted(range(len(corpus)), key=lambda j: -scores[j])
                ranks.append(order.index(i) + 1)
            figures += [sum(r == 1 for r in ranks) / len(ranks), _mean([1 / r for r in ranks])]
        print(f"  {method:<10} {figures[0]:14.3f} {figures[1]:9.3f} {figures[2]:14.3f} {figures[3]:9.3f}")
    for pair in data.get("translations", [])[:1]:
        korean, english = embedder.embed([pair["korean"]]), embedder.embed([pair["english"]])
        unrelated = embedder.embed(data["unrelated"][:1])
        print(f"  cosine({pair['korean']!r}, its English) {float(korean[0] @ english[0]):.3f}; "
              f"with {data['unrelated'][0]!r} {float(korean[0] @ unrelated[0]):.3f}")


def _stack(a, b):
    import numpy as np

    return np.vstack([a, b])


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="omr,ocr,similarity", help="a comma-separated subset")
    parser.add_argument("--sheets", type=int, default=10, help="photos per OMR strength (default 10)")
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
        bench_similarity()
    return 0


if __name__ == "__main__":
    sys.exit(main())
