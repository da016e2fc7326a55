"""Pareto/NBD against 50-digit mpmath evaluations of its defining integrals.

The promise checked here: for r, alpha, s, beta in 1e-3..1e3, frequencies ``x`` and
ages ``T`` up to 10,000 (``t_x`` in [0, T], 0 when ``x = 0``) and horizons ``t`` up to
10,000, the log-likelihood is exact to a relative 1e-9 (1e-12 absolute near 0) with its
gradient to 1e-9 of the gradient's largest entry; P(alive), the conditional expectation
E[Y(t) | x, t_x, T] and a new customer's E[X(t)] to a relative 1e-8; and P(X(t) = n) to a
relative 1e-8 or 1e-12 absolute; all finite and in range, every expectation
non-decreasing in ``t``.

The references integrate the definitions with ``mpmath.quad`` at 50 significant digits:
the dropout integral :math:`\\int_{t_x}^T (\\alpha+y)^{-(r+x)}(\\beta+y)^{-(s+1)}dy` of the
likelihood (Fader & Hardie 2005, eq. 19; P(alive), eq. 22, and E[Y(t)], eq. 24, follow
from it) and the dropout-time integral of P(X(t) = n) (Fader & Hardie 2006, note 012),
each in the log of time, where the integrand is log-concave, split at its peak, at
the points where it has fallen by 1, 2, 4, ..., 128 e-folds (nothing is kept beyond),
at unit steps where it has fallen by less than 32 and around the changes of slope at
the scales alpha and beta, so that each piece is smooth and mpmath's tanh-sinh rule
converges on it.  That is not the library's code path (Gauss-Legendre panels placed
by a measure of the integrand in double precision).  The gradient references are
``mpmath.diff`` of the reference log-likelihood.  The quadrature agrees with the
hypergeometric closed form (``mpmath.hyp2f1``, 80 digits) to 1e-45 where that
converges; ``test_reference_quadrature_matches_the_closed_form`` re-checks two points.

The points: 40 blocks of parameters, log-uniform in 1e-3..1e3, each with six histories
(``x`` 0 or log-uniform in 1..10^4, ``T`` and ``t`` log-uniform in 10^-3..10^4,
``t_x`` anywhere in [0, T] or within a relative 10^-9..1 of T, ``n`` 0, near E[X(t)] or
log-uniform up to 10^4); before them, the cases of the bug reports and the ends of the
range.  Evaluating them takes about half an hour (mostly the gradients, taken at every
third row), so, as in scipy's special-function tests, the values are read from
``pareto_nbd_reference.csv`` beside this module, written by its own script
(``python -m tests.models.test_pareto_nbd_reference``);
``test_table_matches_the_mpmath_functions`` recomputes a sample of it on every run.
"""

from __future__ import annotations

import csv
import functools
import sys
import warnings
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relmark import CustomerSummary, ParetoNBD, ValidationError
from relmark.models.pareto_nbd import _log_likelihood
from tests.strategies import customer_histories, horizons, models

try:
    import mpmath
except ImportError:  # pragma: no cover - only the live check and the script need it
    mpmath = None

TABLE = Path(__file__).with_name("pareto_nbd_reference.csv")
INPUTS = ("block", "r", "alpha", "s", "beta", "x", "t_x", "T", "t", "n")
OUTPUTS = ("log_likelihood", "p_alive", "expected", "new", "pmf")
GRADIENT = ("d_r", "d_alpha", "d_s", "d_beta")  # every third row; empty elsewhere
ABSOLUTE = {"log_likelihood": 1e-12, "p_alive": 1e-300, "expected": 1e-300, "new": 0.0}
Params = tuple[float, float, float, float]
History = tuple[float, float, float, float, float]  # x, t_x, T, t, n


# -- the reference script (mpmath) ---------------------------------------------------------


