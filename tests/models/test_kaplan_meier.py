"""Tests for the Kaplan–Meier retention curves (issue 15, point 4)."""

from __future__ import annotations

import math

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import norm

from relmark import ValidationError
from relmark.models.kaplan_meier import RetentionCurve, kaplan_meier, tenures_from_survivors
from tests.strategies import survivor_counts

# Fader & Hardie (2007), "How to project customer retention", J. Interactive Marketing 21(1),
# Table 1: customers still active at the start of years 1-13 (after 0-12 years) of two cohorts
# of 1,000 (the same figures as tests/models/test_shifted_beta_geo.py; years 8-12 confirmed
# against a second public copy of the table: 22.3 20.7 19.4 18.3 17.3 and 46.8 44.5 42.7
# 40.9 39.4 per cent).
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]

# A hand example: 8 subscribers, ties at periods 2 and 4, censoring at 2, 3 and 4.
HAND_TENURE = [1, 2, 2, 2, 3, 4, 4, 5]
HAND_CHURNED = [True, True, True, False, False, True, False, True]


def reference_km(
    tenure: list[float], churned: list[bool], weights: list[float] | None = None
) -> dict[float, tuple[float, float, float, float, float]]:
    """A plain loop over the distinct times > 0: (n, d, c, S, Greenwood sum) at each."""
    w = [1.0] * len(tenure) if weights is None else weights
    rows = {}
    s, greenwood = 1.0, 0.0
    for time in sorted({t for t in tenure if t > 0}):
        n = sum(wi for t, wi in zip(tenure, w, strict=True) if t >= time)
        d = sum(wi for t, e, wi in zip(tenure, churned, w, strict=True) if t == time and e)
        c = sum(wi for t, e, wi in zip(tenure, churned, w, strict=True) if t == time and not e)
        s *= 1.0 - d / n
        if n > d:
            greenwood += d / (n * (n - d))
        rows[time] = (n, d, c, s, greenwood)
    return rows


