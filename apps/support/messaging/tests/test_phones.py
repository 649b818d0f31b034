import pytest

from apps.support.messaging.phones import (
    InvalidPhoneNumber,
    byte_length,
    normalize_mobile,
    normalize_sender,
    placeholders,
    render,
)


@pytest.mark.parametrize("raw", ["010-1234-5678", "01012345678", "010 1234 5678", "(010)1234-5678", "010.1234.5678",
                                 "+82 10-1234-5678", "+82-010-1234-5678", "+821012345678", "821012345678",
                                 " 010-1234-5678 "])
def test_the_usual_ways_of_writing_a_mobile_number_normalise_to_digits(raw):
    assert normalize_mobile(raw) == "01012345678"


@pytest.mark.parametrize("raw", ["011-123-4567", "016-1234-5678", "019-123-4567"])
def test_legacy_mobile_prefixes_are_mobiles(raw):
    assert normalize_mobile(raw).startswith("01")


@pytest.mark.parametrize("raw", ["", "abc", "010-1234-567", "010-1234-56789", "02-123-4567", "1588-1234",
                                 "012-1234-5678", "+1 415 555 0100", "010-1234-5678x", None, 1012345678])
def test_anything_else_is_not_a_recipient(raw):
    with pytest.raises(InvalidPhoneNumber):
        normalize_mobile(raw)


@pytest.mark.parametrize("raw,expected", [("02-123-4567", "021234567"), ("031-1234-5678", "03112345678"),
                                          ("1588-1234", "15881234"), ("070-1234-5678", "07012345678"),
                                          ("010-1234-5678", "01012345678")])
def test_senders_may_be_landlines_and_representative_numbers(raw, expected):
    assert normalize_sender(raw) == expected


def test_bytes_count_korean_as_two():
    assert byte_length("abc") == 3
    assert byte_length("출석") == 4
    assert byte_length("a출") == 3


def test_template_placeholders_and_rendering():
    body = "#{name} 학생이 #{ time }에 출석했습니다. #{name}"
    assert placeholders(body) == ["name", "time"]
    assert render(body, {"name": "김민지", "time": "18:00"}) == "김민지 학생이 18:00에 출석했습니다. 김민지"