def _bisect(f: Callable[[Any], Any], a: Any, b: Any) -> Any:
    """The root of ``f`` in [a, b], ``f(a) > 0 >= f(b)``, to working precision."""
    for _ in range(mpmath.mp.prec + 10):
        middle = (a + b) / 2
        if f(middle) > 0:
            a = middle
        else:
            b = middle
    return (a + b) / 2


def _log_integral(
    h: Callable[[Any], Any], dh: Callable[[Any], Any], lo: Any, hi: Any, scales: list[Any]
) -> Any:
    """log of the integral of exp(h(v)) over [lo, hi], ``h`` concave with derivative ``dh``.

    ``mpmath.quad`` on pieces split at the peak, where ``h`` has fallen by 1, 2, 4, ...,
    128 below it (nothing is kept beyond), at unit steps where it has fallen by less
    than 32, and at ``scales`` (the changes of slope) and one either side of each.
    """
    if dh(lo) <= 0:
        peak = lo
    elif dh(hi) >= 0:
        peak = hi
    else:
        peak = _bisect(dh, lo, hi)
    top = h(peak)

    def fall(v: Any) -> Any:
        return top - h(v)

    points = {peak}
    for end in (lo, hi):
        reach = end
        for level in (1, 2, 4, 8, 16, 32, 64, 128):
            if fall(end) <= level:
                reach = end
                break
            if end > peak:
                reach = _bisect(lambda v, d=level: d - fall(v), peak, end)
            else:
                reach = _bisect(lambda v, d=level: fall(v) - d, end, peak)
            points.add(reach)
        points.add(reach)
    left, right = min(points), max(points)
    v = left + 1
    while v < right:
        if fall(v) < 32:
            points.add(v)
        v += 1
    points.update(c + k for c in scales for k in (-1, 0, 1) if left < c + k < right)
    grid = sorted(points)
    pieces = (mpmath.quad(lambda v: mpmath.exp(-fall(v)), [a, b]) for a, b in pairwise(grid))
    return top + mpmath.log(mpmath.fsum(pieces))


def _log_dropout(params: Params, x: Any, t_x: Any, T: Any) -> Any:
    """log of the dropout integral, in v = log(min(alpha, beta) + y)."""
    r, alpha, s, beta = (mpmath.mpf(v) for v in params)
    if t_x >= T:
        return mpmath.ninf
    a, b, c = r + x, s + 1, min(alpha, beta)

    def h(v: Any) -> Any:
        e = mpmath.exp(v)
        return v - a * mpmath.log(e + alpha - c) - b * mpmath.log(e + beta - c)

    def dh(v: Any) -> Any:
        e = mpmath.exp(v)
        return 1 - a * e / (e + alpha - c) - b * e / (e + beta - c)

    scales = [mpmath.log(abs(alpha - beta))] if alpha != beta else []
    return _log_integral(h, dh, mpmath.log(c + t_x), mpmath.log(c + T), scales)


def _log_likelihood_and_alive(params: Params, x: Any, t_x: Any, T: Any) -> tuple[Any, Any]:
    """Eq. 19 of Fader & Hardie (2005), integral form, and P(alive) (eq. 22)."""
    r, alpha, s, beta = (mpmath.mpf(v) for v in params)
    log_alive = -(r + x) * mpmath.log(alpha + T) - s * mpmath.log(beta + T)
    log_i = _log_dropout(params, x, t_x, T)
    total = log_alive
    if log_i != mpmath.ninf:
        total += mpmath.log1p(mpmath.exp(mpmath.log(s) + log_i - log_alive))
    common = mpmath.loggamma(r + x) - mpmath.loggamma(r) + r * mpmath.log(alpha)
    return common + s * mpmath.log(beta) + total, mpmath.exp(log_alive - total)


def _if_alive(params: Params, x: Any, T: Any, t: Any) -> Any:
    """E[Y(t)] of a customer alive at T: (r+x)/(alpha+T) times the expected time alive."""
    r, alpha, s, beta = (mpmath.mpf(v) for v in params)
    keep = (beta + T) / (beta + T + t)
    if s == 1:
        lifetime = -(beta + T) * mpmath.log(keep)
    else:
        lifetime = (beta + T) / (s - 1) * (1 - keep ** (s - 1))
    return (r + x) / (alpha + T) * lifetime