def test_hand_computation_of_survival_greenwood_and_band() -> None:
    # t   n  d  c   S(t)                      Greenwood sum d / (n (n - d))
    # 1   8  1  0   7/8             = 0.875    1/56
    # 2   7  2  1   7/8 * 5/7       = 0.625    1/56 + 2/35                = 0.075
    # 3   4  0  1   0.625                      0.075
    # 4   3  1  1   0.625 * 2/3     = 0.41667  0.075 + 1/6                = 0.241667
    # 5   1  1  0   0 (the last subscriber at risk churns)
    # Var S(2) = 0.625^2 * 0.075 = 0.029296875; Var S(4) = (5/12)^2 * 0.241667 = 0.0419560.
    # 95 % log(-log) band at t = 2: sigma = sqrt(0.075) / |ln 0.625| = 0.582677,
    # z sigma = 1.959964 * 0.582677 = 1.142026, lower = 0.625^exp(1.142026) = 0.625^3.13305
    # = 0.22933, upper = 0.625^exp(-1.142026) = 0.625^0.319178 = 0.86070.
    curve = kaplan_meier(HAND_TENURE, HAND_CHURNED, level=0.95)
    assert curve.discrete
    np.testing.assert_array_equal(curve.time, [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(curve.at_risk, [8, 7, 4, 3, 1])
    np.testing.assert_array_equal(curve.churned, [1, 2, 0, 1, 1])
    np.testing.assert_array_equal(curve.censored, [0, 1, 1, 1, 0])
    np.testing.assert_allclose(curve.survival, [0.875, 0.625, 0.625, 5 / 12, 0.0], rtol=1e-14)
    np.testing.assert_allclose(curve.retention_rate, [7 / 8, 5 / 7, 1.0, 2 / 3, 0.0])
    np.testing.assert_allclose(
        curve.std_error**2,
        [0.875**2 / 56, 0.029296875, 0.029296875, (5 / 12) ** 2 * (0.075 + 1 / 6), 0.0],
        rtol=1e-12,
    )
    assert curve.lower[1] == pytest.approx(0.22933, abs=5e-6)
    assert curve.upper[1] == pytest.approx(0.86070, abs=5e-6)
    assert curve.lower[4] == curve.upper[4] == 0.0
    assert curve.median_lifetime() == 4.0
    # 1 + 0.875 + 0.625 + 0.625 + 5/12 (S reached 0, so any horizon is known)
    assert curve.restricted_mean_lifetime(5) == pytest.approx(3.541666666666667, rel=1e-14)
    assert curve.restricted_mean_lifetime(9) == pytest.approx(3.541666666666667, rel=1e-14)
    assert curve.restricted_mean_lifetime(2.5) == pytest.approx(1 + 0.875 + 0.5 * 0.625)


def test_greenwood_against_published_survfit_output() -> None:
    # The acute myelogenous leukaemia data (Miller 1981; R's survival::aml, S-PLUS's
    # `leukemia`), 23 patients, 5 censored (+).  T. Therneau's S-news post of November 2000
    # ("survfit" standard errors, www.biostat.wustl.edu/archives/html/s-news/2000-11/
    # msg00179.html) prints survfit's summary: time 5: n.risk 23, n.event 2, survival
    # 0.9130, std.err 0.0588; time 8: 21, 2, 0.8261, 0.0790; time 9: 19, 1, 0.7826, 0.0860;
    # and the standard errors of the cumulative hazard 0.06434895, 0.09567297, 0.10989675,
    # 0.12387602, 0.13791932 (= std_error / survival, Greenwood's sum square-rooted).
    maintained = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161]
    maintained_event = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0]
    not_maintained = [5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45]
    not_maintained_event = [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]
    curve = kaplan_meier(
        maintained + not_maintained,
        np.array(maintained_event + not_maintained_event, dtype=bool),
        discrete=False,
    )
    event = curve.churned > 0
    np.testing.assert_array_equal(curve.time[event][:3], [5, 8, 9])
    np.testing.assert_array_equal(curve.at_risk[event][:3], [23, 21, 19])
    np.testing.assert_allclose(
        curve.survival[event][:5], [0.91304348, 0.82608696, 0.78260870, 0.73913043, 0.69565217]
    )
    np.testing.assert_allclose(curve.std_error[event][:3], [0.0588, 0.0790, 0.0860], atol=5e-5)
    np.testing.assert_allclose(
        (curve.std_error / curve.survival)[event][:5],
        [0.06434895, 0.09567297, 0.10989675, 0.12387602, 0.13791932],
        rtol=1e-7,
    )
    assert curve.subscribers.tolist() == [23.0] and curve.censored.sum() == 5


def test_continuous_times_give_the_same_steps_without_retention_rates() -> None:
    half = [t / 2 for t in HAND_TENURE]
    curve = kaplan_meier(half, HAND_CHURNED, level=0.95)
    assert not curve.discrete and curve.retention_rate is None
    discrete = kaplan_meier(HAND_TENURE, HAND_CHURNED, level=0.95)
    np.testing.assert_array_equal(curve.time, discrete.time / 2)
    np.testing.assert_allclose(curve.survival, discrete.survival, rtol=1e-14)
    np.testing.assert_allclose(curve.lower, discrete.lower, rtol=1e-12)
    # whole numbers as continuous times: rows only where something happens
    gappy = kaplan_meier([1, 5, 5], [True, True, False], discrete=False)
    np.testing.assert_array_equal(gappy.time, [1, 5])
    spread = kaplan_meier([1, 5, 5], [True, True, False])
    np.testing.assert_array_equal(spread.time, [1, 2, 3, 4, 5])
    np.testing.assert_allclose(spread.survival, [2 / 3, 2 / 3, 2 / 3, 2 / 3, 1 / 3])
    assert "retention_rate" not in gappy.to_dict()


