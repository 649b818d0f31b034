"""PDFs for the AI worker's tests: generated pages saved with Pillow's PDF writer, and one
that cannot be opened without its password."""

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image


def pdf_bytes(pages: Sequence[np.ndarray], *, dpi: int = 150) -> bytes:
    """One PDF page per grayscale array, each printed at dpi."""
    images = [Image.fromarray(page).convert("RGB") for page in pages]
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", resolution=float(dpi), save_all=True, append_images=images[1:])
    return buffer.getvalue()


def password_protected_pdf() -> bytes:
    """A one-page PDF under the standard security handler whose user password is not empty
    (its /U entry matches no password a reader would try), as a locked export would be."""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        f"<< /Filter /Standard /V 1 /R 2 /O <{'ab' * 32}> /U <{'cd' * 32}> /P -4 >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    file_id = "01" * 16
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Encrypt 4 0 R /ID [<{file_id}><{file_id}>] >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)
