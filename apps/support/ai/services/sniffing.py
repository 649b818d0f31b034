"""What an uploaded file is, from its first bytes (never its name): the image formats the
AI worker decodes, and PDF, whose pages it renders."""

from dataclasses import dataclass

SNIFF_BYTES = 16
# The ISO base media file brands of HEIF still images (what iPhones save, "heic", among them).
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"}


@dataclass(frozen=True)
class InputFormat:
    name: str
    extension: str


PNG = InputFormat("png", "png")
JPEG = InputFormat("jpeg", "jpg")
TIFF = InputFormat("tiff", "tif")
BMP = InputFormat("bmp", "bmp")
WEBP = InputFormat("webp", "webp")
HEIC = InputFormat("heic", "heic")
PDF = InputFormat("pdf", "pdf")


def sniff(head: bytes) -> InputFormat | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return TIFF
    if head.startswith(b"BM") and len(head) >= 14:
        return BMP
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return HEIC
    # Readers tolerate junk before the header; uploads with any are refused rather than guessed at.
    if head.startswith(b"%PDF-"):
        return PDF
    return None
