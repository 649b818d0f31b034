"""Reading and grading a scanned answer sheet (OMR).

    sheet = read_sheet(image_bgr, spec=load_spec(), questions=20)
    sheet.marked[q - 1]            # the choices read as filled for question q: [], [3], [2, 4]
    grade(sheet, answers=[3, 1, ...]).as_json()

  1. find the four registration marks: solid squares near the page's corners, picked out
     of the Otsu-binarised scan by shape (square, solid) and size (relative to the page)
  2. warp the page onto the spec's frame (a perspective transform from the marks' centres),
     which undoes rotation, scale and a little perspective at once
  3. for every bubble, the share of dark pixels in a disc inside its outline; a bubble is
     filled when that share is at least `filled_at_least` (spec "reading")

A sheet whose marks cannot be found raises SheetNotFound (the job fails with the reason).
"""

from dataclasses import dataclass

import cv2
import numpy as np

from apps.support.ai.services.imaging import to_gray
from apps.support.ai.services.omr_layout import SheetSpec


class SheetNotFound(Exception):
    pass


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


def find_marks(gray: np.ndarray, spec: SheetSpec) -> np.ndarray:
    """The registration marks' centres in the scan, as a 4x2 array TL, TR, BL, BR."""
    h, w = gray.shape
    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    _, ink = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    ink = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    page_w, _ = spec.page_size
    # The page may fill anything from half to all of the scan's width.
    expected = (spec.mark_size / page_w * w) ** 2
    candidates = []
    for contour in contours:
        area = cv2.contourArea(contour)
        if not 0.2 * expected <= area <= 2.5 * expected:
            continue
        (cx, cy), (rw, rh), _ = cv2.minAreaRect(contour)
        if min(rw, rh) == 0 or max(rw, rh) / min(rw, rh) > 1.3:
            continue
        if area / (rw * rh) < 0.85:  # a filled bubble (a disc) fills ~0.79 of its box
            continue
        candidates.append((cx, cy, area))
    if len(candidates) < 4:
        raise SheetNotFound(f"found {len(candidates)} of the 4 registration marks: is this an answer sheet "
                            f"(v{spec.version}), scanned whole and upright?")
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], dtype=np.float64)
    points = np.array([(cx, cy) for cx, cy, _ in candidates])
    chosen = []
    for corner in corners:
        distance = np.linalg.norm(points - corner, axis=1)
        chosen.append(int(np.argmin(distance)))
    if len(set(chosen)) < 4:
        raise SheetNotFound("the registration marks do not form a page: is the scan upright and whole?")
    marks = points[chosen]
    tl, tr, bl, br = marks
    if not (tl[0] < tr[0] and bl[0] < br[0] and tl[1] < bl[1] and tr[1] < br[1]):
        raise SheetNotFound("the registration marks are not in page order: is the scan upright?")
    return marks.astype(np.float32)


def warp(gray: np.ndarray, spec: SheetSpec) -> np.ndarray:
    """The page in the spec's frame at reading.pixels_per_mm."""
    scale = float(spec.reading["pixels_per_mm"])
    source = find_marks(gray, spec)
    target = np.array(spec.mark_centers(), dtype=np.float32) * scale
    matrix = cv2.getPerspectiveTransform(source, target)
    width, height = spec.page_size
    return cv2.warpPerspective(gray, matrix, (round(width * scale), round(height * scale)),
                               flags=cv2.INTER_LINEAR, borderValue=255)


def read_sheet(image: np.ndarray, *, spec: SheetSpec, questions: int) -> SheetReading:
    spec.check_questions(questions)
    page = warp(to_gray(image), spec)
    page = cv2.GaussianBlur(page, (3, 3), 0)
    scale = float(spec.reading["pixels_per_mm"])
    radius = spec.bubble_radius * float(spec.reading["sample_radius"]) * scale
    # Dark means darker than the midpoint between paper and the darkest ink on the page.
    paper = float(np.percentile(page, 90))
    threshold = paper * float(spec.reading["fill_threshold"])
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
