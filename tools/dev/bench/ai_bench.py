"""Benchmark: the AI worker's three kinds of work, in process, on generated inputs.

    tools/bazel run //tools/dev/bench:ai_bench -- [--device cpu|cuda] [--seconds 5] [--only ocr,omr,embed]

  ocr     pages/s: a page of 8 Korean and English lines, turned 2 degrees with noise, through
          ocr.recognise() (preprocessing + tesseract, languages kor+eng)
  omr     sheets/s: a 75-question answer sheet at 150 dpi, turned 2 degrees, scaled 0.95,
          noisy, through omr.read_sheet() + grade()
  embed   embeddings/s for batch sizes 1, 16 and 64 on --device (sentence-length question
          texts), model already loaded; a warm-up batch first

Each figure is the rate over as many repetitions as fit in --seconds (at least 3). OCR and
OMR are single-threaded per job (a worker runs WORKER_CONCURRENCY jobs at once).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time


def rate(work, *, seconds: float, items: int = 1) -> tuple[float, int]:
    """Items per second over repetitions of work() filling `seconds` (min 3)."""
    work()  # warm-up
    count, start = 0, time.perf_counter()
    while count < 3 or time.perf_counter() - start < seconds:
        work()
        count += 1
    return count * items / (time.perf_counter() - start), count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--only", default="ocr,omr,embed")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    only = set(args.only.split(","))
    import torch

    print(f"host: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
          f"torch threads {torch.get_num_threads()}, device {args.device}"
          + (f" ({torch.cuda.get_device_name(0)})" if args.device == "cuda" else ""))

    if "ocr" in only:
        from apps.support.ai.services import ocr
        from tools.testing.documents import text_images as ti

        lines = ti.ENGLISH_LINES + ti.KOREAN_LINES
        english = ti.render_lines(ti.ENGLISH_LINES, korean=False)
        korean = ti.render_lines(ti.KOREAN_LINES, korean=True)
        import numpy as np

        page = np.vstack([english, korean])
        scan = ti.scanned(page, degrees=2, noise=20, seed=1)
        result = ocr.recognise(scan)
        cer = ti.character_error_rate("\n".join(lines), result.text)
        per_s, n = rate(lambda: ocr.recognise(scan), seconds=args.seconds)
        print(f"ocr    {per_s:8.2f} pages/s   ({n} pages {scan.shape[1]}x{scan.shape[0]}, 8 lines, CER {cer:.3f})")

    if "omr" in only:
        from apps.support.ai.services import omr
        from apps.support.ai.services.omr_layout import load_spec
        from tools.testing.documents.sheets import random_marks, scanned_sheet

        spec = load_spec()
        marks = random_marks(75, spec.choices, seed=7)
        sheet = scanned_sheet(spec, questions=75, marks=marks, degrees=2, scale=0.95, noise=20, seed=7)
        answers = [m[0] for _, m in sorted(marks.items())]

        def grade_one():
            return omr.grade(omr.read_sheet(sheet, spec=spec, questions=75), answers=answers).as_json()

        assert grade_one()["score"] == 75
        per_s, n = rate(grade_one, seconds=args.seconds)
        print(f"omr    {per_s:8.2f} sheets/s  ({n} sheets {sheet.shape[1]}x{sheet.shape[0]}, 75 questions)")

    if "embed" in only:
        from apps.support.ai.services.embed import Embedder

        start = time.perf_counter()
        embedder = Embedder.load(device=args.device)
        print(f"embed  model load {time.perf_counter() - start:.2f} s")
        texts = [f"Question {i}: explain why the limit of (x^2 - 1)/(x - 1) as x approaches 1 is 2, "
                 f"and give one more example of topic {i % 13}." for i in range(64)]
        for batch in (1, 16, 64):
            chunk = texts[:batch]

            def run():
                embedder.embed(chunk, batch_size=batch)
                if args.device == "cuda":
                    torch.cuda.synchronize()

            per_s, n = rate(run, seconds=args.seconds, items=batch)
            print(f"embed  {per_s:8.1f} embeddings/s  batch {batch:>2} ({n} batches)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
