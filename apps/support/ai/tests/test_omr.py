"""Answer sheets rendered from the spec with known pencil marks, turned up to 3 degrees,
scaled 0.9-1.1 and noisy, one question double-marked and one left blank: every question
read correctly."""

import numpy as np
import pytest

from apps.support.ai.services import omr
from apps.support.ai.services.omr_layout import load_spec
from apps.support.ai.services.omr_render import render_sheet, write_pdf
from tools.testing.documents.sheets import random_marks, scanned_sheet

SCANS = [
    # degrees, scale, noise sd, questions
    (0.0, 1.0, 0, 20),
    (3.0, 0.9, 20, 40),
    (-3.0, 1.1, 25, 75),
    (1.5, 0.95, 30, 60),
    (-2.0, 1.05, 15, 20),
]


@pytest.mark.parametrize("seed, scan", list(enumerate(SCANS)))
def test_every_question_is_read(seed, scan):
    degrees, scale, noise, questions = scan
    spec = load_spec()
    marks = random_marks(questions, spec.choices, seed=seed)
    marks[2] = [1, 4]  # double-marked
    marks[5] = []  # blank
    image = scanned_sheet(spec, questions=questions, marks=marks, degrees=degrees, scale=scale, noise=noise,
                          seed=seed)
    reading = omr.read_sheet(image, spec=spec, questions=questions)
    assert reading.marked == [sorted(marks[q]) for q in range(1, questions + 1)]

    answers = [marks[q][0] if len(marks[q]) == 1 else 3 for q in range(1, questions + 1)]
    answers[0] = answers[0] % spec.choices + 1  # one plainly wrong answer
    graded = omr.grade(reading, answers=answers).as_json()
    assert graded["total"] == questions and graded["score"] == questions - 3
    states = {q["number"]: q["state"] for q in graded["questions"]}
    assert (states[2], states[5], states[1]) == ("multiple", "none", "one")


def test_a_page_without_marks_is_refused():
    with pytest.raises(omr.SheetNotFound, match="corner marks are not all visible"):
        omr.read_sheet(np.full((800, 600), 255, np.uint8), spec=load_spec(), questions=5)


def test_the_blank_sheet_renders_to_pdf(tmp_path):
    spec = load_spec()
    page = render_sheet(spec, questions=20, dpi=100)
    path = write_pdf(page, tmp_path / "sheet.pdf", dpi=100)
    assert path.read_bytes().startswith(b"%PDF")
    # Read back, the blank sheet has no marks.
    assert omr.read_sheet(np.asarray(page), spec=spec, questions=20).marked == [[]] * 20
    with pytest.raises(ValueError, match="holds 1 to 75 questions"):
        render_sheet(spec, questions=76)
