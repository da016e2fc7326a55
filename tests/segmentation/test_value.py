"""Value concentration: value tiers, the Lorenz curve and the Gini coefficient."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import relmark
from relmark import ValidationError
from tests.strategies import amounts

money = amounts(st.integers(1, 80), max_value=1e6)


def test_gini_by_hand() -> None:
    assert relmark.gini([5.0, 5.0, 5.0, 5.0]) == 0.0
    assert relmark.gini([0.1] * 7) == 0.0  # exactly, despite 0.1 not being binary
    assert relmark.gini([0.0, 0.0]) == 0.0
    # sorted 0, 0, 0, 10: (-3*0 - 1*0 + 1*0 + 3*10) / (4 * 10) = 0.75 = (n - 1) / n
    assert relmark.gini([0.0, 10.0, 0.0, 0.0]) == pytest.approx(0.75)
    # 1, 2, 3: (-2*1 + 0*2 + 2*3) / (3 * 6) = 4/18
    assert relmark.gini([3.0, 1.0, 2.0]) == pytest.approx(4 / 18)
    # 1, 1, 4, 4: (-3 - 1 + 4 + 12) / (4 * 10) = 0.3
    assert relmark.gini([4.0, 1.0, 4.0, 1.0]) == pytest.approx(0.3)
    assert relmark.gini([1e308, 1e308, 0.0]) == pytest.approx(1 / 3)  # no overflow


def test_lorenz_by_hand() -> None:
    population, value = relmark.lorenz_curve([3.0, 1.0, 0.0, 4.0])
    assert population.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert value.tolist() == pytest.approx([0.0, 0.0, 0.125, 0.5, 1.0])
    flat = relmark.lorenz_curve([0.0, 0.0])
    assert flat[1].tolist() == flat[0].tolist() == [0.0, 0.5, 1.0]
    assert not population.flags.writeable


def test_value_tiers_by_hand() -> None:
    # total 100; value share held by the customers above: 0, .5, .8, .9, .9
    values = [50.0, 30.0, 10.0, 5.0, 5.0]
    assert relmark.value_tiers(values, shares=[0.8]).tolist() == [0, 0, 1, 1, 1]
    assert relmark.value_tiers(values, shares=[0.5, 0.85]).tolist() == [0, 1, 1, 2, 2]
    assert relmark.value_tiers(values).tolist() == [0, 0, 1, 1, 1]  # default 80 %, 95 %
    # ties share a tier whatever the order: 40, 40 hold 80 % together
    assert relmark.value_tiers([40.0, 20.0, 40.0], shares=[0.5]).tolist() == [0, 1, 0]
    assert relmark.value_tiers([0.0, 0.0], shares=[0.5]).tolist() == [1, 1]


@given(values=money)
def test_value_tiers_properties(values: np.ndarray) -> None:
    tiers = relmark.value_tiers(values, shares=[0.5, 0.8])
    assert set(tiers.tolist()) <= {0, 1, 2}
    order = np.argsort(-values, kind="stable")
    assert np.all(np.diff(tiers[order]) >= 0)  # more valuable: never a worse tier
    for value in np.unique(values):  # equal values: same tier
        assert len(set(tiers[values == value].tolist())) == 1
    total = values.sum()
    if total > 0:
        shares = [values[tiers == t].sum() / total for t in range(3)]
        assert sum(shares) == pytest.approx(1.0)
        assert shares[0] >= 0.5 - 1e-9  # the top tier holds at least its share
    permutation = np.random.default_rng(0).permutation(values.size)
    assert np.array_equal(relmark.value_tiers(values[permutation], shares=[0.5, 0.8]),
                          tiers[permutation])  # fmt: skip


@given(values=money)
def test_gini_and_lorenz_properties(values: np.ndarray) -> None:
    g = relmark.gini(values)
    assert 0.0 <= g < 1.0
    population, value = relmark.lorenz_curve(values)
    assert (population[0], value[0]) == (0.0, 0.0)
    assert population[-1] == 1.0 and value[-1] == pytest.approx(1.0)
    slopes = np.diff(value) / np.diff(population)
    assert np.all(np.diff(slopes) >= -1e-9)  # convex
    assert np.all(value <= population + 1e-12)  # below the diagonal
    area = np.sum((value[1:] + value[:-1]) / 2 * np.diff(population))  # trapezoids, exact
    assert g == pytest.approx(1 - 2 * area if values.sum() > 0 else 0.0, abs=1e-9)


@given(value=st.floats(1e-300, 1e300), n=st.integers(1, 50))
def test_gini_is_zero_for_equal_values(value: float, n: int) -> None:
    assert relmark.gini(np.full(n, value)) == 0.0


def test_bad_inputs() -> None:
    for function in (relmark.gini, relmark.lorenz_curve, relmark.value_tiers):
        with pytest.raises(ValidationError, match=r"^`values` is empty$"):
            function([])
        with pytest.raises(ValidationError, match=r"must be >= 0.*index 1"):
            function([1.0, -2.0])
        with pytest.raises(
            ValidationError, match=r"^`values` must not be NaN; 1 of 2 .*index 1\)$"
        ):
            function([1.0, np.nan])
        with pytest.raises(ValidationError, match=r"^`values` must be finite; 1 of 2 .*: inf\)$"):
            function([1.0, np.inf])
        with pytest.raises(TypeError, match=r"^`values` must be an array of numbers, got str$"):
            function("abc")
    for shares in ([0.9, 0.8], [0.0], [0.5, 1.2], []):
        with pytest.raises(ValidationError, match="increase within"):
            relmark.value_tiers([1.0, 2.0], shares=shares)
    with pytest.raises(TypeError, match="sequence"):
        relmark.value_tiers([1.0], shares=0.8)  # type: ignore[arg-type]
