"""Known Korean and English text rendered into page images, clean or scanned-looking."""

import difflib
import re
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

NOTO = Path("/usr/share/fonts/opentype/noto")
KOREAN_FONT = NOTO / "NotoSansCJK-Regular.ttc"
LATIN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
KOREAN_FONT_INDEX = 1  # the KR face of the collection
# The Korean faces of fonts-noto-cjk: sans and serif (명조), regular and bold.
KOREAN_FONTS = tuple(NOTO / name for name in ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc",
                                              "NotoSerifCJK-Regular.ttc", "NotoSerifCJK-Bold.ttc"))

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


def render_lines(lines: list[str], *, korean: bool, size: int = 40, width: int = 1400,
                 font: Path | None = None) -> np.ndarray:
    """A white page with the lines in black, as a grayscale array. font: one of
    KOREAN_FONTS (Korean pages; Noto Sans CJK KR unless given)."""
    if korean:
        font = ImageFont.truetype(str(font or KOREAN_FONT), size, index=_korean_index(font or KOREAN_FONT))
    else:
        font = ImageFont.truetype(str(LATIN_FONT), size)
    line_height = int(size * 1.8)
    page = Image.new("L", (width, line_height * len(lines) + 2 * size), 255)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((size, size + i * line_height), line, fill=0, font=font)
    return np.asarray(page)


def _korean_index(path: Path) -> int:
    """The KR face's index in a Noto CJK collection (Sans: JP, KR, SC, ...; Serif alike)."""
    for index in range(10):
        try:
            name = ImageFont.truetype(str(path), 10, index=index).getname()[0]
        except OSError:
            break
        if name.endswith(" KR"):
            return index
    return KOREAN_FONT_INDEX


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


def edit_distance(a, b) -> int:
    """Levenshtein distance between two sequences (of characters or of words)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def character_error_rate(expected: str, actual: str, *, spaces: bool = False) -> float:
    """Levenshtein distance over characters / len(expected). Whitespace is ignored unless
    spaces=True, which counts every missing or extra space between words as an error too
    (runs of whitespace and line breaks count as one space)."""
    if spaces:
        a, b = " ".join(expected.split()), " ".join(actual.split())
    else:
        a, b = "".join(expected.split()), "".join(actual.split())
    return edit_distance(a, b) / max(1, len(a))


def word_accuracy(expected: str, actual: str) -> float:
    """1 - word-level Levenshtein distance / words expected: a word split in two, or two
    glued into one, costs as a wrong word does."""
    a, b = expected.split(), actual.split()
    return max(0.0, 1 - edit_distance(a, b) / max(1, len(a)))


HANGUL_WORD = re.compile(r"^[\uac00-\ud7a3]+[.,?!:;'\")]*$")


def korean_word_accuracy(expected: str, actual: str) -> float:
    """The share of the expected Korean words (Hangul, perhaps with closing punctuation) that
    come back exactly, in order (aligned by difflib): what splitting or gluing words costs."""
    a, b = expected.split(), actual.split()
    korean = {i for i, word in enumerate(a) if HANGUL_WORD.match(word)}
    matched = set()
    for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        matched.update(range(block.a, block.a + block.size))
    return len(korean & matched) / max(1, len(korean))
