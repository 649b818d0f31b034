"""PDF input: sniffed from its header at upload, one page rendered at 300 DPI in the worker,
and every way a PDF can be unreadable refused with the reason."""

import re

import numpy as np
import pytest

from apps.support.ai.services import pdf, sniffing
from tools.testing.documents.pdfs import password_protected_pdf, pdf_bytes


def _page(width: int, height: int, ink_at: tuple[int, int]) -> np.ndarray:
    page = np.full((height, width), 255, np.uint8)
    y, x = ink_at
    page[y:y + 20, x:x + 20] = 0
    return page


def test_a_pdf_is_sniffed_from_its_header():
    assert sniffing.sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n") == sniffing.PDF
    assert sniffing.sniff(b"\n%PDF-1.7") is None


def test_the_page_asked_for_is_rendered_at_300_dpi():
    data = pdf_bytes([_page(300, 450, (10, 10)), _page(600, 300, (200, 400))], dpi=150)
    page = pdf.render_page(data, number=2)
    assert (page.number, page.count) == (2, 2)
    assert page.image.ndim == 2 and abs(page.image.shape[0] - 600) <= 1 and abs(page.image.shape[1] - 1200) <= 1
    # The second page's ink, twice as far from the corner as it was drawn at 150 DPI.
    assert page.image[420, 820] < 64 and page.image[40, 40] > 192


def test_a_page_too_large_for_300_dpi_is_rendered_smaller():
    page = pdf.render_page(pdf_bytes([_page(400, 400, (0, 0))], dpi=100), max_pixels=200_000)
    assert page.image.size <= 200_000 and page.image.shape[0] > 400


@pytest.mark.parametrize("data, number, reason", [
    (pdf_bytes([_page(100, 100, (0, 0))] * 2), 3, "page 3 was asked for, but the PDF has 2 pages"),
    (pdf_bytes([_page(100, 100, (0, 0))]), 2, "the PDF has 1 page"),
    (b"%PDF-1.7\n" + b"\x00" * 200, 1, "could not be read as a PDF (corrupt or truncated?)"),
    (pdf_bytes([_page(100, 100, (0, 0))])[:300], 1, "could not be read as a PDF"),
    (password_protected_pdf(), 1, "encrypted (password-protected)"),
])
def test_unreadable_pdfs_and_missing_pages_are_refused_with_the_reason(data, number, reason):
    with pytest.raises(pdf.UnreadablePDF, match=re.escape(reason)):
        pdf.render_page(data, number=number)
