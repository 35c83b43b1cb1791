"""Class bounds of choropleths: bounds worked out by hand."""

import numpy as np
import pandas as pd
import pytest

from abs_lib.errors import FigureError
from abs_lib.formatting import THOUSANDS as T, UNIT_SPACE as U
from abs_lib.plots.classify import assign_classes, class_bounds, class_labels

def test_quantiles_by_hand():
    # 1..10, 5 classes: percentile p sits at rank p/100 * 9, linearly interpolated:
    # 20 % -> rank 1.8 -> 2.8 ; 40 % -> 3.6 -> 4.6 ; 60 % -> 6.4 ; 80 % -> 8.2 ; 100 % -> 10
    values = np.arange(1, 11, dtype=float)
    bounds = class_bounds(values, 5, "quantiles")
    np.testing.assert_allclose(bounds, [1, 2.8, 4.6, 6.4, 8.2, 10])
    classes = assign_classes(pd.Series(values), bounds)
    assert classes.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_equal_intervals_by_hand_and_right_closed():
    values = pd.Series([0.0, 10.0, 20.0, 40.0], index=["a", "b", "c", "d"])
    bounds = class_bounds(values, 4, "equal")
    np.testing.assert_allclose(bounds, [0, 10, 20, 30, 40])
    # a bound belongs to the class below it; class 3 (20-30] is empty
    assert assign_classes(values, bounds).tolist() == [0, 0, 1, 3]


def test_natural_breaks_by_hand():
    np.testing.assert_allclose(class_bounds([1, 2, 3, 10, 11, 12], 2, "natural"), [1, 3, 12])
    # {1,1,2} {10,11} {30}: within-class squared deviations 2/3 + 1/2 + 0, the least of all 3-splits
    np.testing.assert_allclose(class_bounds([30, 1, 11, 1, 10, 2], 3, "natural"),
                               [1, 2, 11, 30])


def test_missing_values_get_no_class_and_do_not_move_bounds():
    values = pd.Series([1.0, np.nan, 3.0, 2.0, None], index=list("abcde"))
    bounds = class_bounds(values, 2, "equal")
    np.testing.assert_allclose(bounds, [1, 2, 3])
    classes = assign_classes(values, bounds)
    assert classes.isna().tolist() == [False, True, False, False, True]
    assert classes.dropna().tolist() == [0, 1, 0]


def test_ties_collapse_to_fewer_classes():
    values = [5, 5, 5, 5, 7]
    bounds = class_bounds(values, 4, "quantiles")  # quantiles 5, 5, 5, 7
    np.testing.assert_allclose(bounds, [5, 5, 7])
    assert class_labels(bounds) == ["5,0", "de 5,0 à 7,0"]
    assert class_bounds([3.0, 3.0], 5).tolist() == [3.0, 3.0]
    assert class_bounds([np.nan, np.nan], 5).size == 0
    assert assign_classes(pd.Series([np.nan]), []).isna().all()


def test_labels_in_french_format():
    labels = class_labels([1000, 2500.4, 12000], "€")
    assert labels == [f"de 1{T}000 à 2{T}500{U}€", f"de 2{T}500 à 12{T}000{U}€"]
    # one decimal for % by default; more when needed to keep bounds apart
    assert class_labels([10, 12.5, 15], "%") == [f"de 10,0 à 12,5{U}%", f"de 12,5 à 15,0{U}%"]
    assert class_labels([0.11, 0.12, 0.13], "%")[0] == f"de 0,11 à 0,12{U}%"


def test_bad_arguments_are_refused_in_french():
    with pytest.raises(FigureError, match="Méthode de classes inconnue"):
        class_bounds([1, 2, 3], 3, "jenks")
    with pytest.raises(FigureError, match="au moins 1 classe"):
        class_bounds([1, 2, 3], 0)
    with pytest.raises(FigureError, match="sortent des bornes"):
        assign_classes(pd.Series([1.0, 50.0]), [0, 10, 20])
