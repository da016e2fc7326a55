"""Pareto/NBD with per-row parameters: the covariate kernel's scores and the row view's kernels.

A model with covariates gives every row its own (r, alpha, s, beta).  The fit calls
``ParetoNBD._row_scores(params, x, t_x, T)``; predictions call the private kernels of a
*row view*, a ParetoNBD whose parameter fields hold one value per row.  Each must equal
the scalar model built with that row's parameters, and the scores the derivatives of the
per-row log-likelihood in log-parameters.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import gammaln

from relmark import ParetoNBD
from relmark.datasets import cdnow_sample_summary
from relmark.models import pareto_nbd
from relmark.models.pareto_nbd import _alive_rows, _chunked, _row_view
from tests.strategies import log_uniform

PAPER = (0.553, 10.578, 0.606, 11.669)  # Fader, Hardie & Lee (2005), CDNOW
# parameter sets far apart: CDNOW; alpha >> beta; alpha << beta; alpha == beta with s == 1;
# everything tiny; everything huge; s one rounding step from 1
SETS = np.array(
    [
        PAPER,
        (2.0, 1e4, 0.3, 0.05),
        (0.05, 0.01, 3.0, 500.0),
        (1.5, 7.0, 1.0, 7.0),
        (1e-3, 1e-3, 1e-3, 2e-3),
        (1e3, 1e3, 1e3, 1e3),
        (0.8, 40.0, 1.0 + 2e-16, 0.5),
    ]
)
RTOL = 1e-12
# (parameter set, its rows) -> the scalar model's result on those rows
ScalarRows = Callable[[int, np.ndarray], np.ndarray]


def extreme_histories(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """(x, t_x, T) with x up to 1e4, T up to 1e4, t_x = 0 (no repeat) and t_x = T rows."""
    x = rng.choice([0.0, 0.0, 1.0, 3.0, 25.0, 400.0, 1e4], n)
    T = np.exp(rng.uniform(np.log(0.05), np.log(1e4), n))
    share = np.where(rng.uniform(size=n) < 0.25, 1.0, rng.uniform(size=n))
    t_x = np.where(x > 0, share * T, 0.0)
    return x, t_x, T


def grouped(seed: int, n: int) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Rows with a random parameter set each: (set of each row, params (4, n), histories)."""
    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(SETS), n)
    return which, SETS[which].T.copy(), extreme_histories(rng, n)


def scalar(k: int) -> ParetoNBD:
    r, alpha, s, beta = SETS[k]
    return ParetoNBD(r=r, alpha=alpha, s=s, beta=beta)


def assert_rows_match(
    view_values: np.ndarray, which: np.ndarray, scalar_values: ScalarRows
) -> None:
    """Each parameter set's rows of the view's result equal the scalar model's, to RTOL."""
    for k in range(len(SETS)):  # a loop over parameter sets, in the test only
        rows = np.flatnonzero(which == k)
        np.testing.assert_allclose(
            view_values[..., rows], scalar_values(k, rows), rtol=RTOL, atol=0
        )


# -- the fit's kernel ------------------------------------------------------------------------


@pytest.mark.parametrize("theta", [PAPER, (2.0, 5.0, 0.3, 50.0), (0.1, 100.0, 3.0, 100.0)])
def test_row_scores_with_one_parameter_set_sum_to_the_objective(theta: tuple[float, ...]) -> None:
    rows = ParetoNBD._fit_rows(cdnow_sample_summary())
    x, t_x, T, w = rows.frequency, rows.recency, rows.T, rows.weights
    value, gradient = ParetoNBD._objective(rows)(np.array(theta))
    params = np.repeat(np.array(theta)[:, None], x.size, axis=1)
    ll, scores = ParetoNBD._row_scores(params, x, t_x, T)
    assert ll.shape == (x.size,) and scores.shape == (4, x.size)
    assert float(w @ ll) == pytest.approx(-value, rel=1e-10)
    np.testing.assert_allclose(scores @ w, -gradient * np.array(theta), rtol=1e-10)


