"""Drawing an answer sheet from its spec with Pillow: blank for printing, or filled in (tests
and the benchmark render filled sheets with known answers)."""

import random
from collections.abc import Mapping, Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from apps.support.ai.services.omr_layout import SheetSpec

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _font(size_px: int):
    try:
        return ImageFont.truetype(str(FONT), size_px)
    except OSError:
        return ImageFont.load_default(size=size_px)


def render_sheet(spec: SheetSpec, *, questions: int, dpi: int = 150, title: str = "",
                 marks: Mapping[int, Sequence[int]] | None = None, seed: int = 0) -> Image.Image:
    """The page as a grayscale image. marks: question -> the choices filled in with pencil-like
    strokes (uneven grey ellipses, a little off centre)."""
    spec.check_questions(questions)
    px = dpi / 25.4

    def p(mm: float) -> float:
        return mm * px

    width, height = spec.page_size
    page = Image.new("L", (round(p(width)), round(p(height))), 255)
    draw = ImageDraw.Draw(page)
    half = spec.mark_size / 2
    for x, y in spec.mark_centers():
        draw.rectangle([p(x - half), p(y - half), p(x + half), p(y + half)], fill=0)
    layout = spec.raw["questions"]
    heading = spec.raw["title"]
    draw.text((p(heading["x"]), p(heading["y"])), title or f"Answer sheet (v{spec.version}, {questions} questions)",
              fill=0, font=_font(round(p(heading["size"]))))
    font = _font(round(p(layout["font_size"])))
    r = spec.bubble_radius
    outline = max(1, round(p(layout["bubble_outline"])))
    for question in range(1, questions + 1):
        x0, y0 = spec.row_origin(question)
        draw.text((p(x0 + layout["label_offset"]), p(y0)), f"{question:>2}", fill=0, font=font, anchor="lm")
        if (question - 1) % layout["rows_per_column"] == 0:
            for choice in range(1, spec.choices + 1):
                cx, _ = spec.bubble_center(question, choice)
                draw.text((p(cx), p(y0 + layout["header_offset"])), str(choice), fill=0, font=font, anchor="mm")
        for choice in range(1, spec.choices + 1):
            cx, cy = spec.bubble_center(question, choice)
            draw.ellipse([p(cx - r), p(cy - r), p(cx + r), p(cy + r)], outline=0, width=outline)
    rng = random.Random(seed)
    for question, choices in (marks or {}).items():
        for choice in choices:
            cx, cy = spec.bubble_center(question, choice)
            cx += rng.uniform(-0.4, 0.4)
            cy += rng.uniform(-0.4, 0.4)
            rx, ry = r * rng.uniform(0.8, 0.98), r * rng.uniform(0.75, 0.95)
            shade = rng.randint(40, 110)
            draw.ellipse([p(cx - rx), p(cy - ry), p(cx + rx), p(cy + ry)], fill=shade)
            for _ in range(6):  # a few lighter strokes, as a pencil leaves
                sx, sy = cx + rng.uniform(-rx, rx) * 0.6, cy + rng.uniform(-ry, ry) * 0.6
                draw.line([p(sx - rx * 0.5), p(sy), p(sx + rx * 0.5), p(sy + rng.uniform(-0.3, 0.3))],
                          fill=min(255, shade + 60), width=1)
    return page


def write_pdf(image: Image.Image, path: Path, *, dpi: int) -> Path:
    image.convert("RGB").save(path, "PDF", resolution=float(dpi))
    return path