def _pmf(params: Params, n: Any, t: Any) -> Any:
    """P(X(t) = n) (note 012): NBD(n; t) (beta/(beta+t))^s + the dropout-time integral."""
    r, alpha, s, beta = (mpmath.mpf(v) for v in params)
    if t == 0:
        return mpmath.mpf(1 if n == 0 else 0)
    log_nbd = mpmath.loggamma(r + n) - mpmath.loggamma(r) - mpmath.loggamma(n + 1)
    log_nbd += r * mpmath.log(alpha)
    stayed = log_nbd + n * mpmath.log(t) - (r + n) * mpmath.log(alpha + t)
    stayed += s * mpmath.log(beta / (beta + t))
    scale = log_nbd + mpmath.log(s) + s * mpmath.log(beta)

    def h(v: Any) -> Any:  # in v = log(tau)
        e = mpmath.exp(v)
        return (
            scale + (n + 1) * v - (r + n) * mpmath.log(alpha + e) - (s + 1) * mpmath.log(beta + e)
        )

    def dh(v: Any) -> Any:
        e = mpmath.exp(v)
        return n + 1 - (r + n) * e / (alpha + e) - (s + 1) * e / (beta + e)

    hi = mpmath.log(t)
    # below lo the integrand is under exp(h(hi) - 200): log(alpha + e^v) >= log(alpha), ...
    floor = scale - (r + n) * mpmath.log(alpha) - (s + 1) * mpmath.log(beta)
    lo = min(hi - 1, (h(hi) - 200 - floor) / (n + 1), mpmath.log(min(alpha, beta)) - 2)
    gone = _log_integral(h, dh, lo, hi, [mpmath.log(alpha), mpmath.log(beta)])
    return mpmath.exp(stayed) + mpmath.exp(gone)


def reference_row(params: Params, history: History, gradient: bool) -> list[Any]:
    """Return the references of one history: the columns ``OUTPUTS`` (and ``GRADIENT``)."""
    x, t_x, T, t, n = (mpmath.mpf(v) for v in history)
    ll, alive = _log_likelihood_and_alive(params, x, t_x, T)
    new = _if_alive(params, 0, 0, t)
    values = [ll, alive, _if_alive(params, x, T, t) * alive, new, _pmf(params, n, t)]
    if gradient:
        for k in range(4):
            theta = [mpmath.mpf(v) for v in params]

            def ll_at(z: Any, k: int = k, theta: list[Any] = theta) -> Any:
                moved = list(theta)
                moved[k] = z
                return _log_likelihood_and_alive(tuple(moved), x, t_x, T)[0]

            values.append(mpmath.diff(ll_at, theta[k]))
    return values


def _rounded(value: float) -> float:
    return float(f"{value:.5g}")


def _random_blocks(rng: np.random.Generator, count: int) -> Iterator[tuple[Params, list[History]]]:
    for _ in range(count):
        r, alpha, s, beta = (_rounded(v) for v in 10 ** rng.uniform(-3, 3, 4))
        histories = []
        for i in range(6):
            x = 0.0 if rng.random() < 0.25 else float(np.floor(10 ** rng.uniform(0, 4)))
            T = _rounded(10 ** rng.uniform(-3, 4))
            if x == 0:
                t_x = 0.0
            elif i % 3 == 2:  # close to T (not rounded, which would make it T)
                t_x = float(T * (1 - 10 ** rng.uniform(-9, 0)))
            else:
                t_x = _rounded(T * rng.random())
            t = _rounded(10 ** rng.uniform(-3, 4))
            if i % 3 == 0:
                n = 0.0
            elif i % 3 == 1:  # near E[X(t)], where the probability is not tiny
                with mpmath.workdps(20):
                    mean = float(_if_alive((r, alpha, s, beta), 0, 0, mpmath.mpf(t)))
                n = float(min(np.floor(mean * np.exp(rng.normal())), 1e4))
            else:
                n = float(np.floor(10 ** rng.uniform(0, 4)))
            histories.append((x, t_x, T, t, n))
        yield (r, alpha, s, beta), histories


