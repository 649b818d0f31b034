"""OCR: an image of printed Korean and English text -> lines of text with confidences.

    result = recognise(image_bgr, languages="kor+eng")
    result.text, result.lines[i].text, result.lines[i].confidence (0..100)

Preprocessing (opencv): grayscale, upscale small scans, straighten (skew_angle), remove
speckle with a median filter, then Otsu binarisation. Recognition is tesseract's LSTM
engine; a line's confidence is the mean of its pieces' confidences. tesseract runs with the
command line pytesseract builds (its temporary files and TSV parsing too), but through
apps.core.subprocesses, so it dies with the worker.

Korean words are kept whole. Tesseract's word boxes (its TSV) split many Hangul words
into syllables ("문 제 를"), but it knows better: each piece carries whether a space comes
before it, which only its plain-text output prints (with preserve_interword_spaces, as
the kor data's own config sets). So one run writes both, the text is walked alongside the
boxes, and pieces printed without a space between them are one word. Nothing is glued
that tesseract printed apart, so English and real spaces stay as they are; a piece the
walk cannot place counts as spaced.
"""

import os
import shlex
import subprocess
from dataclasses import asdict, dataclass, field

import cv2
import numpy as np
import pytesseract
from pytesseract.pytesseract import TesseractError, TesseractNotFoundError, file_to_dict, get_errors, save

from apps.core import subprocesses
from apps.support.ai.services.imaging import rotate, skew_angle, to_gray

MIN_TEXT_HEIGHT_PX = 600  # scans shorter than this are upscaled first
# With several languages loaded at once tesseract reads Korean markedly worse than with
# Korean alone. So the page is read with the first language (Korean), and a line that is
# not mostly Hangul, or read with low confidence, is read again by itself with the other
# languages; the reading with the higher confidence stays.
HANGUL_LINE_SHARE = 0.5
REREAD_BELOW_CONFIDENCE = 75.0
PAGE_CONFIG = "--oem 1 --psm 6 -c preserve_interword_spaces=1"


class OCRFailed(Exception):
    pass


@dataclass(frozen=True)
class Line:
    text: str
    confidence: float
    box: tuple[int, int, int, int]  # left, top, width, height in the straightened image


@dataclass
class OCRResult:
    lines: list[Line] = field(default_factory=list)
    skew_degrees: float = 0.0
    languages: str = ""

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def confidence(self) -> float:
        return round(float(np.mean([line.confidence for line in self.lines])), 2) if self.lines else 0.0

    def as_json(self) -> dict:
        return {"text": self.text, "confidence": self.confidence, "skew_degrees": self.skew_degrees,
                "languages": self.languages, "lines": [asdict(line) for line in self.lines]}


def preprocess(image: np.ndarray) -> tuple[np.ndarray, float]:
    """The binarised, straightened page and the angle it was turned by."""
    gray = to_gray(image)
    if gray.shape[0] < MIN_TEXT_HEIGHT_PX:
        factor = min(3.0, MIN_TEXT_HEIGHT_PX / gray.shape[0])
        gray = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    gray = cv2.medianBlur(gray, 3)
    angle = skew_angle(gray)
    if abs(angle) >= 0.1:
        gray = rotate(gray, angle)
    _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return binary, angle


def recognise(image: np.ndarray, *, languages: str = "kor+eng") -> OCRResult:
    binary, angle = preprocess(image)
    first, *rest = languages.split("+")
    others = "+".join(rest)
    try:
        data, text = _read_page(binary, first)
    except TesseractError as exc:
        raise OCRFailed(f"tesseract failed: {exc}") from exc
    spaced = _spaces_before(data["text"], text)
    grouped: dict[tuple[int, int, int], list[int]] = {}
    for i, word in enumerate(data["text"]):
        if word.strip() and float(data["conf"][i]) >= 0:
            grouped.setdefault((data["block_num"][i], data["par_num"][i], data["line_num"][i]), []).append(i)
    lines = []
    for indices in grouped.values():
        left = min(data["left"][i] for i in indices)
        top = min(data["top"][i] for i in indices)
        right = max(data["left"][i] + data["width"][i] for i in indices)
        bottom = max(data["top"][i] + data["height"][i] for i in indices)
        text = "".join((" " if n and spaced[i] else "") + data["text"][i].strip() for n, i in enumerate(indices))
        confidence = float(np.mean([float(data["conf"][i]) for i in indices]))
        box = (int(left), int(top), int(right - left), int(bottom - top))
        if others and (confidence < REREAD_BELOW_CONFIDENCE or _hangul_share(text) < HANGUL_LINE_SHARE):
            again = _reread_line(binary, box, others)
            if again is not None and again[1] > confidence:
                text, confidence = again
        lines.append(Line(text=text, confidence=round(confidence, 2), box=box))
    return OCRResult(lines=lines, skew_degrees=angle, languages=languages)


