"""BG/NBD and MBG/NBD with per-row parameters: the row kernel and the row views' predictions.

A covariate model gives every customer their own (r, alpha, a, b).  The fit
calls ``_row_scores`` on per-row parameters; predictions call the private
kernels on a *row view*, a model whose parameter attributes are arrays
aligned with the rows.  Both must agree with the one-parameter-set model row
by row, and the kernel's scores must be the exact derivatives.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark import BetaGeo, CustomerSummary, ModifiedBetaGeo
from relmark.models import beta_geo
from relmark.models.beta_geo import _distinct_rows, _Histories, _row_view
from tests.models.test_beta_geo_reference import ABSOLUTE, MODELS, _table

try:
    import mpmath
except ImportError:  # pragma: no cover - mpmath is a test dependency
    mpmath = None

CLASSES = [BetaGeo, ModifiedBetaGeo]
NAMES = ("r", "alpha", "a", "b")

# parameter sets far apart: the paper's CDNOW estimates, small and large shapes, a = 1, a + b < 1
SETS = np.array(
    [
        [0.243, 4.414, 0.793, 2.426],
        [5.0, 0.3, 3.0, 0.5],
        [0.01, 200.0, 0.05, 40.0],
        [50.0, 10.0, 1.0, 1.0],
        [1.5, 2.0, 0.5, 300.0],
        [0.8, 1e-3, 0.2, 0.3],
    ]
)


def histories(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random histories, with extreme rows first: x up to 1e4, T up to 1e4, t_x = 0 and t_x = T."""
    x = rng.integers(0, 40, n).astype(float)
    T = rng.uniform(0.5, 80.0, n)
    t_x = np.where(x > 0, T * rng.uniform(0.0, 1.0, n), 0.0)
    x[:6] = [0.0, 1e4, 3.0, 0.0, 7.0, 2.0]
    T[:6] = [1e4, 1e4, 1e-3, 20.0, 30.0, 1e4]
    t_x[:6] = [0.0, 1e4, 0.0, 0.0, 30.0, 1e-3]
    return x, t_x, T


def cells(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's cell (an index into SETS) and the (4, n) parameters of the rows."""
    cell = rng.integers(0, len(SETS), n)
    return cell, SETS[cell].T.copy()


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300)))


# -- the row kernel -----------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("n", [3_000, 30_000])  # per row, and tabulated per distinct x
def test_row_scores_sum_to_the_objective(cls: type[BetaGeo], n: int) -> None:
    x, t_x, T = histories(np.random.default_rng(n), n)
    rows = CustomerSummary.from_arrays(x, t_x, T).compress()
    for theta in SETS:
        value, gradient = _Histories.of(rows, cls._shift).neg_log_likelihood(theta)
        params = np.repeat(theta[:, None], len(rows), axis=1)
        ll, scores = cls._row_scores(params, rows.frequency, rows.recency, rows.T)
        assert ll.shape == (len(rows),) and scores.shape == (4, len(rows))
        assert -float(rows.weights @ ll) == pytest.approx(value, rel=1e-10)
        assert scores @ rows.weights == pytest.approx(-gradient * theta, rel=1e-10, abs=1e-9)


