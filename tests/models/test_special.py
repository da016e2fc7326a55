"""The exact log-gamma ratios behind the beta-type models, against 50-digit mpmath."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from relmark.models import _special
from relmark.models._special import (
    log_beta,
    log_beta_ratio,
    log_gamma_ratio,
    log_rising_ratio,
    log_rising_ratio_slope,
    log_rising_ratio_steps,
)

mpmath = pytest.importorskip("mpmath")
DPS = 50


def _relative(got: np.ndarray, ref: list[float]) -> float:
    ref_a = np.asarray(ref)
    return float(np.max(np.abs(got - ref_a) / np.maximum(np.abs(ref_a), 1e-300)))


def _ref_rising(z: float, e: float, h: int) -> float:
    with mpmath.workdps(DPS):
        z_, e_ = mpmath.mpf(z), mpmath.mpf(e)
        return float(
            mpmath.loggamma(z_ + e_ + h)
            - mpmath.loggamma(z_ + e_)
            - mpmath.loggamma(z_ + h)
            + mpmath.loggamma(z_)
        )


def test_log_rising_ratio_is_exact_over_a_wide_range() -> None:
    # z in 1e-3..1e5, shifts of either sign from 1e-16 to 1e4 (z + e > 0), h up to 1e5
    rng = np.random.default_rng(5)
    size = 600
    z = 10.0 ** rng.uniform(-3, 5, size)
    magnitude = 10.0 ** rng.uniform(-16, 4, size)
    e = np.where(
        rng.uniform(size=size) < 0.5, -np.minimum(magnitude, z * rng.uniform(size=size)), magnitude
    )
    h = np.floor(10.0 ** rng.uniform(0, 5, size))
    h[:100] = rng.integers(0, 30, 100)
    got = log_rising_ratio(z, e, h)
    ref = [_ref_rising(*args) for args in zip(z, e, h.astype(int), strict=True)]
    assert _relative(got, ref) < 1e-14


def test_slope_at_zero_shift_is_the_digamma_difference() -> None:
    z = np.array([1e-3, 0.5, 12.0, 1e3, 1e4])
    h = np.array([5.0, 1e4, 3.0, 1.0, 1e4])
    with mpmath.workdps(DPS):
        ref = [
            float(mpmath.digamma(mpmath.mpf(a) + b) - mpmath.digamma(a))
            for a, b in zip(z, h, strict=True)
        ]
    assert _relative(log_rising_ratio_slope(z, 0.0, h), ref) < 1e-15
    # and next to 0 it is the divided difference itself (not the limit: at z = 1e-3 the slope
    # changes by 5e-10 relative between e = 0 and e = 1e-12)
    with mpmath.workdps(DPS):
        ref_near = [
            float(
                (
                    mpmath.loggamma(mpmath.mpf(a) + 1e-12 + b)
                    - mpmath.loggamma(mpmath.mpf(a) + 1e-12)
                    - mpmath.loggamma(mpmath.mpf(a) + b)
                    + mpmath.loggamma(a)
                )
                / mpmath.mpf(1e-12)
            )
            for a, b in zip(z, h, strict=True)
        ]
    assert _relative(log_rising_ratio_slope(z, 1e-12, h), ref_near) < 1e-14


def test_broadcasting_and_blocks_give_the_elementwise_values() -> None:
    rng = np.random.default_rng(1)
    z = rng.uniform(0.001, 300.0, (40, 1))
    e = rng.uniform(-0.0009, 50.0, (40, 1))
    h = np.arange(600.0)[None, :]  # 24,000 cells: more than one block
    together = log_rising_ratio(z, e, h)
    assert together.shape == (40, 600)
    for row in (0, 17, 39):
        alone = np.array(
            [log_rising_ratio(z[row, 0], e[row, 0], k)[()] for k in (0.0, 1.0, 9.0, 599.0)]
        )
        np.testing.assert_allclose(together[row, [0, 1, 9, 599]], alone, rtol=1e-15, atol=0)
    assert np.all(together[:, 0] == 0.0)


def test_steps_follow_the_exact_values_between_anchors() -> None:
    rng = np.random.default_rng(2)
    z = rng.uniform(0.001, 300.0, 30)
    e = rng.uniform(0.001, 1e3, 30)
    steps = log_rising_ratio_steps(1_000, (1.0, z, e), (-2.0, z + 1.0, 0.5))
    exact = log_rising_ratio(z[:, None], e[:, None], np.arange(1_000.0)) - 2.0 * log_rising_ratio(
        z[:, None] + 1.0, 0.5, np.arange(1_000.0)
    )
    np.testing.assert_allclose(steps, exact, rtol=1e-14, atol=1e-13)


def test_log_beta_ratio_gamma_ratio_and_log_beta_match_mpmath() -> None:
    rng = np.random.default_rng(3)
    a, b = 10.0 ** rng.uniform(-3, 3, (2, 200))
    u, v = np.floor(10.0 ** rng.uniform(0, 4, (2, 200)))
    w = 10.0 ** rng.uniform(-3, 7, 200)
    with mpmath.workdps(DPS):

        def lbeta(x: object, y: object) -> object:
            x, y = mpmath.mpf(x), mpmath.mpf(y)  # x + y in full precision
            return mpmath.loggamma(x) + mpmath.loggamma(y) - mpmath.loggamma(x + y)

        ref_ratio = [
            float(lbeta(mpmath.mpf(p) + s, mpmath.mpf(q) + t) - lbeta(p, q))
            for p, q, s, t in zip(a, b, u, v, strict=True)
        ]
        ref_gamma = [
            float(mpmath.loggamma(mpmath.mpf(p) + q) - mpmath.loggamma(p))
            for p, q in zip(w, b, strict=True)
        ]
        ref_beta = [float(lbeta(mpmath.mpf(p), mpmath.mpf(q))) for p, q in zip(w, a, strict=True)]
    assert _relative(log_beta_ratio(a, b, u, v), ref_ratio) < 1e-14
    ratio = log_gamma_ratio(w, b)
    large = w >= 10.0  # where log_beta uses it: relative accuracy
    assert _relative(ratio[large], list(np.asarray(ref_gamma)[large])) < 1e-14
    # below 10 the result passes through 0 (Gamma(z + w) = Gamma(z)): accuracy relative to
    # the size of the log-gamma values themselves
    scale = 1.0 + np.abs(np.log(w[~large])) + np.abs(np.asarray(ref_gamma)[~large])
    assert np.max(np.abs(ratio[~large] - np.asarray(ref_gamma)[~large]) / scale) < 1e-15
    assert _relative(log_beta(w, a), ref_beta) < 1e-13


def test_stirling_terms_are_only_dropped_where_negligible() -> None:
    # the thresholds fall with the term index, and 8 terms are used at the smallest argument
    bounds = _special._TERM_NEEDED_BELOW
    assert all(later < earlier for earlier, later in itertools.pairwise(bounds))
    assert min(bounds) > _special._LARGE
