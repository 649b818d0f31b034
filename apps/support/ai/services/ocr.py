"""OCR: an image of printed Korean and English text -> lines of text with confidences.

    result = recognise(image_bgr, languages="kor+eng")
    result.text, result.lines[i].text, result.lines[i].confidence (0..100)

Preprocessing (opencv): grayscale, upscale small scans, straighten (skew_angle), remove
speckle with a median filter, then Otsu binarisation. Recognition is tesseract's LSTM
engine through pytesseract; a line's confidence is the mean of its words' confidences.
"""

from dataclasses import asdict, dataclass, field

import cv2
import numpy as np
import pytesseract

from apps.support.ai.services.imaging import rotate, skew_angle, to_gray

MIN_TEXT_HEIGHT_PX = 600  # scans shorter than this are upscaled first
# With several languages loaded at once tesseract reads Korean markedly worse than with
# Korean alone. So the page is read with the first language (Korean), and a line that is
# not mostly Hangul, or read with low confidence, is read again by itself with the other
# languages; the reading with the higher confidence stays.
HANGUL_LINE_SHARE = 0.5
REREAD_BELOW_CONFIDENCE = 75.0


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
        data = pytesseract.image_to_data(binary, lang=first, config="--oem 1 --psm 6",
                                         output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractError as exc:
        raise OCRFailed(f"tesseract failed: {exc}") from exc
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
        text = " ".join(data["text"][i].strip() for i in indices)
        confidence = float(np.mean([float(data["conf"][i]) for i in indices]))
        box = (int(left), int(top), int(right - left), int(bottom - top))
        if others and (confidence < REREAD_BELOW_CONFIDENCE or _hangul_share(text) < HANGUL_LINE_SHARE):
            again = _reread_line(binary, box, others)
            if again is not None and again[1] > confidence:
                text, confidence = again
        lines.append(Line(text=text, confidence=round(confidence, 2), box=box))
    return OCRResult(lines=lines, skew_degrees=angle, languages=languages)


def _hangul_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum("\uac00" <= c <= "\ud7a3" or "\u3131" <= c <= "\u318e" for c in letters) / max(1, len(letters))


def _reread_line(binary: np.ndarray, box: tuple[int, int, int, int], language: str) -> tuple[str, float] | None:
    left, top, width, height = box
    pad = max(4, height // 2)
    crop = binary[max(0, top - pad):top + height + pad, max(0, left - pad):left + width + pad]
    crop = cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    data = pytesseract.image_to_data(crop, lang=language, config="--oem 1 --psm 7",
                                     output_type=pytesseract.Output.DICT)
    words = [(w.strip(), float(c)) for w, c in zip(data["text"], data["conf"]) if w.strip() and float(c) >= 0]
    if not words:
        return None
    return " ".join(w for w, _ in words), float(np.mean([c for _, c in words]))