SPECIAL: list[tuple[Params, list[History]]] = [
    # bug report: the log-likelihood 2.7e-7 off at r = 805, alpha = 15.4
    (
        (805.0, 15.4, 0.61, 11.7),
        [
            (0.0, 0.0, 39.0, 39.0, 0.0),
            (2000.0, 30.4, 38.9, 39.0, 2000.0),
            (40.0, 0.7, 1.2, 10.0, 9.0),
        ],
    ),
    ((805.0, 15.4, 310.0, 0.05), [(1e4, 9999.0, 1e4, 1e4, 30.0), (0.0, 0.0, 1e-3, 1e-3, 0.0)]),
    # bug reports: P(X(39) = 0) was 0.004498 (mpmath 0.0050087) and 1.5e-9 (0.99518)
    ((2.68, 0.089, 0.079, 0.743), [(0.0, 0.0, 39.0, 39.0, 0.0), (3.0, 20.0, 39.0, 39.0, 1.0)]),
    ((0.0076, 0.0018, 176.1, 0.348), [(0.0, 0.0, 39.0, 39.0, 0.0), (3.0, 20.0, 39.0, 39.0, 1.0)]),
    # Fader & Hardie's CDNOW estimates (the docstring examples)
    (
        (0.553, 10.578, 0.606, 11.669),
        [
            (0.0, 0.0, 38.86, 39.0, 0.0),
            (2.0, 30.43, 38.86, 39.0, 1.0),
            (2.0, 5.0, 38.86, 39.0, 2.0),
            (50.0, 38.86, 38.86, 1e4, 40.0),
        ],
    ),
    # alpha = beta, s = 1, and the corners of the range
    ((2.0, 3.0, 0.5, 3.0), [(5.0, 2.0, 20.0, 5.0, 3.0), (0.0, 0.0, 20.0, 5.0, 0.0)]),
    ((2.0, 3.0, 1.0, 7.0), [(5.0, 2.0, 20.0, 5.0, 3.0), (0.0, 0.0, 20.0, 5.0, 0.0)]),
    ((1e-3, 1e-3, 1e-3, 1e-3), [(0.0, 0.0, 1e4, 1e4, 0.0), (1.0, 1e-3, 1e4, 1e-3, 1.0)]),
    ((1e3, 1e3, 1e3, 1e3), [(1e4, 1e4, 1e4, 1e4, 1e4), (0.0, 0.0, 1e-3, 1e-3, 0.0)]),
    ((1e3, 1e-3, 1e3, 1e-3), [(1e4, 0.5, 1e4, 1e-3, 1e4), (0.0, 0.0, 1e4, 1e4, 0.0)]),
    ((1e-3, 1e3, 1e-3, 1e3), [(1.0, 0.01, 0.01, 1e4, 1.0), (0.0, 0.0, 1e4, 1e4, 0.0)]),
    ((1e-3, 1e3, 1e3, 1e-3), [(0.0, 0.0, 0.01, 1.0, 0.0), (1e4, 5.0, 1e4, 1e4, 1.0)]),
    ((1e3, 1e-3, 1e-3, 1e3), [(1e4, 1.0, 1e4, 1e4, 1e4), (0.0, 0.0, 1e4, 0.5, 3.0)]),
]


def write_table(path: Path = TABLE, seed: int = 20260102, blocks: int = 40) -> None:
    """Evaluate every reference point (about half an hour) and write them to ``path``."""
    mpmath.mp.dps = 50
    rng = np.random.default_rng(seed)
    rows = []
    for block, (params, histories) in enumerate(SPECIAL + list(_random_blocks(rng, blocks))):
        for history in histories:
            values = reference_row(params, history, gradient=len(rows) % 3 == 0)
            values += [""] * (len(OUTPUTS) + len(GRADIENT) - len(values))
            rows.append(
                [block, *map(repr, params), *map(repr, history)]
                + [v if v == "" else mpmath.nstr(v, 20) for v in values]
            )
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(INPUTS + OUTPUTS + GRADIENT)
        writer.writerows(rows)