@pytest.mark.parametrize("alive", [REGULAR, HIGH_END], ids=["regular", "high end"])
def test_table_1_survival_is_reproduced_exactly(alive: list[int]) -> None:
    tenure, churned = tenures_from_survivors(alive)
    assert tenure.size == 1000 and int((~churned).sum()) == alive[-1]
    curve = kaplan_meier(tenure, churned)
    share = np.array(alive[1:]) / 1000
    np.testing.assert_array_equal(curve.time, np.arange(1, 13))
    np.testing.assert_allclose(curve.survival, share, rtol=1e-13)
    np.testing.assert_allclose(curve.at_risk, alive[:-1])
    np.testing.assert_allclose(curve.retention_rate, np.array(alive[1:]) / alive[:-1], rtol=1e-13)
    np.testing.assert_array_equal(curve.censored, [0] * 11 + [alive[-1]])
    # no censoring before the end: Greenwood is the binomial variance S (1 - S) / n
    np.testing.assert_allclose(curve.std_error**2, share * (1 - share) / 1000, rtol=1e-10)
    assert np.all((curve.lower < curve.survival) & (curve.survival < curve.upper))
    # the survivors after year 7 censored (the paper's calibration data): years 1-7 unchanged
    cut = kaplan_meier(*tenures_from_survivors(alive[:8]))
    np.testing.assert_allclose(cut.survival, curve.survival[:7], rtol=1e-15)
    np.testing.assert_allclose(cut.lower, curve.lower[:7], rtol=1e-15)


@pytest.mark.parametrize("alive", [REGULAR, HIGH_END], ids=["regular", "high end"])
def test_censoring_at_year_4_leaves_the_curve_up_to_year_4_unchanged(alive: list[int]) -> None:
    tenure, churned = tenures_from_survivors(alive)
    full = kaplan_meier(tenure, churned)
    # every tenure censored at 4
    all_cut = kaplan_meier(np.minimum(tenure, 4), churned & (tenure <= 4))
    np.testing.assert_allclose(all_cut.survival, full.survival[:4], rtol=1e-15)
    assert all_cut.censored[-1] == alive[4]
    # only every other customer still there after 4 years censored at 4 (a later cohort)
    late = (tenure > 4) & (np.arange(tenure.size) % 2 == 0)
    some_cut = kaplan_meier(np.where(late, 4, tenure), churned & ~late)
    np.testing.assert_allclose(some_cut.survival[:4], full.survival[:4], rtol=1e-15)
    assert some_cut.censored[3] == late.sum()
    # beyond year 4 the estimate uses the survivors left: about the full data's
    np.testing.assert_allclose(some_cut.survival[4:], full.survival[4:], atol=0.02)
    assert np.all(some_cut.std_error[4:] > full.std_error[4:])


def test_groups_give_each_group_its_own_curve() -> None:
    tenure = np.r_[tenures_from_survivors(REGULAR)[0], tenures_from_survivors(HIGH_END)[0]]
    churned = np.r_[tenures_from_survivors(REGULAR)[1], tenures_from_survivors(HIGH_END)[1]]
    label = np.repeat(["regular", "high end"], 1000)
    curves = kaplan_meier(tenure, churned, groups=label)
    assert curves.groups is not None and curves.groups.tolist() == ["high end", "regular"]
    np.testing.assert_array_equal(curves.subscribers, [1000, 1000])
    np.testing.assert_allclose(curves.curve("regular").survival, np.array(REGULAR[1:]) / 1000)
    np.testing.assert_allclose(curves.curve("high end").survival, np.array(HIGH_END[1:]) / 1000)
    assert curves.survival_at(7, group="high end") == pytest.approx(0.491)
    assert curves.median_lifetime(group="regular") == 2.0
    assert curves.median_lifetime(group="high end") == 7.0  # 49.1 % left after year 7
    columns = curves.to_dict()
    assert next(iter(columns)) == "group" and columns["group"].size == 24
    frame = curves.to_pandas()
    assert frame.shape == (24, 10)
    assert frame.loc[frame["group"] == "regular", "survival"].iloc[-1] == pytest.approx(0.173)
    with pytest.raises(ValidationError, match="this curve has groups"):
        curves.median_lifetime()
    with pytest.raises(ValidationError, match="`group` must be one of 'high end', 'regular'"):
        curves.curve("premium")
    with pytest.raises(ValidationError, match="only for curves estimated with `groups`"):
        curves.curve("regular").curve("regular")


