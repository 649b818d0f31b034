"""Decoding an uploaded image into pixels, and the geometric helpers OCR and OMR share."""

import io

import cv2
import numpy as np

from apps.support.ai.services.sniffing import HEIC, SNIFF_BYTES, sniff


class UnreadableImage(Exception):
    """The bytes are not an image this worker can decode (the reason says why)."""


def decode_image(data: bytes, *, max_pixels: int = 60_000_000) -> np.ndarray:
    """A BGR image from encoded bytes (PNG, JPEG, HEIC, TIFF, BMP, WebP), turned upright as
    its EXIF orientation says (a phone stores a portrait photo sideways and says so there)."""
    if not data:
        raise UnreadableImage("the file is empty")
    if sniff(data[:SNIFF_BYTES]) == HEIC:
        return _decode_heic(data, max_pixels=max_pixels)
    # OpenCV applies the EXIF orientation itself (IMREAD_IGNORE_ORIENTATION is not given).
    buffer = np.frombuffer(data, dtype=np.uint8)
    # Read the header first, so a huge image is refused before it is decoded in full.
    header = cv2.imdecode(buffer, cv2.IMREAD_REDUCED_GRAYSCALE_8)
    if header is None:
        raise UnreadableImage("the file could not be decoded as an image (corrupt or truncated?)")
    if header.shape[0] * header.shape[1] * 64 > max_pixels:
        raise UnreadableImage(f"the image is larger than {max_pixels} pixels")
    image = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise UnreadableImage("the file could not be decoded as an image (corrupt or truncated?)")
    return image


def _decode_heic(data: bytes, *, max_pixels: int) -> np.ndarray:
    """HEIC/HEIF (iPhone photos) through libheif (pillow-heif); OpenCV does not read it."""
    import pillow_heif
    from PIL import Image, ImageOps

    pillow_heif.register_heif_opener()
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > max_pixels:  # known from the header, before decoding
            raise UnreadableImage(f"the image is larger than {max_pixels} pixels")
        image = ImageOps.exif_transpose(image).convert("RGB")
    except UnreadableImage:
        raise
    except Exception:  # libheif's errors come as ValueError, OSError, RuntimeError
        raise UnreadableImage("the HEIC file could not be decoded (corrupt or truncated?)") from None
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)


def to_gray(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def rotate(gray: np.ndarray, degrees: float, *, border: int = 255) -> np.ndarray:
    """Rotates counter-clockwise by degrees about the centre, keeping the whole image."""
    h, w = gray.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(h * sin + w * cos), int(h * cos + w * sin)
    matrix[0, 2] += new_w / 2 - w / 2
    matrix[1, 2] += new_h / 2 - h / 2
    return cv2.warpAffine(gray, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR, borderValue=border)


def skew_angle(gray: np.ndarray, *, max_degrees: float = 10.0) -> float:
    """The rotation (degrees, counter-clockwise) that makes text lines horizontal, found by
    the sharpest horizontal projection profile of the ink over a coarse then a fine sweep."""
    scale = min(1.0, 800 / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    _, ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)

    def sharpness(angle: float) -> float:
        rotated = rotate(ink, angle, border=0)
        return float(np.var(rotated.sum(axis=1, dtype=np.float64)))

    best = max(np.arange(-max_degrees, max_degrees + 1e-6, 1.0), key=sharpness)
    best = max(np.arange(best - 1.0, best + 1.0 + 1e-6, 0.1), key=sharpness)
    return float(round(best, 2))