# -- the tests -----------------------------------------------------------------------------


@functools.cache
def _table() -> dict[str, np.ndarray]:
    with TABLE.open(newline="") as source:
        rows = list(csv.DictReader(source))
    names = INPUTS + OUTPUTS + GRADIENT
    return {name: np.array([float(row[name] or "nan") for row in rows]) for name in names}


def _blocks() -> Iterator[tuple[ParetoNBD, dict[str, np.ndarray]]]:
    """Each block's model and its rows of the table."""
    table = _table()
    for block in np.unique(table["block"]):
        chosen = table["block"] == block
        rows = {name: values[chosen] for name, values in table.items()}
        params = {name: float(rows[name][0]) for name in ("r", "alpha", "s", "beta")}
        yield ParetoNBD(**params), rows


def test_table_covers_the_promised_range() -> None:
    table = _table()
    assert len(table["block"]) > 250
    for name in ("r", "alpha", "s", "beta"):
        assert table[name].min() < 5e-3 and table[name].max() > 2e2, name
    for name in ("x", "T", "t", "n"):
        assert table[name].max() > 5e3, name
    assert np.any(table["t_x"] == table["T"]) and np.any(table["x"] == 0)
    assert np.isfinite(table["d_r"]).sum() > 80


def _predict(model: ParetoNBD, rows: dict[str, np.ndarray], quantity: str) -> Any:
    s = CustomerSummary.from_arrays(rows["x"], rows["t_x"], rows["T"])
    if quantity == "log_likelihood":
        return model.customer_log_likelihood(s)
    if quantity == "p_alive":
        return model.probability_alive(s)
    if quantity == "expected":
        return model.expected_purchases(s, rows["t"])
    if quantity == "new":
        return model.expected_purchases_new_customer(rows["t"])
    return model.probability_of_purchases(rows["n"], rows["t"])


@pytest.mark.parametrize("quantity", ["log_likelihood", "p_alive", "expected", "new", "pmf"])
def test_predictions_match_the_references(quantity: str) -> None:
    for model, rows in _blocks():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = _predict(model, rows, quantity)
        assert np.all(np.isfinite(got)), model
        if quantity == "pmf":  # a relative 1e-8 or, where the probability is tiny, 1e-12
            close = np.abs(got - rows["pmf"]) <= np.maximum(1e-8 * rows["pmf"], 1e-12)
            assert close.all(), (model, rows["n"][~close], rows["t"][~close])
        else:
            rel = 1e-9 if quantity == "log_likelihood" else 1e-8
            assert got == pytest.approx(rows[quantity], rel=rel, abs=ABSOLUTE[quantity]), model


def test_gradient_matches_the_references() -> None:
    for model, rows in _blocks():
        chosen = np.isfinite(rows["d_r"])
        if not chosen.any():
            continue
        x, t_x, T = rows["x"][chosen], rows["t_x"][chosen], rows["T"][chosen]
        theta = np.array(list(model.params.values()))
        _, gradient, _ = _log_likelihood(theta, x, t_x, T, with_gradient=True)
        assert gradient is not None
        expected = np.stack([rows[name][chosen] for name in GRADIENT])
        scale = np.abs(expected).max(axis=0)  # each customer's largest partial derivative
        assert np.all(np.abs(gradient - expected) <= 1e-9 * scale), model