def test_integer_groups_and_weights() -> None:
    # weights of 2 are two identical subscribers
    weighted = kaplan_meier([1, 2, 3], [True, False, True], weights=[2, 1, 2], groups=[7, 7, 7])
    repeated = kaplan_meier([1, 1, 2, 3, 3], [True, True, False, True, True], groups=[7] * 5)
    np.testing.assert_allclose(weighted.survival, repeated.survival)
    np.testing.assert_allclose(weighted.upper, repeated.upper)
    assert weighted.curve(7).survival_at(1.5) == pytest.approx(0.6)
    assert weighted.curve(np.int64(7)).subscribers.tolist() == [5.0]
    with pytest.raises(ValidationError, match="got '7'"):
        weighted.curve("7")


def test_step_function_median_and_restricted_mean() -> None:
    tenure, churned = tenures_from_survivors(HIGH_END[:8])
    curve = kaplan_meier(tenure, churned)
    np.testing.assert_allclose(
        curve.survival_at([0, 0.5, 1, 2.99, 7, 7.5]), [1, 1, 0.869, 0.743, 0.491, 0.491]
    )
    assert isinstance(curve.survival_at(3), float)
    assert curve.median_lifetime() == 7.0  # 49.1 % still there after 7 years
    early = kaplan_meier(*tenures_from_survivors(HIGH_END[:6]))
    assert early.median_lifetime() == math.inf  # 55.1 % still there after 5 years
    # sum of S(0..6): 1 + .869 + .743 + .653 + .593 + .551 + .517
    assert curve.restricted_mean_lifetime(7) == pytest.approx(4.926, rel=1e-12)
    with pytest.raises(ValidationError, match=r"`horizon` must be <= the last time of the curve"):
        curve.restricted_mean_lifetime(8)
    with pytest.raises(ValidationError, match="`horizon` must be > 0"):
        curve.restricted_mean_lifetime(0)
    with pytest.raises(ValidationError, match="`t` must be >= 0"):
        curve.survival_at(-1)
    assert repr(curve) == "RetentionCurve(7 periods, 1000 subscribers, level=0.9)"


def test_censored_at_zero_count_in_no_row() -> None:
    curve = kaplan_meier([0, 0, 1, 2], [False, False, True, False])
    np.testing.assert_array_equal(curve.at_risk, [2, 1])
    np.testing.assert_allclose(curve.survival, [0.5, 0.5])
    assert curve.subscribers.tolist() == [4.0]
    only_zero = kaplan_meier([0, 0, 3], [False, False, True], groups=["a", "a", "b"])
    assert only_zero.curve("a").survival_at(5) == 1.0
    assert only_zero.curve("b").survival.tolist() == [1.0, 1.0, 0.0]


def test_tenures_from_survivors_expand_counts() -> None:
    tenure, churned = tenures_from_survivors([4, 4, 1, 0])
    assert tenure.tolist() == [2, 2, 2, 3]
    assert churned.tolist() == [True] * 4
    assert not tenure.flags.writeable and not churned.flags.writeable
    with pytest.raises(ValidationError, match="`alive` must be whole numbers"):
        tenures_from_survivors([10, 5.5])
    with pytest.raises(ValidationError, match="`alive` must not increase"):
        tenures_from_survivors([10, 11])
    with pytest.raises(ValidationError, match="`alive` needs the cohort size"):
        tenures_from_survivors([10])
    with pytest.raises(ValidationError, match="at most 100,000,000 are supported"):
        tenures_from_survivors([1e12, 1])


# ---------------------------------------------------------------------------- properties


@st.composite
def tenures(draw: st.DrawFn, *, whole: bool = True) -> tuple[list[float], list[bool]]:
    n = draw(st.integers(1, 40))
    if whole:
        times = draw(st.lists(st.integers(1, 12), min_size=n, max_size=n))
    else:
        times = draw(st.lists(st.floats(0.01, 50.0, allow_nan=False), min_size=n, max_size=n))
    flags = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    return [float(t) for t in times], flags


