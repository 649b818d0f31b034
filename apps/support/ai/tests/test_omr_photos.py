"""Answer sheets photographed as teachers photograph them: on desks of every shade, in
perspective, under uneven light and a shadow, blurred, JPEG-compressed; as HEIC from an
iPhone; turned by EXIF, sideways or upside down. Every question is read right, and what
is not a whole sheet is refused with a reason, never scored."""

import cv2
import numpy as np
import pytest

from apps.support.ai.services import omr
from apps.support.ai.services.imaging import decode_image
from apps.support.ai.services.omr_layout import load_spec
from tools.testing.documents import photos
from tools.testing.documents import text_images as ti
from tools.testing.documents.sheets import random_marks

SPEC = load_spec()


def _expected(marks: dict[int, list[int]], questions: int) -> list[list[int]]:
    return [sorted(marks[q]) for q in range(1, questions + 1)]


def _marks(questions: int, seed: int) -> dict[int, list[int]]:
    marks = random_marks(questions, SPEC.choices, seed=seed)
    marks[2] = [2, 5]  # double-marked
    marks[4] = []  # blank
    return marks


@pytest.mark.parametrize("strength", ["flat", "mild", "phone", "hard"])
@pytest.mark.parametrize("seed", range(3))
def test_a_photo_is_read_right(strength, seed):
    questions = (20, 45, 75)[seed]
    marks = _marks(questions, seed)
    photo = photos.sheet_photo(SPEC, questions=questions, marks=marks, strength=strength, seed=100 + seed)
    reading = omr.read_sheet(decode_image(photo.data), spec=SPEC, questions=questions)
    assert reading.marked == _expected(marks, questions)


@pytest.mark.parametrize("desk", photos.DESKS)
def test_the_sheet_is_found_on_any_desk(desk):
    marks = _marks(30, 7)
    photo = photos.sheet_photo(SPEC, questions=30, marks=marks, desk=desk, seed=7)
    assert omr.read_sheet(decode_image(photo.data), spec=SPEC, questions=30).marked == _expected(marks, 30)


def test_a_grey_desk_darker_than_the_old_limit():
    """A mid-grey table (the reader once found no marks on anything darker than ~200)."""
    marks = _marks(20, 8)
    photo = photos.sheet_photo(SPEC, questions=20, marks=marks, strength="flat", desk=(150, 150, 150), seed=8)
    assert omr.read_sheet(decode_image(photo.data), spec=SPEC, questions=20).marked == _expected(marks, 20)


@pytest.mark.parametrize("orientation", [3, 6, 8])
@pytest.mark.parametrize("fmt", ["jpeg", "heic"])
def test_exif_orientation_is_honoured(orientation, fmt):
    marks = _marks(25, orientation)
    photo = photos.sheet_photo(SPEC, questions=25, marks=marks, seed=orientation, fmt="png")
    image = decode_image(photo.data)
    stored = photos.encode(image, fmt=fmt, quality=85, exif_orientation=orientation)
    decoded = decode_image(stored)
    assert decoded.shape == image.shape
    assert omr.read_sheet(decoded, spec=SPEC, questions=25).marked == _expected(marks, 25)


@pytest.mark.parametrize("turn", [cv2.ROTATE_180, cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE])
def test_a_sheet_photographed_sideways_or_upside_down_without_exif(turn):
    marks = _marks(40, 9)
    photo = photos.sheet_photo(SPEC, questions=40, marks=marks, seed=9, fmt="png")
    turned = cv2.rotate(decode_image(photo.data), turn)
    assert omr.read_sheet(turned, spec=SPEC, questions=40).marked == _expected(marks, 40)


def test_a_heic_photo_is_graded():
    marks = _marks(20, 10)
    photo = photos.sheet_photo(SPEC, questions=20, marks=marks, seed=10, fmt="heic")
    assert photo.data[4:12] == b"ftypheic"
    reading = omr.read_sheet(decode_image(photo.data), spec=SPEC, questions=20)
    assert reading.marked == _expected(marks, 20)


def test_a_sheet_with_a_corner_out_of_the_photo_is_refused():
    marks = _marks(20, 11)
    photo = photos.sheet_photo(SPEC, questions=20, marks=marks, seed=11, shift=(0.13, 0.1))
    assert not photo.marks_in_frame
    with pytest.raises(omr.SheetNotFound, match="corner marks are not all visible: photograph the whole"):
        omr.read_sheet(decode_image(photo.data), spec=SPEC, questions=20)


@pytest.mark.parametrize("name", ["desk", "blank paper", "a page of text"])
def test_what_is_not_a_sheet_is_refused(name):
    rng = np.random.default_rng(0)
    image = {
        "desk": lambda: np.clip(photos._desk(rng, 1500, 2000, photos.DESKS[0]), 0, 255).astype(np.uint8),
        "blank paper": lambda: np.full((2000, 1500, 3), 240, np.uint8),
        "a page of text": lambda: ti.render_lines(ti.KOREAN_LINES * 6, korean=True),
    }[name]()
    with pytest.raises(omr.SheetNotFound, match="photograph the whole answer sheet"):
        omr.read_sheet(image, spec=SPEC, questions=20)


def test_a_sheet_of_another_layout_is_refused_not_scored():
    """Four corner squares but no bubbles where v1 prints them: refused, never a score."""
    page = np.full((1754, 1240), 255, np.uint8)
    side = 47
    for x, y in ((83, 83), (1157, 83), (83, 1671), (1157, 1671)):
        page[y - side // 2:y + side // 2, x - side // 2:x + side // 2] = 0
    cv2.putText(page, "Another form", (300, 600), cv2.FONT_HERSHEY_SIMPLEX, 3, 0, 6)
    with pytest.raises(omr.SheetNotFound, match="bubbles are not where answer sheet v1 prints them"):
        omr.read_sheet(page, spec=SPEC, questions=20)


def test_fill_is_judged_against_the_sheets_own_paper_and_ink():
    """A dim, grey photo (paper at ~120) reads the same as a bright one."""
    marks = _marks(30, 12)
    photo = photos.sheet_photo(SPEC, questions=30, marks=marks, seed=12, strength="flat", fmt="png")
    dim = (decode_image(photo.data).astype(np.float32) * 0.5).astype(np.uint8)
    assert omr.read_sheet(dim, spec=SPEC, questions=30).marked == _expected(marks, 30)
