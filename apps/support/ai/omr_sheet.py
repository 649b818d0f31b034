"""Renders a blank, printable answer sheet from the layout spec as a PDF (or PNG).

    tools/bazel run //apps/support/ai:omr_sheet -- --questions 20 --out sheet.pdf
        [--version 1] [--dpi 200] [--title "Midterm, Math 1"]

Print it at 100% (no "fit to page"): the reader finds the four corner marks, so a little
scaling or rotation is fine, but the marks must be on the page.
"""

import argparse
import os
import sys
from pathlib import Path

from apps.support.ai.services.omr_layout import CURRENT_VERSION, load_spec
from apps.support.ai.services.omr_render import render_sheet, write_pdf


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="a .pdf or .png path")
    parser.add_argument("--version", type=int, default=CURRENT_VERSION, help="the layout spec's version")
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--title", default="")
    args = parser.parse_args(argv)
    spec = load_spec(args.version)
    try:
        spec.check_questions(args.questions)
    except ValueError as exc:
        parser.error(str(exc))
    out = args.out
    if not out.is_absolute() and "BUILD_WORKING_DIRECTORY" in os.environ:
        out = Path(os.environ["BUILD_WORKING_DIRECTORY"]) / out
    image = render_sheet(spec, questions=args.questions, dpi=args.dpi, title=args.title)
    if out.suffix.lower() == ".pdf":
        write_pdf(image, out, dpi=args.dpi)
    else:
        image.save(out)
    print(f"wrote {out} (sheet v{spec.version}, {args.questions} questions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