@given(tenures(), st.floats(0.5, 0.99))
def test_survival_falls_and_the_band_holds_it(
    data: tuple[list[float], list[bool]], level: float
) -> None:
    tenure, churned = data
    curve = kaplan_meier(tenure, churned, level=level)
    assert np.all(np.diff(curve.survival) <= 0)
    assert np.all((curve.survival >= 0) & (curve.survival <= 1))
    assert np.all((curve.lower >= 0) & (curve.lower <= curve.survival))
    assert np.all((curve.upper <= 1) & (curve.upper >= curve.survival))
    assert not any(np.isnan(col).any() for col in curve.to_dict().values())
    reference = reference_km(tenure, churned)
    np.testing.assert_allclose(curve.time, [t for t in range(1, int(max(tenure)) + 1)])
    for i, time in enumerate(curve.time):
        if time in reference:
            n, d, c, s, _ = reference[time]
            assert (curve.at_risk[i], curve.churned[i], curve.censored[i]) == (n, d, c)
            assert curve.survival[i] == pytest.approx(s, rel=1e-12, abs=1e-15)


@given(tenures(whole=False))
def test_continuous_curve_matches_the_loop(data: tuple[list[float], list[bool]]) -> None:
    tenure, churned = data
    curve = kaplan_meier(tenure, churned, level=0.9)
    reference = reference_km(tenure, churned)
    np.testing.assert_array_equal(curve.time, sorted(reference))
    expected = np.array([reference[t] for t in sorted(reference)])
    np.testing.assert_array_equal(curve.at_risk, expected[:, 0])
    np.testing.assert_allclose(curve.survival, expected[:, 3], rtol=1e-12, atol=1e-15)
    z = norm.ppf(0.95)
    s, gw = expected[:, 3], expected[:, 4]
    inner = (s > 0) & (s < 1)
    sigma = np.sqrt(gw[inner]) / np.abs(np.log(s[inner]))
    np.testing.assert_allclose(curve.lower[inner], s[inner] ** np.exp(z * sigma), rtol=1e-9)
    np.testing.assert_allclose(curve.upper[inner], s[inner] ** np.exp(-z * sigma), rtol=1e-9)