@pytest.mark.skipif(mpmath is None, reason="mpmath is not installed")
def test_table_matches_the_mpmath_functions() -> None:
    # one row in 40 (about 3 s): the table is this module's script's output
    table = _table()
    for i in range(0, len(table["block"]), 40):
        params = tuple(float(table[name][i]) for name in ("r", "alpha", "s", "beta"))
        history = tuple(float(table[name][i]) for name in ("x", "t_x", "T", "t", "n"))
        with mpmath.workdps(50):
            fresh = [float(v) for v in reference_row(params, history, gradient=False)]
        stored = [float(table[name][i]) for name in OUTPUTS]
        assert fresh == pytest.approx(stored, rel=1e-15, abs=1e-300), i


def _closed_form(params: Params, x: Any, y: Any) -> Any:
    """P(y) of Fader & Hardie (2005), eq. 19, with I = [P(t_x) - P(T)] / (r + s + x)."""
    r, alpha, s, beta = (mpmath.mpf(v) for v in params)
    m = r + s + x
    if alpha >= beta:
        return mpmath.hyp2f1(m, s + 1, m + 1, (alpha - beta) / (alpha + y)) / (alpha + y) ** m
    return mpmath.hyp2f1(m, r + x, m + 1, (beta - alpha) / (beta + y)) / (beta + y) ** m


@pytest.mark.skipif(mpmath is None, reason="mpmath is not installed")
def test_reference_quadrature_matches_the_closed_form() -> None:
    for params, x, t_x, T in [
        ((0.553, 10.578, 0.606, 11.669), 2, 30.43, 38.86),
        ((12.5, 3.2, 0.04, 0.9), 7, 1.5, 60.0),
    ]:
        with mpmath.workdps(50):
            x_, t_x_, T_ = (mpmath.mpf(v) for v in (x, t_x, T))
            m = sum(mpmath.mpf(v) for v in (params[0], params[2], x))
            closed = (_closed_form(params, x_, t_x_) - _closed_form(params, x_, T_)) / m
            quadrature = _log_dropout(params, x_, t_x_, T_)
            assert abs(mpmath.log(closed) - quadrature) < mpmath.mpf(10) ** -40


def test_bug_reports_are_fixed() -> None:
    # P(X(39) = 0) of a new customer, which the fixed 64-node rule over (0, 39) got as
    # 0.004498 and 1.47e-9; mpmath (this module's _pmf at 50 digits):
    # 0.0050087405412721684330 and 0.99517892645631059708
    for params, expected in [
        ((2.68, 0.089, 0.079, 0.743), 0.0050087405412721684330),
        ((0.0076, 0.0018, 176.1, 0.348), 0.99517892645631059708),
    ]:
        model = ParetoNBD(**dict(zip(("r", "alpha", "s", "beta"), params, strict=True)))
        assert model.probability_of_purchases(0, 39.0) == pytest.approx(expected, rel=1e-12)
    # the log-likelihood at r = 805, alpha = 15.4, where the old rule lost up to 3.2e-6
    # relative (-2.5335828666 for x = 0, T = 5965.9 below); mpmath (this module's
    # _log_likelihood_and_alive at 50 digits, the same to 25 at 80): -2.5335909578286143951
    model = ParetoNBD(r=805.0, alpha=15.4, s=0.04125, beta=0.0018966)
    s = CustomerSummary.from_arrays([0.0], [0.0], [5965.9])
    assert model.customer_log_likelihood(s)[0] == pytest.approx(-2.5335909578286143951, rel=1e-12)
    model, rows = next(_blocks())  # and the first rows of the table
    s = CustomerSummary.from_arrays(rows["x"], rows["t_x"], rows["T"])
    assert model.r == 805.0 and model.alpha == 15.4
    assert model.customer_log_likelihood(s) == pytest.approx(rows["log_likelihood"], rel=1e-12)


def test_probabilities_broadcast_like_numpy() -> None:
    model = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    n, t = np.arange(4)[:, None], np.array([[0.0, 1e-3, 39.0, 1e4]])
    together = model.probability_of_purchases(n, t)
    assert together.shape == (4, 4)
    apart = [[model.probability_of_purchases(int(k), float(h)) for h in t[0]] for k in n[:, 0]]
    assert together == pytest.approx(np.array(apart), rel=1e-14)
    assert together[:, 0].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert isinstance(model.probability_of_purchases(1, 2.0), float)


