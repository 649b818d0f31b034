"""OCR on generated pages: known Korean and English text, clean and as a turned, noisy scan.
Character error rate (whitespace ignored) at most 5% clean and 10% noisy."""

import pytest

from apps.support.ai.services import ocr
from apps.support.ai.services.imaging import decode_image
from tools.testing.documents import text_images as ti

CASES = {
    "english-clean": (ti.ENGLISH_LINES, False, {}, 0.05),
    "english-turned-noisy": (ti.ENGLISH_LINES, False, {"degrees": -3, "noise": 25, "blur": True}, 0.10),
    "korean-clean": (ti.KOREAN_LINES, True, {}, 0.05),
    "korean-turned": (ti.KOREAN_LINES, True, {"degrees": 2.5}, 0.10),
    "korean-turned-noisy": (ti.KOREAN_LINES, True, {"degrees": 2, "noise": 25, "blur": True, "seed": 3}, 0.10),
}


@pytest.mark.parametrize("name", CASES)
def test_character_error_rate(name):
    lines, korean, scan, limit = CASES[name]
    image = decode_image(ti.png_bytes(ti.scanned(ti.render_lines(lines, korean=korean), **scan)))
    result = ocr.recognise(image, languages="kor+eng")
    cer = ti.character_error_rate("\n".join(lines), result.text)
    print(f"{name}: CER {cer:.3f}, skew {result.skew_degrees}, confidence {result.confidence}")
    assert cer <= limit, result.text
    assert len(result.lines) == len(lines)
    assert all(0 <= line.confidence <= 100 for line in result.lines)
    assert result.confidence > 70
    if scan.get("degrees"):
        assert abs(result.skew_degrees + scan["degrees"]) <= 0.5


def test_korean_words_are_kept_whole():
    """Tesseract's word boxes split Hangul words into syllables ("문 제 를"); its own
    spacing joins them again, and English words are never glued together."""
    lines = ti.KOREAN_LINES + ["수학 시험은 12월 7일 (월) 오후 3시에 봅니다."]
    result = ocr.recognise(ti.render_lines(lines, korean=True), languages="kor+eng")
    assert result.lines[0].text == "다음 문제를 읽고 알맞은 답을 고르시오."
    assert ti.word_accuracy("\n".join(lines), result.text) >= 0.9, result.text
    english = ocr.recognise(ti.render_lines(ti.ENGLISH_LINES, korean=False), languages="kor+eng")
    assert [len(line.text.split()) for line in english.lines] == [len(line.split()) for line in ti.ENGLISH_LINES]


def test_spaces_are_read_from_tesseracts_text():
    assert ocr._spaces_before(["다음", "문", "제", "를", "읽고"], "다음 문제를 읽고\n") == [False, True, False, False, True]
    # A piece the text does not hold where expected counts as spaced; the walk finds its place again.
    assert ocr._spaces_before(["가", "?", "나", "다"], "가나 다") == [False, True, False, True]


def test_character_error_rate_helper():
    assert ti.character_error_rate("abcd", "ab cd") == 0
    assert ti.character_error_rate("abcd", "abxd") == 0.25
    assert ti.character_error_rate("ab cd", "abcd", spaces=True) == 0.2
    assert ti.word_accuracy("다음 문제를 읽고", "다음 문 제를 읽고") == 1 - 2 / 3
