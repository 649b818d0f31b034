"""Korean phone numbers and message text limits.

Recipients must be mobile numbers (SMS, LMS and Alimtalk reach handsets), written any of
the usual ways: 010-1234-5678, 010 1234 5678, (010)1234-5678, +82 10-1234-5678,
+82-010-1234-5678, 821012345678. They are stored normalised: 01012345678.

Sender numbers (발신번호) may also be landlines (02-123-4567, 031-123-4567), Internet
phones (070-...) and nationwide representative numbers (1588-1234).
"""

import re

_SEPARATORS = re.compile(r"[\s\-.()]")
# 010 numbers have 8 digits after the prefix; the legacy 011/016/017/018/019 have 7 or 8.
_MOBILE = re.compile(r"^(?:010\d{8}|01[16789]\d{7,8})$")
_LANDLINE = re.compile(r"^(?:02\d{7,8}|0(?:3[1-3]|4[1-4]|5[1-5]|6[1-4])\d{7,8}|070\d{8}|050\d{8,9})$")
_REPRESENTATIVE = re.compile(r"^1[5-9]\d{6}$")

SMS_MAX_BYTES = 90
LMS_MAX_BYTES = 2000
LMS_SUBJECT_MAX_BYTES = 40
ALIMTALK_MAX_CHARS = 1000


class InvalidPhoneNumber(ValueError):
    pass


def _digits(raw: object) -> str:
    if not isinstance(raw, str):
        raise InvalidPhoneNumber("a phone number must be a string")
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("+82"):
        text = text[3:]
        text = text if text.startswith("0") else "0" + text
    elif text.startswith("82") and len(text) in (11, 12) and text[2] == "1":
        text = "0" + text[2:]
    if not text.isdigit():
        raise InvalidPhoneNumber(f"{raw!r} is not a phone number")
    return text


def normalize_mobile(raw: object) -> str:
    """'010-1234-5678' -> '01012345678'; raises InvalidPhoneNumber for anything that is not
    a Korean mobile number."""
    digits = _digits(raw)
    if not _MOBILE.match(digits):
        raise InvalidPhoneNumber(f"{raw!r} is not a Korean mobile number (010-XXXX-XXXX)")
    return digits


def normalize_sender(raw: object) -> str:
    """A sender number: mobile, landline, 070/050 or a 15XX-XXXX representative number."""
    digits = _digits(raw)
    if not (_MOBILE.match(digits) or _LANDLINE.match(digits) or _REPRESENTATIVE.match(digits)):
        raise InvalidPhoneNumber(f"{raw!r} is not a Korean sender number")
    return digits


def byte_length(text: str) -> int:
    """Length as Korean carriers count it (EUC-KR): ASCII is one byte, anything else two."""
    return sum(1 if ord(ch) < 128 else 2 for ch in text)


_PLACEHOLDER = re.compile(r"#\{([^{}]+)\}")


def placeholders(body: str) -> list[str]:
    """The #{variable} names of an Alimtalk template body, in order, each once."""
    return list(dict.fromkeys(m.strip() for m in _PLACEHOLDER.findall(body)))


def render(body: str, variables: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: str(variables.get(m.group(1).strip(), m.group(0))), body)
