"""Known Korean and English text rendered into page images, clean or scanned-looking."""

from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

KOREAN_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
LATIN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
KOREAN_FONT_INDEX = 1  # the KR face of the collection

ENGLISH_LINES = [
    "The quick brown fox jumps over the lazy dog.",
    "Students must submit the homework by Friday.",
    "Chapter 3 covers limits and continuity.",
    "Read pages 41 to 58 before the next lecture.",
]
KOREAN_LINES = [
    "다음 문제를 읽고 알맞은 답을 고르시오.",
    "학생들은 금요일까지 숙제를 제출해야 합니다.",
    "이번 강의에서는 함수의 극한을 배웁니다.",
    "수학 시험은 다음 주 월요일에 있습니다.",
]


def render_lines(lines: list[str], *, korean: bool, size: int = 40, width: int = 1400) -> np.ndarray:
    """A white page with the lines in black, as a grayscale array."""
    if korean:
        font = ImageFont.truetype(str(KOREAN_FONT), size, index=KOREAN_FONT_INDEX)
    else:
        font = ImageFont.truetype(str(LATIN_FONT), size)
    line_height = int(size * 1.8)
    page = Image.new("L", (width, line_height * len(lines) + 2 * size), 255)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((size, size + i * line_height), line, fill=0, font=font)
    return np.asarray(page)


def scanned(gray: np.ndarray, *, degrees: float = 0.0, noise: float = 0.0, blur: bool = False,
            seed: int = 0) -> np.ndarray:
    """The page turned by degrees (counter-clockwise) with Gaussian noise of sd `noise`."""
    out = gray
    if degrees:
        h, w = gray.shape
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
        out = cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    if blur:
        out = cv2.GaussianBlur(out, (3, 3), 0)
    if noise:
        rng = np.random.default_rng(seed)
        out = np.clip(out.astype(np.float32) + rng.normal(0, noise, out.shape), 0, 255).astype(np.uint8)
    return out


def png_bytes(gray: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".png", gray)
    assert ok
    return encoded.tobytes()


def character_error_rate(expected: str, actual: str) -> float:
    """Levenshtein distance over characters / len(expected), whitespace ignored (tesseract's
    word spacing in Korean is not what is measured)."""
    a = "".join(expected.split())
    b = "".join(actual.split())
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1] / max(1, len(a))
