"""Reading and grading a scanned answer sheet (OMR).

    sheet = read_sheet(image_bgr, spec=load_spec(), questions=20)
    sheet.marked[q - 1]            # the choices read as filled for question q: [], [3], [2, 4]
    grade(sheet, answers=[3, 1, ...]).as_json()

  1. find the sheet in the scan or photo, its four registration marks on it, and warp it
     onto the spec's frame with the light evened out (omr_page.locate_sheet)
  2. for every bubble, the share of dark pixels in a disc inside its outline, "dark" being
     nearer the sheet's own ink than its own paper (`fill_threshold` of the way from ink
     to paper), so pale paper, a grey photo or soft pencil move the line with them; a
     bubble is filled when that share is at least `filled_at_least` (spec "reading")

A sheet that cannot be found raises SheetNotFound (the job fails with the reason).
"""

from dataclasses import dataclass

import cv2
import numpy as np

from apps.support.ai.services.imaging import to_gray
from apps.support.ai.services.omr_layout import SheetSpec
from apps.support.ai.services.omr_page import SheetNotFound, locate_sheet

__all__ = ["Grade", "SheetNotFound", "SheetReading", "grade", "read_sheet"]


@dataclass(frozen=True)
class SheetReading:
    version: int
    marked: list[list[int]]  # per question, the filled choices (1-based)
    fill: list[list[float]]  # per question, every choice's dark share (for review)


@dataclass(frozen=True)
class Grade:
    reading: SheetReading
    answers: list[int]

    def as_json(self) -> dict:
        questions = []
        score = 0
        for number, (marked, correct) in enumerate(zip(self.reading.marked, self.answers), 1):
            state = "none" if not marked else "one" if len(marked) == 1 else "multiple"
            ok = marked == [correct]
            score += ok
            questions.append({"number": number, "marked": marked, "state": state, "correct": correct,
                              "is_correct": ok})
        total = len(self.answers)
        return {"sheet_version": self.reading.version, "score": score, "total": total,
                "percent": round(100 * score / total, 2) if total else 0.0, "questions": questions}


def grade(reading: SheetReading, *, answers: list[int]) -> Grade:
    """A question scores when exactly its correct choice is filled (blank or several: no score)."""
    return Grade(reading=reading, answers=list(answers))


def read_sheet(image: np.ndarray, *, spec: SheetSpec, questions: int) -> SheetReading:
    spec.check_questions(questions)
    sheet = locate_sheet(to_gray(image), spec)
    page = cv2.GaussianBlur(sheet.image, (3, 3), 0)
    scale = float(spec.reading["pixels_per_mm"])
    radius = spec.bubble_radius * float(spec.reading["sample_radius"]) * scale
    threshold = sheet.ink + (sheet.paper - sheet.ink) * float(spec.reading["fill_threshold"])
    size = int(np.ceil(radius))
    ys, xs = np.mgrid[-size:size + 1, -size:size + 1]
    disc = xs ** 2 + ys ** 2 <= radius ** 2
    at_least = float(spec.reading["filled_at_least"])
    marked, fills = [], []
    for question in range(1, questions + 1):
        row_fill = []
        for choice in range(1, spec.choices + 1):
            cx, cy = spec.bubble_center(question, choice)
            x, y = round(cx * scale), round(cy * scale)
            patch = page[y - size:y + size + 1, x - size:x + size + 1]
            row_fill.append(round(float(np.mean(patch[disc] < threshold)), 3))
        fills.append(row_fill)
        marked.append([c for c, share in enumerate(row_fill, 1) if share >= at_least])
    return SheetReading(version=spec.version, marked=marked, fill=fills)
