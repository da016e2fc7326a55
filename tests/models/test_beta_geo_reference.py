"""BG/NBD and MBG/NBD against 50-digit mpmath evaluations of Fader, Hardie & Lee (2005).

The promise checked here: for r, alpha, a, b in 1e-3..1e3, frequencies ``x`` and ages
``T`` up to 10,000 (``t_x`` in [0, T], 0 when ``x = 0``) and horizons ``t`` up to 10,000,
the log-likelihood, P(alive), the conditional expectation E[X(T, T+t) | x, t_x, T], a new
customer's E[X(t)] and P(X(t) = n) are finite, in range and exact to a relative 1e-8
(1e-12 absolute for log-likelihoods and probabilities near 0), for ``BetaGeo`` and
``ModifiedBetaGeo``; and every expectation is non-decreasing in ``t``.

The references evaluate the paper's closed forms -- eq. 6 (likelihood), eq. 11
(P(alive)), eq. 10 and eq. 9 (the expectations, through ``mpmath.hyp2f1``) and eq. 8
(P(X(t) = n)), with ``b + 1`` for ``b`` where MBG/NBD has one more dropout chance -- in
mpmath at 50 significant digits, each checked against 100 digits (and 200 against 300
where those disagree, as where the bracket of eq. 10 cancels); the expectations are
also confirmed to 1e-12 by a second route, ``mpmath.quad`` of the expected purchases
before dropping out over the beta-distributed dropout probability.  The closed form is
not the library's code path, which never evaluates a hypergeometric function.  At ``a = 1`` and
at ``a + b + x - 1 = 0``, removable singularities of eq. 10, the references move ``a``
or ``b`` by 10^-25 (10^-100 at 200 digits).

The points: 64 blocks of parameters, log-uniform in 1e-3..1e3 (``a`` set to 1 in a
tenth of them and within 1e-3 of 1 in another tenth), each with eight histories (``x``
0 or log-uniform in 1..10^4, ``T``, ``t`` and ``n`` log-uniform up to 10^4), even
blocks BG/NBD and odd ones MBG/NBD; before them, for both models, the cases of the bug
reports and of the removable singularities.  Evaluating them takes about a minute, so,
as in scipy's special-function tests, the values are read from
``beta_geo_reference.csv`` beside this module, written by its own script
(``python -m tests.models.test_beta_geo_reference``);
``test_table_matches_the_mpmath_functions`` recomputes a sample of it on every run.
"""

from __future__ import annotations

import csv
import functools
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relmark import BetaGeo, CustomerSummary, ModifiedBetaGeo
from relmark.models import beta_geo
from tests.strategies import customer_histories, horizons, models

try:
    import mpmath
except ImportError:  # pragma: no cover - only the live check and the script need it
    mpmath = None

TABLE = Path(__file__).with_name("beta_geo_reference.csv")
MODELS: dict[int, type[BetaGeo]] = {0: BetaGeo, 1: ModifiedBetaGeo}  # by dropout chances at 0
INPUTS = ("block", "shift", "r", "alpha", "a", "b", "x", "t_x", "T", "t", "n")
OUTPUTS = ("log_likelihood", "p_alive", "if_alive", "expected", "new", "pmf")
ABSOLUTE = {"log_likelihood": 1e-12, "p_alive": 1e-12, "pmf": 1e-12, "expected": 0.0, "new": 0.0}
Params = tuple[float, float, float, float]
History = tuple[float, float, float, float, float]  # x, t_x, T, t, n


# -- the reference script (mpmath) ---------------------------------------------------------


