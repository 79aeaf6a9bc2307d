"""Exact money: parse, format, percent."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.money import MoneyError, format_dollars, format_usd, parse_usd, percent


@pytest.mark.parametrize("value,micros", [("4.2", 4_200_000), (Decimal("0.000001"), 1), (0, 0), ("1000000", 10**12),
                                          (" 1.50 ", 1_500_000), (3, 3_000_000)])
def test_parse_accepts_exact_amounts(value, micros):
    assert parse_usd(value) == micros


@pytest.mark.parametrize("value", ["-0.01", "0.0000001", "1000000.000001", "NaN", "inf", "", "1e400", True, None,
                                   [1], "1,00"])
def test_parse_refuses_inexact_or_out_of_range(value):
    with pytest.raises(MoneyError):
        parse_usd(value)


def test_format_is_six_decimals():
    assert format_usd(4_200_000) == "4.200000"
    assert format_usd(1) == "0.000001"


@pytest.mark.parametrize("micros,shown", [(4_200_000, "$4.20"), (9_999, "<$0.01"), (10_000, "$0.01"), (0, "$0.00"),
                                          (1_005_000, "$1.01"), (1_234_567_890_000, "$1,234,567.89")])
def test_format_dollars_for_people(micros, shown):
    assert format_dollars(micros) == shown


def test_percent_one_decimal_half_up():
    assert percent(1, 3) == 33.3
    assert percent(2, 3) == 66.7
    assert percent(1, 8) == 12.5
    assert percent(5, 0) == 0.0
