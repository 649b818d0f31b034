"""One page of an uploaded PDF rendered to pixels with PDFium (pypdfium2), for OCR and
answer-sheet reading.

    page = render_page(data, number=2)        # 1-based
    page.image (grayscale), page.number, page.count (pages in the document)

Pages are rendered at 300 DPI, the resolution tesseract reads best; a page so large that
300 DPI would pass max_pixels is rendered at the lower DPI that fits. An encrypted or
corrupt PDF, or a page it does not have, raises UnreadablePDF with the reason.
"""

import math
import threading
from dataclasses import dataclass

import numpy as np
import pypdfium2 as pdfium

RENDER_DPI = 300
POINTS_PER_INCH = 72

# PDFium is not thread-safe, and a worker may run several jobs at once.
_pdfium = threading.Lock()


class UnreadablePDF(Exception):
    """The PDF, or the page asked for, cannot be rendered (the reason says why)."""


@dataclass(frozen=True)
class RenderedPage:
    image: np.ndarray  # grayscale, on white
    number: int
    count: int


def render_page(data: bytes, *, number: int = 1, dpi: int = RENDER_DPI, max_pixels: int = 60_000_000) -> RenderedPage:
    with _pdfium:
        document = _open(data)
        try:
            count = len(document)
            if not 1 <= number <= count:
                raise UnreadablePDF(f"page {number} was asked for, but the PDF has {count} "
                                    f"page{'' if count == 1 else 's'}")
            page = document[number - 1]
            width, height = (max(1.0, side) for side in page.get_size())
            # PDFium rounds each side up to a whole pixel: a pixel less per side keeps within max_pixels.
            fitting = math.sqrt(max_pixels / (width * height)) - 1 / min(width, height)
            scale = min(dpi / POINTS_PER_INCH, fitting)
            try:
                bitmap = page.render(scale=scale, grayscale=True)
            except pdfium.PdfiumError as exc:
                raise UnreadablePDF(f"page {number} of the PDF could not be rendered: {exc}") from None
            # A copy: the bitmap's memory is PDFium's and goes with it.
            return RenderedPage(image=np.array(bitmap.to_numpy()), number=number, count=count)
        finally:
            document.close()


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code in (pdfium.raw.FPDF_ERR_PASSWORD, pdfium.raw.FPDF_ERR_SECURITY):
            raise UnreadablePDF("the PDF is encrypted (password-protected); upload it without a password") from None
        raise UnreadablePDF("the file could not be read as a PDF (corrupt or truncated?)") from None