def _if_alive(params: Params, x: float, T: float, t: float, shift: int, dps: int) -> Any:
    """Eq. 10 without P(alive): c/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(...)]."""
    with mpmath.workdps(dps):
        r, alpha, a, b = (mpmath.mpf(v) for v in params)
        x, T, t = mpmath.mpf(x), mpmath.mpf(T), mpmath.mpf(t)
        if t == 0:
            return mpmath.mpf(0)
        k = x + shift
        nudge = mpmath.mpf(10) ** (-dps // 2)
        if a == 1:  # removable singularity of c / (a - 1) [...]
            a += nudge
        if a + b + k - 1 == 0:  # c = 0, likewise
            b += nudge
        c = a + b + k - 1
        keep = (alpha + T) / (alpha + T + t)
        return c / (a - 1) * (1 - keep ** (r + x) * mpmath.hyp2f1(r + x, b + k, c, 1 - keep))


def _if_alive_by_quadrature(params: Params, x: float, T: float, t: float, shift: int) -> Any:
    """The same expectation as E_p[(1 - (1 + s p)^-(r+x)) / p], p ~ Beta(a, b+k), at 20 digits.

    A second route, by ``mpmath.quad`` in the log-odds of ``p``, for
    :func:`_exact_if_alive` to confirm the closed form with: ``mpmath.hyp2f1``
    can agree with itself at 50 and 100 digits and still be wrong (it is, by
    a factor of 1e35, at one point of the table).
    """
    with mpmath.workdps(20):
        r, alpha, a, b = (mpmath.mpf(v) for v in params)
        if t == 0:
            return mpmath.mpf(0)
        r_x, b_k, s = r + x, b + x + shift, mpmath.mpf(t) / (alpha + T)
        log_beta = mpmath.log(mpmath.beta(a, b_k))

        def integrand(y: Any) -> Any:
            log_p, log_q = -mpmath.log1p(mpmath.exp(-y)), -mpmath.log1p(mpmath.exp(y))
            p = mpmath.exp(log_p)
            kept = -mpmath.expm1(-r_x * mpmath.log1p(s * p)) / p
            return mpmath.exp(a * log_p + b_k * log_q - log_beta) * kept

        breaks = sorted({mpmath.log(a / b_k), -mpmath.log(s * (r_x + 1)), -mpmath.log(s)})
        return mpmath.quad(integrand, [-mpmath.inf, *breaks, mpmath.inf])


def _exact_if_alive(params: Params, x: float, T: float, t: float, shift: int) -> Any:
    """Eq. 10's value at 100 digits once 50 agree and the quadrature confirms it (else 300)."""
    check = _if_alive_by_quadrature(params, x, T, t, shift)
    for low, high in ((50, 100), (200, 300)):
        lo, hi = (_if_alive(params, x, T, t, shift, dps) for dps in (low, high))
        tiny = mpmath.mpf(10) ** -40
        stable = abs(lo - hi) <= mpmath.mpf(10) ** -20 * abs(hi) + tiny
        if stable and abs(hi - check) <= mpmath.mpf(10) ** -12 * abs(hi) + tiny:
            return hi
    raise ArithmeticError(f"no confirmed value: {params}, {(x, T, t, shift)}")


def _p_alive(params: Params, x: float, t_x: float, T: float, shift: int, dps: int) -> Any:
    """Eq. 11: [1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)]^-1 (1 for BG/NBD at x = 0)."""
    with mpmath.workdps(dps):
        r, alpha, a, b = (mpmath.mpf(v) for v in params)
        if shift == 0 and x == 0:
            return mpmath.mpf(1)
        odds = a / (b + x + shift - 1) * ((alpha + T) / (alpha + mpmath.mpf(t_x))) ** (r + x)
        return 1 / (1 + odds)


def _log_likelihood(params: Params, x: float, t_x: float, T: float, shift: int, dps: int) -> Any:
    """Eq. 6, with k = x + shift dropout chances."""
    with mpmath.workdps(dps):
        r, alpha, a, b = (mpmath.mpf(v) for v in params)
        k = x + shift
        common = mpmath.loggamma(r + x) - mpmath.loggamma(r) + r * mpmath.log(alpha)
        common -= mpmath.log(mpmath.beta(a, b))
        first = mpmath.beta(a, b + k) / (alpha + T) ** (r + x)
        second = mpmath.beta(a + 1, b + k - 1) / (alpha + t_x) ** (r + x) if k > 0 else 0
        return common + mpmath.log(first + second)


def _pmf(params: Params, n: float, t: float, shift: int, dps: int) -> Any:
    """Eq. 8: P(X(t) = n), the NBD tail as a regularised incomplete beta function."""
    with mpmath.workdps(dps):
        r, alpha, a, b = (mpmath.mpf(v) for v in params)
        n, t = mpmath.mpf(n), mpmath.mpf(t)
        share = t / (alpha + t)
        nbd = mpmath.exp(mpmath.loggamma(r + n) - mpmath.loggamma(r) - mpmath.loggamma(n + 1))
        nbd *= (alpha / (alpha + t)) ** r * share**n
        stayed = mpmath.beta(a, b + n + shift) / mpmath.beta(a, b) * nbd
        if n + shift == 0:
            return stayed
        reached = mpmath.betainc(n, r, 0, share, regularized=True) if n > 0 else 1
        return stayed + mpmath.beta(a + 1, b + n + shift - 1) / mpmath.beta(a, b) * reached


def _exact(f: Callable[..., Any], *args: Any) -> Any:
    """Return ``f(*args, dps=100)`` once 50 digits agree with it (else 300 against 200)."""
    for low, high in ((50, 100), (200, 300)):
        lo, hi = f(*args, dps=low), f(*args, dps=high)
        if abs(lo - hi) <= mpmath.mpf(10) ** -20 * abs(hi) + mpmath.mpf(10) ** -40:
            return hi
    raise ArithmeticError(f"no agreement at 300 digits: {f.__name__}{args}")


def reference_row(params: Params, history: History, shift: int) -> list[Any]:
    """Return the references of one history: the columns ``OUTPUTS``."""
    x, t_x, T, t, n = history
    if_alive = _exact_if_alive(params, x, T, t, shift)
    alive = _exact(_p_alive, params, x, t_x, T, shift)
    ll = _exact(_log_likelihood, params, x, t_x, T, shift)
    ll = ll if abs(ll) > mpmath.mpf(10) ** -40 else mpmath.mpf(0)  # log(1) up to rounding
    a, b = mpmath.mpf(params[2]), mpmath.mpf(params[3])
    at_start = 1 if shift == 0 else b / (a + b)  # MBG/NBD: alive after the first purchase
    new = _exact_if_alive(params, 0.0, 0.0, t, shift) * at_start
    return [ll, alive, if_alive, if_alive * alive, new, _exact(_pmf, params, n, t, shift)]


def _random_blocks(rng: np.random.Generator, count: int) -> Iterator[tuple[Params, list[History]]]:
    for _ in range(count):
        r, alpha, a, b = (float(v) for v in 10 ** rng.uniform(-3, 3, 4))
        u = rng.random()
        if u < 0.1:
            a = 1.0
        elif u < 0.2:
            a = 1.0 + float(rng.choice([-1, 1]) * 10 ** rng.uniform(-12, -3))
        histories = []
        for _ in range(8):
            x = 0.0 if rng.random() < 0.25 else float(np.floor(10 ** rng.uniform(0, 4)))
            T = float(10 ** rng.uniform(-3, 4))
            t_x = float(T * rng.random()) if x > 0 else 0.0
            t = float(10 ** rng.uniform(-3, 4))
            n = 0.0 if rng.random() < 0.2 else float(np.floor(10 ** rng.uniform(0, 4)))
            histories.append((x, t_x, T, t, n))
        yield (r, alpha, a, b), histories


SPECIAL: list[tuple[Params, list[History]]] = [
    # bug report: E[X(t)] dropped to 0 past t = 1 (scipy's 2F1 overflowed)
    (
        (1000.0, 1.0, 1000.0, 1000.0),
        [(0.0, 0.0, 0.0, t, 2.0) for t in (1.0, 100.0, 1e4)]
        + [(5.0, 4.0, 4.0, t, 2.0) for t in (1.0, 100.0, 1e4)],
    ),
    # bug report: E[X(t)] 0.3 % high (the term-by-term fallback was cut off)
    (
        (0.348, 0.0011, 0.318, 274.0),
        [(0.0, 0.0, 0.0, t, 1.0) for t in (1.0, 52.0, 1e4)]
        + [(3.0, 20.0, 30.0, t, 1.0) for t in (1.0, 52.0, 1e4)],
    ),
    # removable singularities: a = 1, and a + b = 1 (c = 0 for BG/NBD at x = 0)
    ((0.5, 3.0, 1.0, 2.0), [(0.0, 0.0, 0.5, 12.0, 0.0), (3.0, 8.0, 10.0, 12.0, 3.0)]),
    (
        (0.8, 2.0, 0.25, 0.75),
        [(0.0, 0.0, 0.0, t, 0.0) for t in (1e-3, 1.0, 1e4)]
        + [(0.0, 0.0, 5.0, 3.0, 1.0), (2.0, 1.0, 5.0, 3.0, 2.0)],
    ),
    ((20.0, 0.01, 0.999, 0.001), [(0.0, 0.0, 0.0, t, 4.0) for t in (1e-3, 1.0, 1e4)]),
]


def write_table(path: Path = TABLE, seed: int = 20260101, blocks: int = 64) -> None:
    """Evaluate every reference point (about a minute) and write them to ``path``."""
    mpmath.mp.dps = 50  # arithmetic outside workdps() too
    rng = np.random.default_rng(seed)
    rows = []
    for block, (params, histories) in enumerate(SPECIAL + list(_random_blocks(rng, blocks))):
        shifts = (0, 1) if block < len(SPECIAL) else (block % 2,)
        for shift in shifts:
            for history in histories:
                values = reference_row(params, history, shift)
                rows.append(
                    [block, shift, *map(repr, params), *map(repr, history)]
                    + [mpmath.nstr(v, 20) for v in values]
                )
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(INPUTS + OUTPUTS)
        writer.writerows(rows)


# -- the tests -----------------------------------------------------------------------------


@functools.cache
def _table() -> dict[str, np.ndarray]:
    with TABLE.open(newline="") as source:
        rows = list(csv.DictReader(source))
    return {name: np.array([float(row[name]) for row in rows]) for name in INPUTS + OUTPUTS}


def _blocks() -> Iterator[tuple[BetaGeo, dict[str, np.ndarray]]]:
    """Each block's model and its rows of the table."""
    table = _table()
    for block in np.unique(table["block"]):
        for shift, cls in MODELS.items():
            chosen = (table["block"] == block) & (table["shift"] == shift)
            if chosen.any():
                rows = {name: values[chosen] for name, values in table.items()}
                params = {name: float(rows[name][0]) for name in ("r", "alpha", "a", "b")}
                yield cls(**params), rows


def test_table_covers_the_promised_range() -> None:
    table = _table()
    assert len(table["block"]) > 500
    assert {0.0, 1.0} == set(table["shift"])
    for name in ("r", "alpha", "a", "b"):
        assert table[name].min() < 5e-3 and table[name].max() > 2e2, name
    for name in ("x", "T", "t", "n"):
        assert table[name].max() > 5e3, name
    assert np.any(table["a"] == 1.0)
    assert np.any((table["shift"] == 0) & (table["x"] == 0) & (table["a"] + table["b"] == 1.0))


def _predict(model: BetaGeo, rows: dict[str, np.ndarray], quantity: str) -> Any:
    """The library's value of one table column for a block's rows."""
    s = CustomerSummary.from_arrays(rows["x"], rows["t_x"], rows["T"])
    if quantity == "log_likelihood":
        return model.customer_log_likelihood(s)
    if quantity == "p_alive":
        return model.probability_alive(s)
    if quantity == "expected":
        return model.expected_purchases(s, rows["t"])  # one horizon per customer
    if quantity == "new":
        return model.expected_purchases_new_customer(rows["t"])
    return model.probability_of_purchases(rows["n"], rows["t"])


@pytest.mark.parametrize("quantity", ["log_likelihood", "p_alive", "expected", "new", "pmf"])
def test_predictions_match_the_references(quantity: str) -> None:
    for model, rows in _blocks():
        got = _predict(model, rows, quantity)
        assert np.all(np.isfinite(got)), model
        assert got == pytest.approx(rows[quantity], rel=1e-8, abs=ABSOLUTE[quantity]), model


@pytest.mark.parametrize("method", ["series", "quadrature"])
def test_both_methods_match_the_references(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The conditional expectation's two methods, each where it can run: the power series
    # wherever it has at most 8,192 terms (forced by an expensive quadrature), the
    # quadrature everywhere (no series).
    if method == "series":
        monkeypatch.setattr(beta_geo, "_COST_QUADRATURE_CALL", 1.0)
        monkeypatch.setattr(beta_geo, "_COST_QUADRATURE_ROW", 1.0)
    else:
        monkeypatch.setattr(beta_geo, "_SERIES_MAX_TERMS", 0)
    summed = []
    power_series = beta_geo._power_series

    def counted(*args: Any) -> np.ndarray:
        result = power_series(*args)
        summed.append(int(np.isfinite(result).sum()))
        return result

    monkeypatch.setattr(beta_geo, "_power_series", counted)
    for model, rows in _blocks():
        got = model._purchases_if_alive(rows["x"], rows["T"], rows["t"])
        assert got == pytest.approx(rows["if_alive"], rel=1e-8, abs=0.0), model
    assert sum(summed) > 150 if method == "series" else sum(summed) == 0


@pytest.mark.skipif(mpmath is None, reason="mpmath is not installed")
def test_table_matches_the_mpmath_functions() -> None:
    # one row in 60, recomputed (a few seconds): the table is this module's script's output
    table = _table()
    for i in range(0, len(table["block"]), 60):
        shift = int(table["shift"][i])
        params = tuple(float(table[name][i]) for name in ("r", "alpha", "a", "b"))
        history = tuple(float(table[name][i]) for name in ("x", "t_x", "T", "t", "n"))
        with mpmath.workdps(50):
            fresh = [float(v) for v in reference_row(params, history, shift)]
        stored = [float(table[name][i]) for name in OUTPUTS]
        assert fresh == pytest.approx(stored, rel=1e-15, abs=1e-300), i


def test_large_parameters_keep_their_expectations() -> None:
    # bug report: with r = a = b = 1000 and alpha = 1, E[X(t)] was [2.001, 0, 0] at
    # t = 1, 100, 10^4 and the conditional expectation fell to 0 likewise.  mpmath: a new
    # customer expects 2.001001001001001001 (BG/NBD) or 1.001001001001001001 (MBG/NBD) at
    # all three horizons, to 20 digits; one with x = 5, t_x = T = 4 keeps E[X | alive] =
    # 2.006006006006006006 (BG/NBD) or 2.007007007007007007 (MBG/NBD).
    horizons_ = np.array([1.0, 100.0, 1e4])
    recent = CustomerSummary.from_arrays([5.0] * 3, [4.0] * 3, [4.0] * 3)
    for cls, new, if_alive in [
        (BetaGeo, 2.001001001001001001, 2.006006006006006006),
        (ModifiedBetaGeo, 1.001001001001001001, 2.007007007007007007),
    ]:
        model = cls(r=1000.0, alpha=1.0, a=1000.0, b=1000.0)
        assert model.expected_purchases_new_customer(horizons_) == pytest.approx(new, rel=1e-14)
        expected = model.expected_purchases(recent, horizons_)
        alive = model.probability_alive(recent)
        assert 0.4 < alive[0] < 0.6
        assert expected == pytest.approx(if_alive * alive, rel=1e-14)
        assert np.all(np.diff(expected) >= -1e-14 * expected[1:])  # equal to rounding


def test_small_alpha_and_large_b_new_customer_expectation() -> None:
    # bug report: at r = 0.348, alpha = 0.0011, a = 0.318, b = 274 a new customer's
    # E[X(52)] was 0.3 % high (4932.6); mpmath: 4918.1988536683766905 (BG/NBD),
    # 4917.6788948929928286 (MBG/NBD); at t = 10^4, 186426.76791245968049 and
    # 186425.91295338652095.
    for cls, at_52, at_10k in [
        (BetaGeo, 4918.1988536683766905, 186426.76791245968049),
        (ModifiedBetaGeo, 4917.6788948929928286, 186425.91295338652095),
    ]:
        model = cls(r=0.348, alpha=0.0011, a=0.318, b=274.0)
        got = model.expected_purchases_new_customer([52.0, 1e4])
        assert got == pytest.approx([at_52, at_10k], rel=1e-12)


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
def test_removable_singularities_are_continuous(cls: type[BetaGeo]) -> None:
    # E[X | alive] is smooth through a = 1 and through a + b + x = 1 (BG/NBD at x = 0)
    s = CustomerSummary.from_arrays([0.0, 3.0, 40.0], [0.0, 8.0, 9.5], [0.5, 10.0, 10.0])
    for params, step in [({"a": 1.0, "b": 2.0}, "a"), ({"a": 0.25, "b": 0.75}, "b")]:
        at = cls(r=0.5, alpha=3.0, **params).expected_purchases(s, 12.0)
        for h in (-1e-9, 1e-9):
            moved = {**params, step: params[step] + h}
            near = cls(r=0.5, alpha=3.0, **moved).expected_purchases(s, 12.0)
            assert near == pytest.approx(at, rel=1e-8)


def test_per_customer_horizons_on_large_summaries() -> None:
    # more than 10,000 rows take the distinct-(x, T) shortcut only for a common horizon
    model = BetaGeo(r=0.5, alpha=3.0, a=0.8, b=2.0)
    drawn = model.simulate(12_000, 30.0, rng=3)
    t = np.linspace(0.0, 60.0, len(drawn))
    expected = model.expected_purchases(drawn, t)
    assert expected == pytest.approx(
        model._purchases_if_alive(drawn.frequency, drawn.T, t) * model.probability_alive(drawn),
        rel=1e-12,
    )
    assert np.all(model.expected_purchases(drawn, 60.0) >= expected * (1.0 - 1e-12))


ANY_MODEL = st.sampled_from([BetaGeo, ModifiedBetaGeo]).flatmap(models)


@given(model=ANY_MODEL, history=customer_histories(), t=st.lists(horizons(), min_size=1))
def test_conditional_expectation_never_decreases_in_t(
    model: BetaGeo, history: tuple[float, float, float], t: list[float]
) -> None:
    ordered = np.sort(np.array([*t, 0.0]))
    s = CustomerSummary.from_arrays(*([value] * ordered.size for value in history))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        together = model.expected_purchases(s, ordered)  # one call, per-customer horizons
        one = CustomerSummary.from_arrays(*([value] for value in history))
        apart = np.array([model.expected_purchases(one, h)[0] for h in ordered])  # one by one
    for expected in (together, apart):
        assert np.all(np.isfinite(expected)) and expected[0] == 0.0
        assert np.all(np.diff(expected) >= -1e-12 * expected[1:])
    assert together == pytest.approx(apart, rel=1e-11)


@given(model=ANY_MODEL, t=st.lists(horizons(), min_size=1, max_size=20))
def test_new_customer_expectation_never_decreases_in_t(model: BetaGeo, t: list[float]) -> None:
    ordered = np.sort(np.array(t))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        together = model.expected_purchases_new_customer(ordered)
        apart = np.array([model.expected_purchases_new_customer(h) for h in ordered])
    for expected in (together, apart):
        assert np.all(np.isfinite(expected)) and np.all(expected >= 0.0)
        assert np.all(np.diff(expected) >= -1e-12 * expected[1:])


@given(
    model=ANY_MODEL,
    history=customer_histories(),
    n=st.integers(0, 10_000),
    t=horizons(),
)
def test_probabilities_stay_in_the_unit_interval(
    model: BetaGeo, history: tuple[float, float, float], n: int, t: float
) -> None:
    s = CustomerSummary.from_arrays(*([value] for value in history))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alive = model.probability_alive(s)[0]
        purchases = model.probability_of_purchases(n, t)
        ll = model.customer_log_likelihood(s)[0]
    assert 0.0 <= alive <= 1.0
    assert 0.0 <= purchases <= 1.0
    assert np.isfinite(ll)


@given(model=ANY_MODEL, t=horizons())
def test_probabilities_of_purchases_sum_to_at_most_one(model: BetaGeo, t: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = float(np.sum(model.probability_of_purchases(np.arange(3000), t)))
    assert total <= 1.0 + 1e-12


if __name__ == "__main__":
    if mpmath is None:
        sys.exit("the reference script needs mpmath")
    write_table()
    print(f"wrote {TABLE}")
