import pytest
from django.core.exceptions import ValidationError

from core.identifiers import s10_check_digit, s10_is_valid, s10_normalize, validate_s10


@pytest.mark.parametrize(
    ("serial", "digit"),
    [
        ("12345678", 5),  # the UPU example
        ("00000008", 0),  # 11 - 1 = 10 -> 0
        ("00000000", 5),  # 11 - 0 = 11 -> 5
        ("47312483", 2),
    ],
)
def test_it_computes_the_check_digit(serial: str, digit: int) -> None:
    assert s10_check_digit(serial) == digit


def test_it_accepts_the_example() -> None:
    assert s10_is_valid("RR123456785JP")
    validate_s10("RR123456785JP")


@pytest.mark.parametrize(
    "value",
    [
        "RR123456784JP",  # wrong check digit
        "RR12345678JP",  # eight digits only
        "R1123456785JP",  # one letter
        "RR123456785J",  # one-letter country
        "rr123456785jp",  # not normalized
        "",
    ],
)
def test_it_refuses_bad_numbers(value: str) -> None:
    assert not s10_is_valid(value)
    with pytest.raises(ValidationError):
        validate_s10(value)


def test_the_check_digit_message_names_the_problem() -> None:
    with pytest.raises(ValidationError, match="wrong check digit"):
        validate_s10("RR123456784JP")


def test_it_normalizes_spacing_and_case() -> None:
    assert s10_normalize(" rr 123 456 785 jp") == "RR123456785JP"


def test_it_refuses_a_serial_of_the_wrong_length() -> None:
    with pytest.raises(ValueError):
        s10_check_digit("1234567")
