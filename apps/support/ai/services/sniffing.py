"""What an uploaded file is, from its first bytes (never its name): the image formats the
AI worker decodes."""

from dataclasses import dataclass

SNIFF_BYTES = 16


@dataclass(frozen=True)
class ImageFormat:
    name: str
    extension: str


PNG = ImageFormat("png", "png")
JPEG = ImageFormat("jpeg", "jpg")
TIFF = ImageFormat("tiff", "tif")
BMP = ImageFormat("bmp", "bmp")
WEBP = ImageFormat("webp", "webp")


def sniff_image(head: bytes) -> ImageFormat | None:
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
    return None
