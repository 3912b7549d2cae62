"""The one parser every route, form, API field and CSV cell reads numbers, ids, cursors and text with."""
from decimal import Decimal

import pytest

from shopsync.inputs import (MAX_ID, InvalidInput, clean_text, decimal_number, decode_cursor, encode_cursor, named,
                             optional_row_id, row_id, row_ids, whole_number)


@pytest.mark.parametrize("raw", ["²", "¹", "١٢", "𝟙", "½", "Ⅻ", "1_000", "0x10", "1.0", "1e3", "-1", "", " ", "+",
                                 "9" * 20, str(2**63), "\x00", None, True, 1.0, [1]])
def test_ids_are_ascii_digits_within_bigint(raw):
    with pytest.raises(InvalidInput):
        row_id(raw)


def test_ids_that_a_row_can_have_are_read():
    assert row_id("1") == 1 and row_id(f" {MAX_ID} ") == MAX_ID and row_id(42) == 42 and row_id("+7") == 7
    assert optional_row_id("") is None and optional_row_id(None) is None and optional_row_id("5") == 5
    assert row_ids(["1", "", "2"]) == [1, 2]


def test_whole_numbers_have_bounds_and_say_which():
    assert whole_number("60", low=5, high=10_080) == 60
    with pytest.raises(InvalidInput, match="from 5 to 10,080"):
        whole_number("4", low=5, high=10_080)
    with pytest.raises(InvalidInput, match="not '²'"):
        whole_number("²", what="a whole number of units")


@pytest.mark.parametrize("raw", ["1e-999999", "1E+5", "NaN", "nan", "Infinity", "-inf", "1_000", "١", "0x1", "1.2.3",
                                 ".", "-", "", "1.23456", "12345678901.5", float("inf"), float("nan"), True, None])
def test_decimals_are_plain_and_fit_the_columns(raw):
    with pytest.raises(InvalidInput):
        decimal_number(raw)


def test_decimals_that_fit_are_exact():
    assert decimal_number(" 19.99 ") == Decimal("19.99") and decimal_number("-0.5") == Decimal("-0.5")
    assert decimal_number(".99") == Decimal(".99") and decimal_number(3) == Decimal(3)
    assert decimal_number("1.2000") == Decimal("1.2000") and decimal_number(1.5) == Decimal("1.5")


@pytest.mark.parametrize("raw", ['["a", Infinity]', '["a", NaN]', '["a", 1e400]', '["a", 1.5]', '["a", 0]',
                                 f'["a", {2**63}]', '["a\\u0000", 1]', '[1, 1]', '["a"]', '{"a": 1}', "[" * 5000,
                                 '["a", true]'])
def test_cursors_hold_no_float_constant_or_id_out_of_range(raw):
    import base64

    token = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    with pytest.raises(InvalidInput):
        decode_cursor(token, (str, int))


def test_cursors_round_trip():
    assert decode_cursor(encode_cursor(["Tee", 12]), (str, int)) == ["Tee", 12]
    with pytest.raises(InvalidInput):
        decode_cursor("not base64!", (str, int))


def test_text_refuses_nul_and_names_the_field():
    assert clean_text("plain") == "plain"
    with pytest.raises(InvalidInput, match="^q must not contain NUL"):
        named("q", clean_text, "a\x00b")