@given(st.lists(st.integers(1, 15), min_size=1, max_size=60))
def test_without_censoring_survival_is_the_empirical_share(times: list[int]) -> None:
    curve = kaplan_meier(times, [True] * len(times))
    t = np.array(times)
    share = np.array([(t > k).mean() for k in curve.time])
    np.testing.assert_allclose(curve.survival, share, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(curve.std_error**2, share * (1 - share) / t.size, atol=1e-14)


@given(tenures(), st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter(data: tuple[list[float], list[bool]], seed: int) -> None:
    tenure, churned = data
    order = np.random.default_rng(seed).permutation(len(tenure))
    shuffled = kaplan_meier(np.array(tenure)[order], np.array(churned)[order])
    curve = kaplan_meier(tenure, churned)
    for name, column in curve.to_dict().items():
        np.testing.assert_allclose(shuffled.to_dict()[name], column, rtol=1e-12, atol=1e-15)


@given(tenures(), st.data())
def test_whole_weights_are_repeated_subscribers(
    data: tuple[list[float], list[bool]], extra: st.DataObject
) -> None:
    tenure, churned = data
    weights = extra.draw(st.lists(st.integers(1, 4), min_size=len(tenure), max_size=len(tenure)))
    weighted = kaplan_meier(tenure, churned, weights=weights)
    repeated = kaplan_meier(np.repeat(tenure, weights), np.repeat(churned, weights))
    for name, column in repeated.to_dict().items():
        np.testing.assert_allclose(weighted.to_dict()[name], column, rtol=1e-12, atol=1e-14)


@given(survivor_counts(max_cohort=500, max_periods=10))
def test_survivor_counts_give_their_shares(alive: list[int]) -> None:
    tenure, churned = tenures_from_survivors(alive)
    curve = kaplan_meier(tenure, churned)
    expected = np.array(alive[1:]) / alive[0]
    assert curve.survival_at(np.arange(1, len(alive))) == pytest.approx(expected, rel=1e-12)


@given(
    st.lists(
        st.tuples(st.integers(1, 8), st.booleans(), st.sampled_from("abc")),
        min_size=1,
        max_size=50,
    )
)
def test_a_grouped_curve_is_the_curves_of_its_groups(rows: list[tuple[int, bool, str]]) -> None:
    tenure = [float(r[0]) for r in rows]
    churned = [r[1] for r in rows]
    group = [r[2] for r in rows]
    curves = kaplan_meier(tenure, churned, groups=group)
    assert curves.groups is not None
    for label in curves.groups.tolist():
        mine = [i for i, g in enumerate(group) if g == label]
        alone = kaplan_meier([tenure[i] for i in mine], [churned[i] for i in mine])
        one = curves.curve(label)
        for name, column in alone.to_dict().items():
            np.testing.assert_allclose(one.to_dict()[name], column, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------- bad input


def test_results_are_read_only() -> None:
    curve = kaplan_meier(HAND_TENURE, HAND_CHURNED)
    assert isinstance(curve, RetentionCurve)
    with pytest.raises(ValueError, match="read-only"):
        curve.survival[0] = 1.0
    with pytest.raises(ValidationError, match="must have the same length"):
        attrs.evolve(curve, survival=curve.survival[:-1])
    with pytest.raises(ValidationError, match="`lower` must be <= `survival`"):
        attrs.evolve(curve, lower=curve.upper)
    with pytest.raises(ValidationError, match="`group` and `groups` must both be given"):
        attrs.evolve(curve, groups=np.array(["a"]))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"tenure": [], "churned": []}, ValidationError, "`tenure` is empty"),
        ({"tenure": [1, -1], "churned": [1, 0]}, ValidationError, "`tenure` must be >= 0"),
        ({"tenure": [1, np.nan], "churned": [1, 0]}, ValidationError, "`tenure` must not be NaN"),
        ({"tenure": [0, 1], "churned": [1, 0]}, ValidationError, "must be > 0 for subscribers"),
        ({"tenure": [1, 2], "churned": [1]}, ValidationError, "must have the same length"),
        ({"tenure": [1, 2], "churned": [1, 2]}, ValidationError, "`churned` must be True/False"),
        ({"tenure": "12", "churned": [1]}, TypeError, "`tenure` must be an array of numbers"),
        ({"tenure": [1], "churned": "1"}, TypeError, "`churned` must be an array of True/False"),
        ({"tenure": [1], "churned": [1], "level": 1.0}, ValidationError, "`level` must be < 1"),
        ({"tenure": [1], "churned": [1], "level": 0}, ValidationError, "`level` must be > 0"),
        ({"tenure": [1], "churned": [1], "level": "90%"}, TypeError, "`level` must be a real"),
        ({"tenure": [1], "churned": [1], "weights": [0]}, ValidationError, "`weights` must be > 0"),
        ({"tenure": [1], "churned": [1], "weights": [1, 2]}, ValidationError, "same length"),
        ({"tenure": [1.5], "churned": [1], "discrete": True}, ValidationError, "whole numbers"),
        ({"tenure": [1], "churned": [1], "discrete": 1}, TypeError, "`discrete` must be True"),
        ({"tenure": [1e6], "churned": [1]}, ValidationError, "pass `discrete=False`"),
        ({"tenure": [1], "churned": [1], "groups": "a"}, TypeError, "`groups` must be an array"),
        ({"tenure": [1], "churned": [1], "groups": [1, 2]}, ValidationError, "one label per"),
        ({"tenure": [1], "churned": [1], "groups": [[1]]}, ValidationError, "one-dimensional"),
        ({"tenure": [1], "churned": [1], "groups": [np.nan]}, ValidationError, "must not be NaN"),
        ({"tenure": [1], "churned": [1], "groups": [None]}, ValidationError, "must not be None"),
        (
            {"tenure": [1, 2], "churned": [1, 1], "groups": np.array([1, "a"], dtype=object)},
            TypeError,
            "`groups` must hold labels of one comparable kind",
        ),
    ],
)
def test_bad_input_is_refused(kwargs: dict[str, object], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        kaplan_meier(**kwargs)  # type: ignore[arg-type]


def test_large_discrete_grids_are_refused_before_work() -> None:
    # 200 groups each observed for 60,000 periods: 12 million rows
    groups = np.arange(200)
    with pytest.raises(ValidationError, match="at most 10,000,000 are supported"):
        kaplan_meier(np.full(200, 60_000.0), np.ones(200, dtype=bool), groups=groups)
    continuous = kaplan_meier(np.full(200, 60_000.0), np.ones(200, dtype=bool), groups=groups,
                              discrete=False)  # fmt: skip
    assert len(continuous) == 200 and np.all(continuous.survival == 0.0)
