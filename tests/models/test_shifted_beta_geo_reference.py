"""sBG against 50-digit mpmath evaluations of Fader & Hardie (2007, 2010).

The promise checked here: for ``alpha``, ``beta`` in 1e-3..1e3 and periods up
to 10,000, survival, churn probability, retention rate, expected lifetime,
(discounted) expected residual lifetime and the individual and survival
log-likelihoods are finite, in range and exact -- values to a relative 1e-8,
log-likelihoods to a relative 1e-9.

References (mpmath, 50 significant digits, computed here): Fader & Hardie
(2007) "How to project customer retention", eq. 6 P(T = t) = B(a + 1, b + t - 1)/B(a, b),
eq. 7 S(t) = B(a, b + t)/B(a, b), eq. 8 r(t) = (b + t - 1)/(a + b + t - 1) and the
log-likelihoods of Appendix B; Fader & Hardie (2010) eq. 6 for DERL, with
mpmath's ``hyp2f1``, and E[T] = (a + b - 1)/(a - 1).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark import ShiftedBetaGeo, ValidationError
from tests.strategies import log_uniform, model_parameters

mpmath = pytest.importorskip("mpmath")
DPS = 50


def _lbeta(a: Any, b: Any) -> Any:
    a, b = mpmath.mpf(a), mpmath.mpf(b)  # a + b in full precision, not in floats
    return mpmath.loggamma(a) + mpmath.loggamma(b) - mpmath.loggamma(a + b)


def ref_log_survival(a: float, b: float, t: int) -> float:
    with mpmath.workdps(DPS):
        return float(_lbeta(mpmath.mpf(a), mpmath.mpf(b) + t) - _lbeta(a, b))


def ref_log_churn(a: float, b: float, t: int) -> float:
    with mpmath.workdps(DPS):
        return float(_lbeta(mpmath.mpf(a) + 1, mpmath.mpf(b) + t - 1) - _lbeta(a, b))


def ref_retention(a: float, b: float, t: int) -> float:
    with mpmath.workdps(DPS):
        return float((mpmath.mpf(b) + t - 1) / (mpmath.mpf(a) + b + t - 1))


def ref_derl(a: float, b: float, s: int, d: float) -> float:
    with mpmath.workdps(DPS):
        a_, b_, d_ = mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(d)
        if d == 0:
            return float((b_ + s) / (a_ - 1)) if a > 1 else math.inf
        z = 1 / (1 + d_)
        return float((b_ + s) / (a_ + b_ + s) * mpmath.hyp2f1(1, b_ + s + 1, a_ + b_ + s + 1, z))


def ref_survival_log_likelihood(a: float, b: float, alive: list[int]) -> float:
    """Appendix B: sum of (n_{t-1} - n_t) log P(T = t) plus n_n log S(n), P by its recurrence."""
    with mpmath.workdps(DPS):
        a_, b_ = mpmath.mpf(a), mpmath.mpf(b)
        churn = a_ / (a_ + b_)  # P(T = 1)
        total = mpmath.mpf(0)
        for t in range(1, len(alive)):
            if alive[t - 1] > alive[t]:
                total += (alive[t - 1] - alive[t]) * mpmath.log(churn)
            churn *= (b_ + t - 1) / (a_ + b_ + t)
        if alive[-1]:
            total += alive[-1] * (_lbeta(a_, b_ + len(alive) - 1) - _lbeta(a_, b_))
        return float(total)


def _check(name: str, got: Any, ref: Any, rtol: float, atol: float, where: Any) -> None:
    got_a, ref_a = np.asarray(got, dtype=float), np.asarray(ref, dtype=float)
    assert np.all(np.isfinite(got_a) | np.isinf(ref_a)), f"{name}: not finite ({where})"
    same_inf = np.isinf(ref_a) & (got_a == ref_a)
    with np.errstate(invalid="ignore"):  # inf - inf where both are inf
        error = np.abs(got_a - ref_a) / np.maximum(rtol * np.abs(ref_a), atol)
    error[same_inf] = 0.0
    worst = int(np.argmax(error))
    assert error[worst] <= 1.0, (
        f"{name}: {int((error > 1).sum())} of {error.size} off; worst {got_a[worst]!r} against "
        f"{ref_a[worst]!r} at index {worst} of {where}"
    )


def _log_uniform_ints(rng: np.random.Generator, size: int, top: float = 1e4) -> np.ndarray:
    return np.round(10.0 ** rng.uniform(0, math.log10(top), size))


def _parameter_pairs() -> list[tuple[float, float]]:
    rng = np.random.default_rng(20_240_612)
    pairs = [tuple(float(v) for v in 10.0 ** rng.uniform(-3, 3, 2)) for _ in range(30)]
    corners = list(itertools.product((1e-3, 1.0, 1e3), repeat=2))
    return pairs + corners + [(1.0 + 1e-9, 2.0), (1.0 - 1e-9, 2.0)]  # type: ignore[return-value]


PAIRS = _parameter_pairs()


@pytest.mark.parametrize(("alpha", "beta"), PAIRS)
def test_survival_churn_and_retention_match_the_paper(alpha: float, beta: float) -> None:
    rng = np.random.default_rng(int(alpha * 1e6) % 2**32)
    t = np.concatenate([[0.0, 1.0, 2.0, 10_000.0], _log_uniform_ints(rng, 40)])
    model = ShiftedBetaGeo(alpha=alpha, beta=beta)
    where = f"alpha={alpha}, beta={beta}, t={t.tolist()}"
    survival = model.survival(t)
    assert np.all((survival >= 0) & (survival <= 1))
    _check(
        "S(t)",
        survival,
        [math.exp(ref_log_survival(alpha, beta, int(v))) for v in t],
        1e-8,
        1e-300,
        where,
    )
    periods = t[1:]
    churn = model.churn_probability(periods)
    assert np.all((churn >= 0) & (churn <= 1))
    ref_churn = [math.exp(ref_log_churn(alpha, beta, int(v))) for v in periods]
    _check("P(T = t)", churn, ref_churn, 1e-8, 1e-300, where)
    retention = model.retention_rate(periods)
    _check(
        "r(t)",
        retention,
        [ref_retention(alpha, beta, int(v)) for v in periods],
        1e-8,
        1e-300,
        where,
    )


@pytest.mark.parametrize(
    ("alpha", "beta"), [(1e-3, 1e-3), (1e-3, 1e3), (1e3, 1e-3), (0.704, 1.182)]
)
def test_whole_tables_of_periods_match_the_paper(alpha: float, beta: float) -> None:
    # 0 .. 10,000 at once: the table path (one logarithm per period); references by the
    # recurrences S(t + 1) = S(t) (b + t)/(a + b + t) and
    # P(T = t + 1) = P(T = t) (b + t - 1)/(a + b + t)
    t = np.arange(10_001.0)
    model = ShiftedBetaGeo(alpha=alpha, beta=beta)
    with mpmath.workdps(DPS):
        a, b = mpmath.mpf(alpha), mpmath.mpf(beta)
        survival, churn = [mpmath.mpf(1)], [a / (a + b)]
        for k in range(10_000):
            survival.append(survival[-1] * (b + k) / (a + b + k))
            churn.append(churn[-1] * (b + k) / (a + b + k + 1))
        ref_s = [float(v) for v in survival]
        ref_p = [float(v) for v in churn[:-1]]
        ref_log_s = [float(mpmath.log(v)) for v in survival[::97]]
    _check("S(0..10000)", model.survival(t), ref_s, 1e-8, 1e-300, (alpha, beta))
    _check("P(T = 1..10000)", model.churn_probability(t[1:]), ref_p, 1e-8, 1e-300, (alpha, beta))
    log_s = model.individual_log_likelihood(t[::97], np.zeros(t[::97].size, dtype=bool))
    _check("log S", log_s, ref_log_s, 1e-9, 1e-12, (alpha, beta))


@pytest.mark.parametrize(("alpha", "beta"), PAIRS)
def test_individual_log_likelihood_matches_appendix_b(alpha: float, beta: float) -> None:
    rng = np.random.default_rng(int(beta * 1e6) % 2**32)
    tenure = np.concatenate([[1.0, 1.0, 0.0, 10_000.0, 10_000.0], _log_uniform_ints(rng, 95)])
    churned = np.concatenate([[True, False, False, True, False], rng.uniform(size=95) < 0.5])
    ll = ShiftedBetaGeo(alpha=alpha, beta=beta).individual_log_likelihood(tenure, churned)
    ref = [
        ref_log_churn(alpha, beta, int(t)) if c else ref_log_survival(alpha, beta, int(t))
        for t, c in zip(tenure, churned, strict=True)
    ]
    assert np.all(ll <= 0.0)
    _check("individual log-likelihood", ll, ref, 1e-9, 1e-12, (alpha, beta))


@pytest.mark.parametrize("seed", range(8))
def test_survival_log_likelihood_matches_appendix_b(seed: int) -> None:
    rng = np.random.default_rng(seed)
    alpha, beta = (float(v) for v in 10.0 ** rng.uniform(-3, 3, 2))
    periods = 10_000 if seed == 0 else int(_log_uniform_ints(rng, 1, 3e3)[0])
    alive = np.sort(rng.integers(0, 10**6, periods + 1))[::-1].copy()
    alive[0] = 10**6
    if seed == 1:
        alive[1:] = alive[0]  # nobody churned but the last period
        alive[-1] -= 1
    ll = ShiftedBetaGeo(alpha=alpha, beta=beta).survival_log_likelihood(alive)
    ref = ref_survival_log_likelihood(alpha, beta, [int(v) for v in alive])
    _check("survival log-likelihood", [ll], [ref], 1e-9, 1e-12, (alpha, beta, periods))


def _derl_points() -> list[tuple[float, float, int, float]]:
    rng = np.random.default_rng(20_240_613)
    points = []
    for _ in range(30):
        a, b = (float(v) for v in 10.0 ** rng.uniform(-3, 3, 2))
        s = int(_log_uniform_ints(rng, 1)[0]) - 1
        points.append((a, b, s, float(10.0 ** rng.uniform(-3, 3))))
    edges = [
        (a, b, s, d)
        for a, b in itertools.product((1e-3, 1e3), repeat=2)
        for s in (0, 10_000)
        for d in (1e-3, 1e3)
    ]
    return points + edges + [(0.5, 2.0, 10_000, 1e-5), (1e3, 1e-3, 0, 1e-5)]


@pytest.mark.parametrize(("alpha", "beta", "s", "d"), _derl_points())
def test_discounted_residual_lifetime_matches_eq_6(
    alpha: float, beta: float, s: int, d: float
) -> None:
    got = ShiftedBetaGeo(alpha=alpha, beta=beta).expected_residual_lifetime(s, discount_rate=d)
    _check("DERL", [got], [ref_derl(alpha, beta, s, d)], 1e-8, 1e-300, (alpha, beta, s, d))


@pytest.mark.parametrize(("alpha", "beta"), PAIRS)
def test_lifetimes_without_discounting(alpha: float, beta: float) -> None:
    model = ShiftedBetaGeo(alpha=alpha, beta=beta)
    survived = np.array([0.0, 1.0, 57.0, 10_000.0])
    with mpmath.workdps(DPS):
        a, b = mpmath.mpf(alpha), mpmath.mpf(beta)
        lifetime = float((a + b - 1) / (a - 1)) if alpha > 1 else math.inf
    _check("E[T]", [model.expected_lifetime()], [lifetime], 1e-8, 1e-300, (alpha, beta))
    ref = [ref_derl(alpha, beta, int(s), 0.0) for s in survived]
    _check(
        "DERL(0)", model.expected_residual_lifetime(survived, 0.0), ref, 1e-8, 1e-300, (alpha, beta)
    )


# ---------------------------------------------------------------------------- properties


@settings(max_examples=40)
@given(
    params=model_parameters(ShiftedBetaGeo),
    periods=st.lists(st.integers(0, 10_000), min_size=1, max_size=20),
)
def test_survival_never_rises_and_stays_a_probability(
    params: dict[str, float], periods: list[int]
) -> None:
    model = ShiftedBetaGeo(**params)
    t = np.array(sorted({0, *periods}), dtype=float)
    survival = model.survival(t)
    assert survival[0] == 1.0
    assert np.all((survival >= 0.0) & (survival <= 1.0)) and np.all(np.diff(survival) <= 0.0)
    later = t[t >= 1]
    churn, retention = model.churn_probability(later), model.retention_rate(later)
    assert np.all((churn >= 0.0) & (churn <= 1.0))
    assert np.all((retention >= 0.0) & (retention <= 1.0)) and np.all(np.diff(retention) >= 0.0)


@settings(max_examples=30)
@given(params=model_parameters(ShiftedBetaGeo), horizon=st.integers(1, 10_000))
def test_churn_probabilities_and_survival_add_up_to_one(
    params: dict[str, float], horizon: int
) -> None:
    # P(T = 1) + ... + P(T = n) + S(n) = 1
    model = ShiftedBetaGeo(**params)
    total = math.fsum(model.churn_probability(np.arange(1.0, horizon + 1.0))) + model.survival(
        horizon
    )
    assert abs(total - 1.0) <= 1e-12


@settings(max_examples=30)
@given(
    params=model_parameters(ShiftedBetaGeo),
    survived=st.lists(st.integers(0, 10_000), min_size=2, max_size=6),
    rate=log_uniform(1e-3, 1e3),
)
def test_residual_lifetime_grows_with_tenure_and_falls_with_the_rate(
    params: dict[str, float], survived: list[int], rate: float
) -> None:
    model = ShiftedBetaGeo(**params)
    s = np.array(sorted(set(survived)), dtype=float)
    derl = model.expected_residual_lifetime(s, rate)
    assert np.all(np.isfinite(derl)) and np.all(derl > 0.0)
    assert np.all(np.diff(derl) >= 0.0)
    assert np.all(model.expected_residual_lifetime(s, 2.0 * rate) <= derl)


def test_too_small_discount_rates_are_refused_with_advice() -> None:
    model = ShiftedBetaGeo(alpha=0.7, beta=1.2)
    with pytest.raises(ValidationError, match=r"`discount_rate` 1e-06 is too close to 0.*1e-5"):
        model.expected_residual_lifetime(0, 1e-6)
    with pytest.raises(ValidationError, match=r"`periods_survived` must be >= 0"):
        model.expected_residual_lifetime(-1, 0.1)