def test_row_scores_equal_the_scalar_kernel_row_by_row() -> None:
    which, params, (x, t_x, T) = grouped(1, 700)
    ll, scores = ParetoNBD._row_scores(params, x, t_x, T)
    assert np.isfinite(ll).all() and np.isfinite(scores).all()

    def scalar_ll(k: int, rows: np.ndarray) -> np.ndarray:
        return _chunked(SETS[k], x[rows], t_x[rows], T[rows], with_gradient=False)[0]

    def scalar_scores(k: int, rows: np.ndarray) -> np.ndarray:
        gradient = _chunked(SETS[k], x[rows], t_x[rows], T[rows], with_gradient=True)[1]
        assert gradient is not None
        return np.asarray(gradient * SETS[k][:, None])

    assert_rows_match(ll, which, scalar_ll)
    assert_rows_match(scores, which, scalar_scores)


def test_row_scores_slice_the_parameters_with_the_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    _, params, (x, t_x, T) = grouped(2, 300)
    whole = ParetoNBD._row_scores(params, x, t_x, T)
    monkeypatch.setattr(pareto_nbd, "_CHUNK", 7)  # 43 chunks, each with its rows' parameters
    chunked = ParetoNBD._row_scores(params, x, t_x, T)
    np.testing.assert_allclose(chunked[0], whole[0], rtol=RTOL)
    np.testing.assert_allclose(chunked[1], whole[1], rtol=RTOL, atol=1e-300)


def test_row_scores_leave_the_callers_parameters_alone() -> None:
    _, params, (x, t_x, T) = grouped(3, 50)
    before = params.copy()
    ParetoNBD._row_scores(params, x, t_x, T)
    np.testing.assert_array_equal(params, before)


