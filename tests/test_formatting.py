"""French number formatting shared by figures and report text."""

import math

import numpy as np
import pandas as pd
import pytest

from abs_lib.formatting import THOUSANDS as T, UNIT_SPACE as U, format_number


@pytest.mark.parametrize(
    ("value", "unit", "kwargs", "expected"),
    [
        (12345.678, "€", {}, f"12{T}346{U}€"),
        (1234567.891, None, {}, f"1{T}234{T}568"),
        (55.14, None, {}, "55,1"),
        (12.35, "%", {}, f"12,4{U}%"),  # half up on the decimal the reader sees
        (14.25, "%", {}, f"14,3{U}%"),  # not half-to-even
        (2500.5, "€", {}, f"2{T}501{U}€"),
        (15, "%", {}, f"15{U}%"),  # integers keep no decimals
        (np.int64(537577), "habitants", {}, f"537{T}577{U}habitants"),
        (0.456, None, {}, "0,46"),
        (-1234.5, None, {"decimals": 2}, f"-1{T}234,50"),
        (2.5, "%", {"signed": True}, f"+2,5{U}%"),
        (-0.04, "%", {}, f"0,0{U}%"),  # no "-0,0"
        (0.0, "%", {"signed": True}, f"0,0{U}%"),
    ],
)
def test_french_format(value, unit, kwargs, expected):
    assert format_number(value, unit, **kwargs) == expected


@pytest.mark.parametrize("missing", [None, math.nan, np.nan, pd.NA, np.float64("nan")])
def test_missing_is_never_zero(missing):
    assert format_number(missing, "%") == "n.d."
    assert format_number(missing, missing="secret") == "secret"


def test_text_and_infinity_are_refused():
    with pytest.raises(TypeError):
        format_number("12,5")
    with pytest.raises(ValueError, match="infinie"):
        format_number(math.inf)