def _read_page(binary: np.ndarray, language: str) -> tuple[dict, str]:
    """One tesseract run writing its word boxes (TSV, as image_to_data reads them) and its
    plain text."""
    tsv, txt = _tesseract(binary, language, f"{PAGE_CONFIG} -c tessedit_create_tsv=1 -c tessedit_create_txt=1",
                          outputs=("tsv", "txt"))
    # Parsed as image_to_data parses it: numbers as ints, the text column as strings.
    return file_to_dict(tsv, "\t", -1), txt


def _tesseract(image: np.ndarray, language: str, config: str, *, outputs: tuple[str, ...]) -> list[str]:
    """tesseract on image with the command line pytesseract's run_tesseract builds
    (`tesseract <input> <base> -l <language> <config>`); the text of each <base>.<output>.
    Raises pytesseract's errors, as run_tesseract does."""
    with save(image) as (base, input_file):
        argv = [pytesseract.pytesseract.tesseract_cmd, input_file, base, "-l", language, *shlex.split(config)]
        try:
            done = subprocesses.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
        except FileNotFoundError as error:
            if error.filename == os.devnull:
                # Not tesseract's absence: the filesystem has no /dev (a bare chroot, not a
                # container runtime), so no child process can be given /dev/null.
                raise OCRFailed(f"cannot start tesseract: {os.devnull} is missing from this filesystem") from None
            raise TesseractNotFoundError() from None
        if done.returncode:
            raise TesseractError(done.returncode, get_errors(done.stderr))
        texts = []
        for output in outputs:
            with open(f"{base}.{output}", encoding="utf-8") as handle:
                texts.append(handle.read())
        return texts


def check_tesseract(languages: str = "kor+eng") -> str | None:
    """None when tesseract runs here with `languages`, else why not: what the worker's
    --check reports before any job would meet it (no binary, no language data, no /dev)."""
    blank = np.full((32, 32), 255, dtype=np.uint8)
    try:
        _tesseract(blank, languages, "--psm 6", outputs=("txt",))
    except (TesseractNotFoundError, TesseractError, OCRFailed, OSError) as error:
        return f"tesseract cannot read {languages}: {error or type(error).__name__}"
    return None


def _spaces_before(pieces: list[str], text: str) -> list[bool]:
    """Whether tesseract printed a space (or a line break) before each piece, found by
    walking its text in step with the pieces; True where the walk loses its place."""
    flags, at = [], 0
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            flags.append(True)
            continue
        start = at
        while start < len(text) and text[start].isspace():
            start += 1
        if text.startswith(piece, start):
            flags.append(start > at)
            at = start + len(piece)
            continue
        flags.append(True)
        found = text.find(piece, at, at + 4 * len(piece) + 20)  # find its place again
        if found >= 0:
            at = found + len(piece)
    return flags


def _hangul_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum("\uac00" <= c <= "\ud7a3" or "\u3131" <= c <= "\u318e" for c in letters) / max(1, len(letters))


def _reread_line(binary: np.ndarray, box: tuple[int, int, int, int], language: str) -> tuple[str, float] | None:
    left, top, width, height = box
    pad = max(4, height // 2)
    crop = binary[max(0, top - pad):top + height + pad, max(0, left - pad):left + width + pad]
    crop = cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    # As image_to_data(crop, config="--oem 1 --psm 7", output_type=DICT) reads it.
    (tsv,) = _tesseract(crop, language, "-c tessedit_create_tsv=1 --oem 1 --psm 7", outputs=("tsv",))
    data = file_to_dict(tsv, "\t", -1)
    words = [(w.strip(), float(c)) for w, c in zip(data["text"], data["conf"]) if w.strip() and float(c) >= 0]
    if not words:
        return None
    return " ".join(w for w, _ in words), float(np.mean([c for _, c in words]))