def term_size(params: np.ndarray, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """The size of the largest terms of ll (a difference quotient divides their rounding)."""
    r, alpha, s, beta = params
    return np.asarray(
        1.0
        + np.abs(gammaln(r + x))
        + np.abs(gammaln(r))
        + (r + x) * np.abs(np.log(alpha + T))
        + r * np.abs(np.log(alpha))
        + (s + 1.0) * np.abs(np.log(beta + T))
        + s * np.abs(np.log(beta))
    )


@st.composite
def extreme_rows(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A few rows, each with its own parameters in 1e-6..1e6 and an extreme history."""
    columns = []
    for _ in range(draw(st.integers(1, 6))):
        r, alpha, s = (draw(log_uniform(1e-6, 1e6)) for _ in range(3))
        relation = draw(st.sampled_from(["equal", "any", "alpha >> beta", "alpha << beta"]))
        if relation == "equal":
            beta = alpha
        elif relation == "any":
            beta = draw(log_uniform(1e-6, 1e6))
        else:
            factor = 10.0 ** draw(st.integers(3, 12))
            beta = alpha / factor if relation == "alpha >> beta" else alpha * factor
            beta = min(max(beta, 1e-6), 1e6)
        x = float(draw(st.sampled_from([0, 1, 2, 30, 1000, 10_000]) | st.integers(0, 10_000)))
        T = draw(log_uniform(1e-3, 1e4))
        end = draw(st.sampled_from(["at T", "inside"]))
        t_x = 0.0 if x == 0 else T if end == "at T" else T * draw(st.floats(1e-6, 1.0))
        columns.append((r, alpha, s, beta, x, t_x, T))
    table = np.array(columns).T
    return table[:4].copy(), table[4].copy(), table[5].copy(), table[6].copy()


@given(rows=extreme_rows())
def test_row_scores_are_the_derivatives_in_log_parameters(
    rows: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    params, x, t_x, T = rows
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        ll, scores = ParetoNBD._row_scores(params, x, t_x, T)
    assert np.isfinite(ll).all() and np.isfinite(scores).all()
    step = 1e-3  # five-point differences: truncation ~ step^4, rounding ~ 1e-13 / step
    size = term_size(params, x, T)
    for j in range(4):

        def at(shift: float, j: int = j) -> np.ndarray:
            moved = params.copy()
            moved[j] *= np.exp(shift)
            return _chunked(moved, x, t_x, T, with_gradient=False)[0]

        numeric = (-at(2 * step) + 8 * at(step) - 8 * at(-step) + at(-2 * step)) / (12 * step)
        # the kernel's ll is exact to ~1e-12 of its terms: a difference quotient keeps 1e-9
        assert np.all(np.abs(scores[j] - numeric) <= 1e-6 * np.abs(numeric) + 1e-9 * size), j


@pytest.mark.parametrize(
    "case",
    [
        (0.033, 1.775e-6, 0.0073, 1.775e-6, 0.0, 0.0, 8490.0),  # alpha == beta, T >> alpha
        (0.033, 1e-3, 0.0073, 1e-3, 0.0, 0.0, 1e4),
    ],
)
def test_scores_match_mpmath_where_alpha_equals_beta_over_a_long_range(
    case: tuple[float, ...],
) -> None:
    # A nearly flat dropout integrand over a long range: its means (the scores) need more
    # nodes than its integral (one 8-node panel once lost 3e-6 of a score here).  The
    # reference is the mpmath script of test_pareto_nbd_reference (mpmath.diff of the
    # integral-form log-likelihood), here at 20 digits.
    mpmath = pytest.importorskip("mpmath")
    from tests.models.test_pareto_nbd_reference import reference_row

    theta, (x, t_x, T) = np.array(case[:4]), case[4:]
    with mpmath.workdps(20):
        reference = reference_row(tuple(theta), (x, t_x, T, 1.0, 0.0), gradient=True)
    expected = np.array([float(v) for v in reference[-4:]]) * theta
    _, scores = ParetoNBD._row_scores(theta[:, None], np.array([x]), np.array([t_x]), np.array([T]))
    np.testing.assert_allclose(scores[:, 0], expected, rtol=0, atol=1e-12 * np.abs(expected).max())


# -- the row view's prediction kernels --------------------------------------------------------


def test_row_view_kernels_equal_the_scalar_model_row_by_row() -> None:
    which, params, (x, t_x, T) = grouped(4, 500)
    view = _row_view(*params)
    horizon = np.exp(np.random.default_rng(5).uniform(np.log(0.1), np.log(5e3), x.size))

    def on_rows(method: str, *columns: np.ndarray) -> ScalarRows:
        return lambda k, rows: np.asarray(getattr(scalar(k), method)(*(c[rows] for c in columns)))

    assert_rows_match(
        view._log_likelihood_rows(x, t_x, T), which, on_rows("_log_likelihood_rows", x, t_x, T)
    )
    assert_rows_match(view._alive(x, t_x, T), which, on_rows("_alive", x, t_x, T))
    assert_rows_match(
        view._expected(x, t_x, T, horizon), which, on_rows("_expected", x, t_x, T, horizon)
    )
    assert_rows_match(
        view._purchases_per_alive(x, T, horizon),
        which,
        on_rows("_purchases_per_alive", x, T, horizon),
    )
    assert_rows_match(view._expected_new(horizon), which, on_rows("_expected_new", horizon))
    assert_rows_match(view._pmf(x, horizon), which, on_rows("_pmf", x, horizon))

    def one_horizon(k: int, rows: np.ndarray) -> np.ndarray:
        return scalar(k)._expected(x[rows], t_x[rows], T[rows], np.array([26.0]))

    assert_rows_match(view._expected(x, t_x, T, np.array([26.0])), which, one_horizon)

    def dert(k: int, rows: np.ndarray) -> np.ndarray:
        return scalar(k)._dert(x[rows], t_x[rows], T[rows], 0.01)

    assert_rows_match(view._dert(x, t_x, T, 0.01), which, dert)


def test_row_view_sums_over_horizons_equal_the_scalar_model() -> None:
    which, params, (x, t_x, T) = grouped(6, 200)
    view = _row_view(*params)
    horizons, weights = np.array([4.0, 13.0, 52.0]), np.array([[1.0, 1.0, 1.0], [0.9, 0.7, 0.4]])

    def sums(k: int, rows: np.ndarray) -> np.ndarray:
        return scalar(k)._expected_sums(x[rows], t_x[rows], T[rows], horizons, weights)

    assert_rows_match(view._expected_sums(x, t_x, T, horizons, weights), which, sums)


def test_row_view_alive_shares_work_only_among_equal_rows() -> None:
    # customers without repeat purchases are computed once per distinct (T, parameters):
    # two such customers with one T and different parameters must not share a value
    x, t_x, T = np.zeros(4), np.zeros(4), np.full(4, 30.0)
    view = _row_view(0.5, [2.0, 2.0, 200.0, 200.0], 0.5, [3.0, 3.0, 3.0, 0.3])
    alive = view._alive(x, t_x, T)
    expected = [
        scalar_of(0.5, a, 0.5, b)._alive(x[:1], t_x[:1], T[:1])[0]
        for a, b in [(2.0, 3.0), (2.0, 3.0), (200.0, 3.0), (200.0, 0.3)]
    ]
    np.testing.assert_allclose(alive, expected, rtol=RTOL)
    assert len(set(alive.tolist())) == 3


def scalar_of(r: float, alpha: float, s: float, beta: float) -> ParetoNBD:
    return ParetoNBD(r=r, alpha=alpha, s=s, beta=beta)


def test_row_view_chunks_slice_the_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    which, params, (x, t_x, T) = grouped(7, 120)
    monkeypatch.setattr(pareto_nbd, "_CHUNK", 11)
    view = _row_view(*params)
    assert_rows_match(
        _alive_rows(view._rows_theta, x, t_x, T),
        which,
        lambda k, rows: _alive_rows(SETS[k], x[rows], t_x[rows], T[rows]),
    )
    assert_rows_match(
        view._log_likelihood_rows(x, t_x, T),
        which,
        lambda k, rows: scalar(k)._log_likelihood_rows(x[rows], t_x[rows], T[rows]),
    )


def test_row_view_with_one_parameter_set_is_the_scalar_model_bit_for_bit() -> None:
    _, _, (x, t_x, T) = grouped(8, 400)
    model = scalar(0)
    view = _row_view(*(np.full(x.size, v) for v in PAPER))
    np.testing.assert_array_equal(
        view._log_likelihood_rows(x, t_x, T), model._log_likelihood_rows(x, t_x, T)
    )
    np.testing.assert_array_equal(view._alive(x, t_x, T), model._alive(x, t_x, T))
    np.testing.assert_array_equal(view._dert(x, t_x, T, 0.02), model._dert(x, t_x, T, 0.02))
    for draw in ("_draw", "_draw_times"):  # the same stream: numpy draws element by element
        ours = getattr(view, draw)(T, np.random.default_rng(9))
        theirs = getattr(model, draw)(T, np.random.default_rng(9))
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(a, b)
    assert view._mean_rate() == pytest.approx(model._mean_rate(), rel=1e-15)


def test_row_view_draws_each_customer_from_their_own_parameters() -> None:
    # two groups of 40,000 customers, one buying 50 times faster and leaving 10 times slower;
    # each group's mean repeat count must match its own model's E[X(T)] (5 standard errors)
    n = 40_000
    fast, slow = (1.0, 0.5, 0.8, 20.0), (1.0, 25.0, 0.8, 2.0)
    view = _row_view(*np.repeat(np.array([fast, slow]).T, n, axis=1))
    T = np.full(2 * n, 30.0)
    x, t_x = view._draw(T, np.random.default_rng(11))
    owner, _ = view._draw_times(T, np.random.default_rng(12))
    counts = np.bincount(owner, minlength=2 * n).astype(float)
    assert np.all((t_x <= T) & (t_x >= 0.0)) and np.all((x > 0) | (t_x == 0.0))
    for group, theta in enumerate((fast, slow)):
        rows = slice(group * n, (group + 1) * n)
        mean = scalar_of(*theta)._expected_new(np.array([30.0]))[0]
        for drawn in (x[rows], counts[rows]):
            assert abs(drawn.mean() - mean) < 5.0 * drawn.std() / np.sqrt(n), (
                group,
                drawn.mean(),
                mean,
            )
