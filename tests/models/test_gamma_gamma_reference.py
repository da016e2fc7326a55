"""Gamma-Gamma spend model against 50-digit mpmath evaluations of its likelihood and means.

The promise checked here: for ``p``, ``q``, ``gamma`` in 1e-3..1e3, frequencies
up to 10,000 and mean spends in 1e-2..1e4, the log-likelihood, the expected
spend given a history and the population mean spend are finite and exact --
the log-likelihood to a relative 1e-9 (1e-12 absolute where it is near 0), the
means to a relative 1e-8.

References (mpmath, 50 significant digits, computed here): the density of the
mean spend ``m`` of ``x`` transactions (Fader, Hardie & Lee 2005, "RFM and
CLV", eq. 3 and footnote; Colombo & Jiang 1999; Fader & Hardie 2013, note 025,
eq. 4)

    f(m | p, q, gamma, x) = Gamma(px + q) / (Gamma(px) Gamma(q))
                            * gamma^q m^(px - 1) x^(px) / (gamma + m x)^(px + q),

the conditional mean E[M | p, q, gamma, m, x] = p (gamma + m x) / (px + q - 1)
(Fader, Hardie & Lee 2005, eq. 5) and E[M] = p gamma / (q - 1).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark import CustomerSummary, GammaGamma, ValidationError
from tests.strategies import log_uniform

mpmath = pytest.importorskip("mpmath")
DPS = 50


def ref_log_likelihood(p: float, q: float, g: float, x: int, m: float) -> float:
    with mpmath.workdps(DPS):
        p_, q_, g_, m_ = (mpmath.mpf(v) for v in (p, q, g, m))
        px = p_ * x
        return float(
            mpmath.loggamma(px + q_)
            - mpmath.loggamma(px)
            - mpmath.loggamma(q_)
            + q_ * mpmath.log(g_)
            + (px - 1) * mpmath.log(m_)
            + px * mpmath.log(x)
            - (px + q_) * mpmath.log(g_ + m_ * x)
        )


def ref_expected_spend(p: float, q: float, g: float, x: int, m: float) -> float:
    with mpmath.workdps(DPS):
        p_, q_, g_, m_ = (mpmath.mpf(v) for v in (p, q, g, m))
        return float(p_ * (g_ + m_ * x) / (p_ * x + q_ - 1))


def ref_population_mean(p: float, q: float, g: float) -> float:
    with mpmath.workdps(DPS):
        return float(mpmath.mpf(p) * g / (mpmath.mpf(q) - 1))


def _check(name: str, got: Any, ref: Any, rtol: float, atol: float, where: Any) -> None:
    got_a, ref_a = np.asarray(got, dtype=float), np.asarray(ref, dtype=float)
    assert np.all(np.isfinite(got_a)), f"{name}: not finite ({where})"
    error = np.abs(got_a - ref_a) / np.maximum(rtol * np.abs(ref_a), atol)
    worst = int(np.argmax(error))
    assert error[worst] <= 1.0, (
        f"{name}: {int((error > 1).sum())} of {error.size} off; worst {got_a[worst]!r} against "
        f"{ref_a[worst]!r} at row {worst} of {where}"
    )


def _parameters(q_above_one: bool) -> list[tuple[float, float, float]]:
    rng = np.random.default_rng(20_240_614 + q_above_one)
    low_q = 0.0 if q_above_one else -3.0
    params = [
        (
            float(10.0 ** rng.uniform(-3, 3)),
            float(10.0 ** rng.uniform(low_q, 3)),
            float(10.0 ** rng.uniform(-3, 3)),
        )
        for _ in range(20)
    ]
    qs = (1.0 + 1e-9, 2.0, 1e3) if q_above_one else (1e-3, 1.0, 1e3)
    return params + list(itertools.product((1e-3, 1e3), qs, (1e-3, 1e3)))


def _rows(seed: int, p: float, q: float, g: float) -> tuple[np.ndarray, np.ndarray]:
    """80 histories: frequencies log-uniform in 1..1e4, spends in 1e-2..1e4, and edges."""
    rng = np.random.default_rng(seed)
    x = np.concatenate(
        [[1.0, 1.0, 10_000.0, 10_000.0, 10_000.0], np.round(10.0 ** rng.uniform(0, 4, 75))]
    )
    typical = p * g / q  # the spend where the density peaks for large x
    m = np.concatenate([[1e-2, 1e4, 1e-2, 1e4, typical], 10.0 ** rng.uniform(-2, 4, 75)])
    return x, m


def _summary(x: np.ndarray, m: np.ndarray) -> CustomerSummary:
    return CustomerSummary.from_arrays(x, x, x + 1.0, monetary_value=m)


@pytest.mark.parametrize(("p", "q", "gamma"), _parameters(q_above_one=False))
def test_log_likelihood_matches_the_density(p: float, q: float, gamma: float) -> None:
    x, m = _rows(int(p * 1e6) % 2**32, p, q, gamma)
    model = GammaGamma(p=p, q=q, gamma=gamma)
    ref = [ref_log_likelihood(p, q, gamma, int(a), float(b)) for a, b in zip(x, m, strict=True)]
    where = (p, q, gamma)
    # 80 rows at once (the per-frequency table) and a few alone (one evaluation per row)
    _check("log-likelihood", model.customer_log_likelihood(_summary(x, m)), ref, 1e-9, 1e-12, where)
    alone = model.customer_log_likelihood(_summary(x[:6], m[:6]))
    _check("log-likelihood (alone)", alone, ref[:6], 1e-9, 1e-12, where)


@pytest.mark.parametrize(("p", "q", "gamma"), _parameters(q_above_one=True))
def test_expected_spend_and_population_mean_match(p: float, q: float, gamma: float) -> None:
    x, m = _rows(int(q * 1e6) % 2**32, p, q, gamma)
    x[-1], m[-1] = 0.0, 0.0  # no repeat purchase: the population mean
    model = GammaGamma(p=p, q=q, gamma=gamma)
    ref = [ref_expected_spend(p, q, gamma, int(a), float(b)) for a, b in zip(x, m, strict=True)]
    _check("E[M | x, m]", model.expected_spend(_summary(x, m)), ref, 1e-8, 1e-300, (p, q, gamma))
    mean = ref_population_mean(p, q, gamma)
    _check("E[M]", [model.population_mean_spend()], [mean], 1e-8, 1e-300, (p, q, gamma))
    assert ref[-1] == pytest.approx(mean, rel=1e-15)


# ---------------------------------------------------------------------------- properties


@settings(max_examples=40)
@given(
    p=log_uniform(),
    q=log_uniform(1.0 + 1e-6, 1e3),
    gamma=log_uniform(),
    x=st.integers(0, 10_000),
    m=log_uniform(1e-2, 1e4),
)
def test_expected_spend_lies_between_own_and_population_mean(
    p: float, q: float, gamma: float, x: int, m: float
) -> None:
    model = GammaGamma(p=p, q=q, gamma=gamma)
    spend = model.expected_spend(_summary(np.array([float(x)]), np.array([m if x else 0.0])))[0]
    mean = model.population_mean_spend()
    own = m if x else mean
    slack = 4 * np.finfo(float).eps
    assert math.isfinite(spend)
    assert min(own, mean) * (1 - slack) <= spend <= max(own, mean) * (1 + slack)


@settings(max_examples=40)
@given(
    p=log_uniform(),
    q=log_uniform(),
    gamma=log_uniform(),
    x=st.integers(1, 10_000),
    m=log_uniform(1e-2, 1e4),
)
def test_log_likelihood_is_finite(p: float, q: float, gamma: float, x: int, m: float) -> None:
    ll = GammaGamma(p=p, q=q, gamma=gamma).customer_log_likelihood(
        _summary(np.array([float(x)]), np.array([m]))
    )
    assert np.all(np.isfinite(ll))


def test_means_need_q_above_one() -> None:
    model = GammaGamma(p=2.0, q=1.0, gamma=10.0)
    with pytest.raises(ValidationError, match=r"`q` > 1.*got q=1\.0"):
        model.population_mean_spend()
    with pytest.raises(ValidationError, match=r"`q` > 1.*got q=1\.0"):
        model.expected_spend(_summary(np.array([2.0]), np.array([5.0])))