def test_probabilities_reject_bad_counts_and_horizons() -> None:
    model = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    with pytest.raises(ValidationError, match=r"`n` must be whole numbers.*index 1: 2\.5"):
        model.probability_of_purchases([1.0, 2.5], 1.0)
    with pytest.raises(ValidationError, match=r"`n` must be >= 0"):
        model.probability_of_purchases(-1, 1.0)
    with pytest.raises(ValidationError, match=r"`t` must be >= 0"):
        model.probability_of_purchases(1, -1.0)
    with pytest.raises(ValidationError, match=r"`t` must be >= 0"):
        model.expected_purchases_new_customer([1.0, -2.0])


def test_probabilities_of_purchases_sum_to_one() -> None:
    # summed far enough, the probabilities account for every customer: here the mean is
    # small and the tail beyond 5,000 is below 1e-13
    for params, t in [((0.553, 10.578, 0.606, 11.669), 39.0), ((2.0, 1.0, 3.0, 20.0), 100.0)]:
        model = ParetoNBD(**dict(zip(("r", "alpha", "s", "beta"), params, strict=True)))
        total = float(np.sum(model.probability_of_purchases(np.arange(5000), t)))
        assert total == pytest.approx(1.0, abs=1e-12)


PARETO = models(ParetoNBD)


@given(model=PARETO, history=customer_histories(), t=st.lists(horizons(), min_size=1))
def test_conditional_expectation_never_decreases_in_t(
    model: ParetoNBD, history: tuple[float, float, float], t: list[float]
) -> None:
    ordered = np.sort(np.array([*t, 0.0]))
    s = CustomerSummary.from_arrays(*([value] * ordered.size for value in history))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = model.expected_purchases(s, ordered)  # per-customer horizons
        alive = model.probability_alive(s)
    assert np.all(np.isfinite(expected)) and expected[0] == 0.0
    assert np.all(np.diff(expected) >= -1e-12 * expected[1:])
    assert np.all((alive >= 0.0) & (alive <= 1.0))


@given(model=PARETO, t=st.lists(horizons(), min_size=1, max_size=20))
def test_new_customer_expectation_never_decreases_in_t(model: ParetoNBD, t: list[float]) -> None:
    ordered = np.sort(np.array(t))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = model.expected_purchases_new_customer(ordered)
    assert np.all(np.isfinite(expected)) and np.all(expected >= 0.0)
    assert np.all(np.diff(expected) >= -1e-12 * expected[1:])


@given(model=PARETO, history=customer_histories(), n=st.integers(0, 10_000), t=horizons())
def test_probabilities_stay_in_the_unit_interval(
    model: ParetoNBD, history: tuple[float, float, float], n: int, t: float
) -> None:
    s = CustomerSummary.from_arrays(*([value] for value in history))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alive = model.probability_alive(s)[0]
        purchases = model.probability_of_purchases(n, t)
        ll = model.customer_log_likelihood(s)[0]
    assert 0.0 <= alive <= 1.0
    assert 0.0 <= purchases <= 1.0
    assert np.isfinite(ll) and (ll <= 1e-15 if history[0] == 0 else True)  # a probability


@given(model=PARETO, t=horizons())
def test_probabilities_of_purchases_sum_to_at_most_one(model: ParetoNBD, t: float) -> None:
    # at most 1, and at least 1 - E[X(t)] / 3000 (Markov: P(X(t) >= 3000) <= E[X(t)] / 3000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = float(np.sum(model.probability_of_purchases(np.arange(3000), t)))
        mean = model.expected_purchases_new_customer(t)
    assert 1.0 - mean / 3000.0 - 1e-12 <= total <= 1.0 + 1e-12


if __name__ == "__main__":
    if mpmath is None:
        sys.exit("the reference script needs mpmath")
    write_table()
    print(f"wrote {TABLE}")