@pytest.mark.parametrize("cls", CLASSES)
def test_row_scores_match_the_customer_log_likelihood(cls: type[BetaGeo]) -> None:
    x, t_x, T = histories(np.random.default_rng(5), 2_000)
    cell, params = cells(np.random.default_rng(6), x.size)
    ll, _ = cls._row_scores(params, x, t_x, T)
    for index, theta in enumerate(SETS):
        rows = cell == index
        model = cls(**dict(zip(NAMES, theta, strict=True)))
        want = model._log_likelihood_rows(x[rows], t_x[rows], T[rows])
        assert ll[rows] == pytest.approx(want, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("cls", CLASSES)
def test_tabulated_terms_equal_the_per_row_ones(
    cls: type[BetaGeo], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a covariate fit's rows: a few cells of parameters, tabulated per (x, cell); the same
    # elementwise formulas per row give the same bits
    x, t_x, T = histories(np.random.default_rng(7), 40_000)
    _, params = cells(np.random.default_rng(8), x.size)
    tabulated = cls._row_scores(params, x, t_x, T)
    calls = []
    history_terms = beta_geo._history_terms

    def counted(*args: Any) -> Any:
        calls.append(args[1].size)
        return history_terms(*args)

    monkeypatch.setattr(beta_geo, "_history_terms", counted)
    cls._row_scores(params, x, t_x, T)
    assert calls and calls[-1] < 1_000  # once per distinct (x, cell), not per row
    monkeypatch.setattr(beta_geo, "_FEW_ROWS", 10**9)
    per_row = cls._row_scores(params, x, t_x, T)
    assert calls[-1] == x.size
    np.testing.assert_array_equal(tabulated[0], per_row[0])
    np.testing.assert_array_equal(tabulated[1], per_row[1])


def test_continuous_parameters_are_scored_per_row() -> None:
    # every row its own parameters (a continuous covariate): no table, the same values
    rng = np.random.default_rng(9)
    x, t_x, T = histories(rng, 20_000)
    params = SETS[0][:, None] * np.exp(rng.normal(0.0, 0.5, (4, x.size)))
    ll, scores = BetaGeo._row_scores(params, x, t_x, T)
    few = slice(0, 500)
    ll_few, scores_few = BetaGeo._row_scores(params[:, few], x[few], t_x[few], T[few])
    np.testing.assert_array_equal(ll[few], ll_few)
    np.testing.assert_array_equal(scores[:, few], scores_few)


log_parameter = st.floats(-7.0, 7.0)  # parameters from 1e-3 to 1e3
extreme_log_parameter = st.floats(np.log(1e-6), np.log(1e6))


@st.composite
def history_rows(draw: st.DrawFn, size: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Histories with x up to 1e4, T from 1e-2 to 1e4, t_x anywhere in [0, T] (ends included)."""
    x, t_x, T = [], [], []
    for _ in range(size):
        count = float(draw(st.sampled_from([0, 1, 2, 7, 60, 1_000, 10_000])))
        age = draw(st.sampled_from([1e-2, 1.0, 39.0, 500.0, 1e4]))
        last = 0.0 if count == 0 else age * draw(st.sampled_from([0.0, 1e-6, 0.3, 0.999, 1.0]))
        x.append(count)
        t_x.append(last)
        T.append(age)
    return np.array(x), np.array(t_x), np.array(T)


def central_differences(
    cls: type[BetaGeo], log_theta: np.ndarray, columns: tuple[np.ndarray, ...], step: float
) -> np.ndarray:
    """d ll / d log theta_j by central differences, per row."""
    n = columns[0].size
    result = np.empty((4, n))
    for j in range(4):  # a loop over the 4 parameters, in the test only
        up, down = log_theta.copy(), log_theta.copy()
        up[j] += step
        down[j] -= step
        high = cls._row_scores(np.repeat(np.exp(up)[:, None], n, axis=1), *columns)[0]
        low = cls._row_scores(np.repeat(np.exp(down)[:, None], n, axis=1), *columns)[0]
        result[j] = (high - low) / (2.0 * step)
    return result


@pytest.mark.parametrize("cls", CLASSES)
@settings(max_examples=60)
@given(log_theta=st.lists(log_parameter, min_size=4, max_size=4), rows=history_rows())
def test_scores_match_finite_differences(
    cls: type[BetaGeo], log_theta: list[float], rows: tuple[np.ndarray, ...]
) -> None:
    theta = np.array(log_theta)
    params = np.repeat(np.exp(theta)[:, None], rows[0].size, axis=1)
    ll, scores = cls._row_scores(params, *rows)
    numeric = central_differences(cls, theta, rows, 1e-4)
    # rounding in the differences: the log-likelihood's terms are up to |ll| + 1e5 in size
    noise = 1e-16 * (np.abs(ll) + 1e5 + np.abs(rows[0]) * 30.0) / 1e-4
    assert np.all(np.abs(scores - numeric) <= 1e-6 * np.abs(scores) + 1e-6 + noise)


@pytest.mark.parametrize("cls", CLASSES)
@settings(max_examples=60)
@given(log_theta=st.lists(extreme_log_parameter, min_size=8, max_size=8), rows=history_rows())
def test_row_scores_stay_finite_for_extreme_parameters(
    cls: type[BetaGeo], log_theta: list[float], rows: tuple[np.ndarray, ...]
) -> None:
    # per-row parameters from 1e-6 to 1e6 (large coefficients), two sets over the rows
    params = np.exp(np.array(log_theta).reshape(4, 2))[:, np.arange(rows[0].size) % 2]
    ll, scores = cls._row_scores(params, *rows)
    assert np.all(np.isfinite(ll))
    assert np.all(ll[rows[0] == 0] <= 1e-12)  # a probability there (a density in t_x elsewhere)
    assert np.all(np.isfinite(scores))


def _mpmath_log_likelihood(shift: int, log_theta: list[Any], x: float, t_x: float, T: float) -> Any:
    """Eq. 6 of Fader, Hardie & Lee (2005) in mpmath (MBG/NBD: k = x + 1 chances)."""
    r, alpha, a, b = (mpmath.exp(v) for v in log_theta)
    k = x + shift
    common = mpmath.loggamma(r + x) - mpmath.loggamma(r) + r * mpmath.log(alpha)
    first = mpmath.exp(
        mpmath.log(mpmath.beta(a, b + k) / mpmath.beta(a, b)) - (r + x) * mpmath.log(alpha + T)
    )
    second = (
        mpmath.beta(a + 1, b + k - 1)
        / mpmath.beta(a, b)
        * mpmath.exp(-(r + x) * mpmath.log(alpha + t_x))
        if k > 0
        else 0
    )
    return common + mpmath.log(first + second)


def _along(shift: int, log_theta: list[Any], j: int, row: tuple[float, float, float]) -> Any:
    """The mpmath log-likelihood as a function of the j-th log-parameter alone."""

    def moved(value: Any) -> Any:
        point = list(log_theta)
        point[j] = value
        return _mpmath_log_likelihood(shift, point, *row)

    return moved


@pytest.mark.skipif(mpmath is None, reason="mpmath is not installed")
@pytest.mark.parametrize("cls", CLASSES)
def test_scores_match_mpmath_derivatives_at_extreme_parameters(cls: type[BetaGeo]) -> None:
    points = [
        ([1e-6, 1e6, 1e-6, 1e6], (0.0, 0.0, 1e4)),
        ([1e6, 1e-6, 1e6, 1e-6], (1e4, 1e4, 1e4)),
        ([1e-6, 1e-6, 1e6, 1e6], (3.0, 1e-2, 39.0)),
        ([1e6, 1e6, 1e-6, 1e-6], (60.0, 500.0, 500.0)),
        ([0.243, 4.414, 0.793, 2.426], (2.0, 30.43, 38.86)),
        ([3.0, 1e3, 1e-3, 1e3], (1e4, 0.0, 1e4)),
    ]
    with mpmath.workdps(40):
        for theta, (x, t_x, T) in points:
            log_theta = [mpmath.log(mpmath.mpf(v)) for v in theta]
            params = np.array(theta)[:, None]
            ll, scores = cls._row_scores(params, np.array([x]), np.array([t_x]), np.array([T]))
            want = _mpmath_log_likelihood(cls._shift, log_theta, x, t_x, T)
            assert ll[0] == pytest.approx(float(want), rel=1e-9, abs=1e-9)
            for j in range(4):
                exact = float(
                    mpmath.diff(_along(cls._shift, log_theta, j, (x, t_x, T)), log_theta[j])
                )
                assert scores[j, 0] == pytest.approx(exact, rel=1e-7, abs=1e-7), (theta, j)


# -- the row views' predictions -------------------------------------------------------------


def scalar_models(cls: type[BetaGeo]) -> list[BetaGeo]:
    return [cls(**dict(zip(NAMES, theta, strict=True))) for theta in SETS]


def per_cell(cell: np.ndarray, models: list[BetaGeo], kernel: Any) -> np.ndarray:
    """Each cell's rows through ``kernel(model, rows)`` of its own scalar model (a test loop)."""
    parts = {index: kernel(model, cell == index) for index, model in enumerate(models)}
    shape = (*next(iter(parts.values())).shape[:-1], cell.size)
    result = np.empty(shape)
    for index, values in parts.items():
        result[..., cell == index] = values
    return result


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("n", [800, 15_000])  # below and above the distinct-row shortcuts
def test_row_view_kernels_equal_the_scalar_models(cls: type[BetaGeo], n: int) -> None:
    rng = np.random.default_rng(n)
    x, t_x, T = histories(rng, n)
    cell, params = cells(rng, n)
    view = _row_view(*params, model=cls)
    models = scalar_models(cls)
    horizon = np.array([10.0])
    horizons = np.array([1.0, 5.0, 20.0, 52.0])
    weights = np.array([[1.0, 0.5, 0.2, 0.1], [0.0, 1.0, 0.0, 0.0]])
    checks = {
        "alive": (view._alive(x, t_x, T), lambda m, i: m._alive(x[i], t_x[i], T[i])),
        "log_likelihood": (
            view._log_likelihood_rows(x, t_x, T),
            lambda m, i: m._log_likelihood_rows(x[i], t_x[i], T[i]),
        ),
        "expected": (
            view._expected(x, t_x, T, horizon),
            lambda m, i: m._expected(x[i], t_x[i], T[i], horizon),
        ),
        "expected_per_row": (
            view._expected(x, t_x, T, T / 2.0),
            lambda m, i: m._expected(x[i], t_x[i], T[i], T[i] / 2.0),
        ),
        "expected_sums": (
            view._expected_sums(x, t_x, T, horizons, weights),
            lambda m, i: m._expected_sums(x[i], t_x[i], T[i], horizons, weights),
        ),
        "dert": (view._dert(x, t_x, T, 0.01), lambda m, i: m._dert(x[i], t_x[i], T[i], 0.01)),
        "expected_new": (view._expected_new(T), lambda m, i: m._expected_new(T[i])),
        "pmf": (view._pmf(x % 7, T), lambda m, i: m._pmf(x[i] % 7, T[i])),
    }
    for name, (got, kernel) in checks.items():
        want = per_cell(cell, models, kernel)
        assert np.all(np.isfinite(got)), name
        assert relative_error(got, want) < 1e-12, name


@pytest.mark.parametrize("cls", CLASSES)
def test_row_view_shortcuts_over_distinct_rows_equal_the_scalar_models(cls: type[BetaGeo]) -> None:
    # ages in whole months: few distinct (x, T, parameters), each evaluated once
    rng = np.random.default_rng(10)
    n = 20_000
    x = rng.integers(0, 30, n).astype(float)
    T = rng.choice(np.arange(1.0, 11.0) * 4.0, n)
    t_x = np.where(x > 0, T * rng.uniform(0.0, 1.0, n), 0.0)
    cell, params = cells(rng, n)
    view = _row_view(*params, model=cls)
    distinct = view._distinct(x, T, n // 2)
    assert distinct is not None and distinct[1][0].size < 2_000
    models = scalar_models(cls)
    horizon = np.array([26.0])
    horizons = np.array([4.0, 13.0, 52.0])
    weights = np.ones((1, 3))
    checks = {
        "expected": (
            view._expected(x, t_x, T, horizon),
            lambda m, i: m._expected(x[i], t_x[i], T[i], horizon),
        ),
        "expected_sums": (
            view._expected_sums(x, t_x, T, horizons, weights),
            lambda m, i: m._expected_sums(x[i], t_x[i], T[i], horizons, weights),
        ),
        "dert": (view._dert(x, t_x, T, 0.01), lambda m, i: m._dert(x[i], t_x[i], T[i], 0.01)),
    }
    for name, (got, kernel) in checks.items():
        assert relative_error(got, per_cell(cell, models, kernel)) < 1e-12, name


@pytest.mark.parametrize("cls", CLASSES)
def test_row_view_with_one_parameter_set_equals_the_model(cls: type[BetaGeo]) -> None:
    # the same parameters in every row: the view's kernels give the scalar model's values
    x, t_x, T = histories(np.random.default_rng(11), 12_000)
    model = scalar_models(cls)[0]
    view = _row_view(*(np.full(x.size, v) for v in SETS[0]), model=cls)
    assert view._per_row() and not model._per_row()
    np.testing.assert_array_equal(view._alive(x, t_x, T), model._alive(x, t_x, T))
    np.testing.assert_array_equal(
        view._log_likelihood_rows(x, t_x, T), model._log_likelihood_rows(x, t_x, T)
    )
    horizon = np.array([26.0])
    assert (
        relative_error(view._expected(x, t_x, T, horizon), model._expected(x, t_x, T, horizon))
        < 1e-13
    )
    assert relative_error(view._dert(x, t_x, T, 0.02), model._dert(x, t_x, T, 0.02)) < 1e-13


def _reference_rows(shift: int) -> dict[str, np.ndarray]:
    table = _table()
    chosen = table["shift"] == shift
    return {name: values[chosen] for name, values in table.items()}


@pytest.mark.parametrize("shift", sorted(MODELS))
@pytest.mark.parametrize("method", ["series", "quadrature"])
def test_row_view_matches_the_mpmath_references(
    shift: int, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every row of the 50-digit table at once, each with its own parameters (1e-3..1e3)
    if method == "series":
        monkeypatch.setattr(beta_geo, "_COST_QUADRATURE_CALL", 1.0)
        monkeypatch.setattr(beta_geo, "_COST_QUADRATURE_ROW", 1.0)
    else:
        monkeypatch.setattr(beta_geo, "_SERIES_MAX_TERMS", 0)
    rows = _reference_rows(shift)
    view = _row_view(*(rows[name] for name in NAMES), model=MODELS[shift])
    x, t_x, T, t = rows["x"], rows["t_x"], rows["T"], rows["t"]
    got = {
        "log_likelihood": view._log_likelihood_rows(x, t_x, T),
        "p_alive": view._alive(x, t_x, T),
        "if_alive": view._purchases_if_alive(x, T, t),
        "expected": view._expected(x, t_x, T, t),
        "new": view._expected_new(t),
        "pmf": view._pmf(rows["n"], t),
    }
    for name, values in got.items():
        assert np.all(np.isfinite(values)), name
        tolerance = ABSOLUTE.get(name, 0.0)
        assert values == pytest.approx(rows[name], rel=1e-8, abs=tolerance), name


@pytest.mark.parametrize("cls", CLASSES)
def test_row_view_draws_follow_each_rows_parameters(cls: type[BetaGeo]) -> None:
    n = 60_000
    cell = np.arange(n) % 3
    view = _row_view(*SETS[cell].T, model=cls)
    ages = np.full(n, 20.0)
    x, t_x = view._draw(ages, np.random.default_rng(12))
    owner, times = view._draw_times(ages, np.random.default_rng(13))
    counts = np.bincount(owner, minlength=n).astype(float)
    assert np.all((t_x >= 0.0) & (t_x <= ages)) and np.all((times > 0.0) & (times <= 20.0))
    for index, model in enumerate(scalar_models(cls)[:3]):
        rows = cell == index
        mean = float(model._expected_new(np.array([20.0]))[0])
        for drawn in (x[rows], counts[rows]):
            spread = drawn.std() / np.sqrt(rows.sum())
            assert abs(drawn.mean() - mean) < 5.0 * spread + 1e-12, (index, mean)


def test_row_view_draws_equal_the_models_with_one_parameter_set() -> None:
    model = scalar_models(BetaGeo)[0]
    ages = np.linspace(1.0, 50.0, 1_000)
    view = _row_view(*(np.full(ages.size, v) for v in SETS[0]), model=BetaGeo)
    for draw in ("_draw", "_draw_times"):
        got = getattr(view, draw)(ages, np.random.default_rng(4))
        want = getattr(model, draw)(ages, np.random.default_rng(4))
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)


# -- the distinct rows ------------------------------------------------------------------------


def test_distinct_rows_match_numpy_unique() -> None:
    rng = np.random.default_rng(14)
    n = 50_000
    x = rng.integers(0, 30, n).astype(float)
    a = rng.choice([0.5, 0.7, 2.5], n)
    b = np.full(n, 3.0)
    distinct = _distinct_rows(x, [a, b], n)
    assert distinct is not None
    (x_d, a_d, b_d), row_of = distinct
    np.testing.assert_array_equal(x_d[row_of], x)
    np.testing.assert_array_equal(a_d[row_of], a)
    np.testing.assert_array_equal(b_d[row_of], b)
    want = np.unique(np.stack([x, a], axis=1), axis=0)
    assert x_d.size == want.shape[0]
    assert _distinct_rows(x, [a, b], 50) is None  # more than 50 distinct rows
    assert _distinct_rows(x, [rng.uniform(size=n)], n // 4) is None  # all distinct: no table
