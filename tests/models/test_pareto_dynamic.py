"""Pareto/NBD with time-varying covariates: the data, the kernel, the fit, the predictions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import relmark
from relmark.data.period_covariates import PeriodCovariates
from relmark.exceptions import ValidationError
from relmark.models import pareto_dynamic as dyn
from relmark.models.pareto_dynamic import DynamicHistory, DynamicParetoNBD

BASE = {"r": 0.8, "alpha": 6.0, "s": 0.7, "beta": 15.0}


def _grid(n: int, periods: int, seed: int = 0) -> PeriodCovariates:
    """A numeric weekly grid: a season (blocks of 8 weeks) and a random promotion."""
    rng = np.random.default_rng(seed)
    season = np.tile((np.arange(periods) // 8) % 2, (n, 1))
    promo = rng.binomial(1, 0.2, (n, periods))
    values = np.stack([season, promo], axis=2).astype(float)
    return PeriodCovariates(
        customers=np.arange(n),
        start=0.0,
        period_length=1.0,
        unit="W",
        names=("season", "promo"),
        values=values,
    )


def _history(
    model: DynamicParetoNBD, n: int = 400, periods: int = 40, seed: int = 0
) -> DynamicHistory:
    covariates = _grid(n, periods, seed)
    first = np.random.default_rng(seed + 1).uniform(0.0, 10.0, n)
    log = model.simulate(covariates, first=first, end=float(periods), rng=seed + 2)
    return DynamicHistory.from_log(log, covariates, observation_end=float(periods))


TRUTH = DynamicParetoNBD(**BASE).with_coefficients(
    {
        "purchase[season]": math.log(1.6),
        "purchase[promo]": math.log(1.3),
        "dropout[promo]": math.log(0.5),
    }
)


@pytest.fixture(scope="module")
def history() -> DynamicHistory:
    return _history(TRUTH)


# ----------------------------------------------------------------------------- the data


def test_period_covariates_from_pandas_and_polars_agree() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    table = {
        "id": ["b", "a", "a", "b"],
        "week": ["2024-01-14", "2024-01-07", "2024-01-14", "2024-01-07"],
        "promo": [1.0, 0.0, 1.0, 0.5],
        "vip": [True, False, False, True],
    }
    cov = [
        PeriodCovariates.from_table(
            frame, id_column="id", period_column="week", columns=["promo", "vip"]
        )
        for frame in (pd.DataFrame(table), pl.DataFrame(table), table)
    ]
    for other in cov[1:]:
        np.testing.assert_array_equal(other.values, cov[0].values)
    assert cov[0].customers.tolist() == ["a", "b"]
    assert cov[0].values[:, :, 0].tolist() == [[0.0, 1.0], [0.5, 1.0]]
    assert cov[0].values[:, :, 1].tolist() == [[0.0, 0.0], [1.0, 1.0]]
    assert cov[0].start == np.datetime64("2024-01-07")
    assert not cov[0].values.flags.writeable


@pytest.mark.parametrize(
    ("week", "value", "message"),
    [
        (["2024-01-07", "2024-01-14", "2024-01-28"], [0.0, 1.0, 2.0], "must have no gap"),
        (["2024-01-07", "2024-01-14", "2024-01-24"], [0.0, 1.0, 2.0], "must be a regular grid"),
        (["2024-01-07", "2024-01-14", "2024-01-21"], [0.0, float("nan"), 2.0], "no NaN"),
        (["2024-01-07", "2024-01-14", "2024-01-14"], [0.0, 1.0, 2.0], "a pair repeats"),
    ],
)
def test_period_covariates_refuse_bad_grids(
    week: list[str], value: list[float], message: str
) -> None:
    table = {"id": [1, 1, 1], "week": week, "promo": value}
    with pytest.raises(ValidationError, match=message):
        PeriodCovariates.from_table(table, id_column="id", period_column="week", columns=["promo"])


def test_period_covariates_refuse_a_missing_pair_and_text() -> None:
    table = {"id": [1, 1, 2], "week": [0.0, 1.0, 0.0], "promo": [0.0, 1.0, 1.0]}
    with pytest.raises(ValidationError, match=r"misses the \(customer, period\) pair \(2, 1.0\)"):
        PeriodCovariates.from_table(table, id_column="id", period_column="week", columns=["promo"])
    text = {"id": [1, 1], "week": [0.0, 1.0], "promo": ["x", "y"]}
    with pytest.raises(TypeError, match="must hold numbers or booleans"):
        PeriodCovariates.from_table(text, id_column="id", period_column="week", columns=["promo"])


def test_history_matches_the_summary_and_needs_covariates(history: DynamicHistory) -> None:
    covariates = _grid(30, 20)
    log = TRUTH.simulate(covariates, first=np.linspace(0.0, 5.0, 30), end=20.0, rng=3)
    built = DynamicHistory.from_log(log, covariates, observation_end=20.0)
    summary = log.summarize(20.0, unit="W")
    np.testing.assert_array_equal(built.frequency, summary.frequency)
    np.testing.assert_array_equal(built.recency, summary.recency)
    np.testing.assert_array_equal(built.T, summary.T)
    # the sums: each repeat purchase's period covariates, recomputed by a loop in the test
    period = np.floor(log.timestamp).astype(int)
    expected = np.zeros((30, 2))
    for i in range(30):
        rows = np.flatnonzero(log.customer_code == i)[1:]
        expected[i] = covariates.values[i, period[rows]].sum(axis=0)
    np.testing.assert_allclose(built.sums, expected)
    fewer = PeriodCovariates(
        customers=np.arange(29),
        start=0.0,
        period_length=1.0,
        unit="W",
        names=("season", "promo"),
        values=covariates.values[:29],
    )
    with pytest.raises(ValidationError, match="must each have covariates"):
        DynamicHistory.from_log(log, fewer, observation_end=20.0)
    with pytest.raises(ValidationError, match="must cover the time to `observation_end`"):
        DynamicHistory.from_log(log, covariates, observation_end=25.0)


# ----------------------------------------------------------------------------- the kernel


def test_zero_coefficients_equal_the_pareto_nbd(history: DynamicHistory) -> None:
    zero = DynamicParetoNBD(**BASE).with_coefficients(
        {"purchase[season]": 0.0, "dropout[promo]": 0.0}
    )
    static = relmark.ParetoNBD(**BASE)
    summary = history.summary()
    np.testing.assert_allclose(
        zero.customer_log_likelihood(history), static.customer_log_likelihood(summary), rtol=1e-10
    )
    np.testing.assert_allclose(
        zero.probability_alive(history), static.probability_alive(summary), rtol=1e-10
    )
    covariates = _grid(len(history), 60)
    wide = DynamicHistory.from_log(
        zero.simulate(covariates, first=history.first, end=40.0, rng=5),
        covariates,
        observation_end=40.0,
    )
    np.testing.assert_allclose(
        zero.expected_purchases(wide, covariates, 15.0),
        static.expected_purchases(wide.summary(), 15.0),
        rtol=1e-10,
    )
    # the gradient: the static objective's, in natural parameters
    theta = np.array(list(BASE.values()))
    terms = dyn._terms(theta, zero._design(history.covariates), history, with_gradient=True)
    _, gradient = relmark.ParetoNBD._objective(summary.compress())(theta)
    assert terms.gradient is not None
    np.testing.assert_allclose(terms.gradient[:4], -gradient, rtol=1e-8)


def test_constant_covariates_are_absorbed_in_alpha_and_beta(history: DynamicHistory) -> None:
    values = np.ones((len(history.covariates.customers), history.covariates.n_periods, 1))
    ones = PeriodCovariates(
        customers=history.covariates.customers,
        start=0.0,
        period_length=1.0,
        unit="W",
        names=("one",),
        values=values,
    )
    model = DynamicParetoNBD(**BASE).with_coefficients(
        {"purchase[one]": math.log(2.5), "dropout[one]": math.log(0.4)}
    )
    log = model.simulate(ones, first=np.zeros(ones.n_customers), end=40.0, rng=8)
    constant = DynamicHistory.from_log(log, ones, observation_end=40.0)
    static = relmark.ParetoNBD(r=0.8, alpha=6.0 / 2.5, s=0.7, beta=15.0 / 0.4)
    np.testing.assert_allclose(
        model.customer_log_likelihood(constant),
        static.customer_log_likelihood(constant.summary()),
        rtol=1e-10,
    )


def _mp_piece(m: float, n: float, eps_a: float, eps_c: float) -> list[float]:
    """log of the integral and the means, by mpmath at 50 digits.

    The script:  mp.quad(lambda u: (1 + ea*u)**-m * (1 + ec*u)**-n, [0, 1]) and the
    same integrand times log(1 + ea*u), ea*u / (1 + ea*u), ... divided by it.
    """
    mpmath = pytest.importorskip("mpmath")
    mp = mpmath.mp
    mp.dps = 50
    ea, ec, mm, nn = (mp.mpf(v) for v in (eps_a, eps_c, m, n))

    def g(u: object) -> object:
        return (1 + ea * u) ** -mm * (1 + ec * u) ** -nn

    # split where the integrand turns (near 0 for large epsilon) for mpmath's tanh-sinh
    points = [0, *sorted({float(min(1.0, 1.0 / e)) for e in (eps_a, eps_c) if e > 1.0}), 1]
    total = mp.quad(g, points)
    means = [
        mp.quad(lambda u, f=f: g(u) * f(u), points) / total
        for f in (
            lambda u: mp.log(1 + ea * u),
            lambda u: ea * u / (1 + ea * u),
            lambda u: mp.log(1 + ec * u),
            lambda u: ec * u / (1 + ec * u),
        )
    ]
    return [float(mp.log(total)), *map(float, means)]


@pytest.mark.parametrize(
    ("m", "n", "eps_a", "eps_c"),
    [
        (0.8, 1.7, 1e-3, 2e-3),  # a typical week late in the history
        (3.5, 1.7, 0.05, 0.01),
        (40.0, 1.2, 0.02, 0.3),  # a frequent buyer
        (0.5, 2.0, 2.0, 0.5),  # the first week, a small alpha
        (12.0, 3.0, 0.7, 1e-5),
        (300.0, 1.5, 0.01, 0.01),
        (2.0, 1.7, 60.0, 1e-3),  # beyond every rule: the static model's panels
        (5000.0, 1.6, 1e-3, 4.0),
        # merged pieces: many periods of constant rates, epsilon far beyond the rules
        (1.5, 1.7, 500.0, 40.0),
        (0.6, 1.9, 3e4, 2.0),
        (25.0, 1.3, 15.0, 12.0),
        (0.3, 2.2, 9.0, 900.0),
    ],
)
def test_piece_integral_against_mpmath(m: float, n: float, eps_a: float, eps_c: float) -> None:
    parts = dyn._piece_parts(
        np.array([m]), np.array([n]), np.array([eps_a]), np.array([eps_c]), means=True
    )[:, 0]
    reference = _mp_piece(m, n, eps_a, eps_c)
    assert parts[0] == pytest.approx(reference[0], rel=1e-10, abs=1e-13)
    np.testing.assert_allclose(parts[1:], reference[1:], rtol=1e-9, atol=1e-13)


def _with_parity(covariates: PeriodCovariates) -> PeriodCovariates:
    """The same grid with a covariate that changes every period (nothing merges on it)."""
    parity = np.broadcast_to(
        (np.arange(covariates.n_periods) % 2.0)[None, :, None],
        (covariates.n_customers, covariates.n_periods, 1),
    )
    return PeriodCovariates(
        customers=covariates.customers,
        start=0.0,
        period_length=covariates.period_length,
        unit=covariates.unit,
        names=(*covariates.names, "parity"),
        values=np.concatenate([covariates.values, parity], axis=2),
    )


def test_merged_pieces_equal_one_piece_per_period(history: DynamicHistory) -> None:
    import attrs

    grid = _with_parity(history.covariates)
    wide = attrs.evolve(
        history, covariates=grid, sums=np.column_stack([history.sums, np.zeros(len(history))])
    )
    season = {"purchase[season]": math.log(1.6), "dropout[season]": math.log(0.6)}
    merged = DynamicParetoNBD(**BASE).with_coefficients(season)
    per_period = DynamicParetoNBD(**BASE).with_coefficients(season | {"purchase[parity]": 0.0})
    few = dyn._merged_pieces(wide, merged._design(grid).columns)
    many = dyn._merged_pieces(wide, per_period._design(grid).columns)
    assert many.count == many.cells == few.cells  # parity changes every period: no merging
    # the season's pieces, counted by a loop over customers in the test
    edges = np.arange(grid.n_periods + 1.0)
    expected = 0
    for i in range(len(wide)):
        seen = np.diff(np.clip(edges - wide.first[i], 0.0, wide.T[i])) > 0
        expected += 1 + int(np.count_nonzero(np.diff(grid.values[wide.rows[i], seen, 0])))
    assert few.count == expected < many.count / 3
    for kernel in ("customer_log_likelihood", "probability_alive"):
        np.testing.assert_allclose(
            getattr(merged, kernel)(wide), getattr(per_period, kernel)(wide), rtol=1e-12
        )
    theta = np.array(list(BASE.values()))
    one = dyn._terms(theta, merged._design(grid), wide, with_gradient=True, pieces=few)
    two = dyn._terms(theta, per_period._design(grid), wide, with_gradient=True, pieces=many)
    assert one.gradient is not None and two.gradient is not None
    # two's gradient: r, alpha, s, beta, gamma_p (season, parity), gamma_d (season, parity)
    np.testing.assert_allclose(one.gradient, two.gradient[[0, 1, 2, 3, 4, 6]], rtol=1e-11)


def _total(theta: np.ndarray, design: dyn._Design, history: DynamicHistory) -> float:
    return float(dyn._terms(theta, design, history, with_gradient=False).log_likelihood.sum())


@given(
    log_theta=st.lists(st.floats(-1.5, 1.5), min_size=4, max_size=4),
    gamma=st.lists(st.floats(-2.0, 2.0), min_size=4, max_size=4),
)
def test_gradient_matches_finite_differences(log_theta: list[float], gamma: list[float]) -> None:
    small = _HISTORY_SMALL
    theta = np.exp(np.array(log_theta)) * np.array([1.0, 5.0, 1.0, 10.0])
    design = dyn._Design(np.array([0, 1]), np.array(gamma[:2]), np.array(gamma[2:]))
    terms = dyn._terms(theta, design, small, with_gradient=True)
    assert terms.gradient is not None
    analytic = np.concatenate([terms.gradient[:4] * theta, terms.gradient[4:]])  # d/dlog, d/dgamma
    numeric = np.empty(8)
    step = 1e-5
    for j in range(8):  # a loop over parameters
        up_theta, down_theta = theta.copy(), theta.copy()
        up_design = [design.purchase.copy(), design.dropout.copy()]
        down_design = [design.purchase.copy(), design.dropout.copy()]
        if j < 4:
            up_theta[j] *= math.exp(step)
            down_theta[j] *= math.exp(-step)
        else:
            up_design[(j - 4) // 2][(j - 4) % 2] += step
            down_design[(j - 4) // 2][(j - 4) % 2] -= step
        up = _total(up_theta, dyn._Design(design.columns, *up_design), small)
        down = _total(down_theta, dyn._Design(design.columns, *down_design), small)
        numeric[j] = (up - down) / (2 * step)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-6 * np.abs(numeric).max())


_HISTORY_SMALL = _history(TRUTH, n=40, periods=20, seed=11)


@given(gamma=st.lists(st.floats(-25.0, 25.0), min_size=4, max_size=4))
def test_extreme_coefficients_give_finite_likelihoods(gamma: list[float]) -> None:
    design = dyn._Design(np.array([0, 1]), np.array(gamma[:2]), np.array(gamma[2:]))
    theta = np.array(list(BASE.values()))
    terms = dyn._terms(theta, design, _HISTORY_SMALL, with_gradient=True)
    assert np.isfinite(terms.log_likelihood).all()
    assert terms.gradient is not None and np.isfinite(terms.gradient).all()
    assert ((terms.alive >= 0.0) & (terms.alive <= 1.0)).all()


def test_expected_purchases_against_a_fine_sum(history: DynamicHistory) -> None:
    covariates = _grid(len(history), 60)
    wide = DynamicHistory.from_log(
        TRUTH.simulate(covariates, first=history.first, end=40.0, rng=9),
        covariates,
        observation_end=40.0,
    )
    expected = TRUTH.expected_purchases(wide, covariates, 12.5)
    # the defining integral by the midpoint rule on 2,000 steps per week, per customer
    terms = TRUTH._terms(wide)
    design = TRUTH._design(covariates)
    u = 40.0 + (np.arange(25_000) + 0.5) / 2000.0
    z = covariates.values[wide.rows][:, np.floor(u).astype(int)][:, :, design.columns]
    rate_a, rate_c = np.exp(z @ design.purchase), np.exp(z @ design.dropout)
    dropout = terms.dropout_total[:, None] + np.cumsum(rate_c, axis=1) / 2000.0 - rate_c / 4000.0
    inner = (rate_a * (terms.dropout_total[:, None] / dropout) ** TRUTH.s).sum(axis=1) / 2000.0
    brute = terms.alive * (TRUTH.r + wide.frequency) / terms.purchase_total * inner
    np.testing.assert_allclose(expected, brute, rtol=1e-6)
    with pytest.raises(ValidationError, match="must cover"):
        TRUTH.expected_purchases(wide, covariates, 30.0)


# ------------------------------------------------------------------------------- fitting


def test_penalty_pins_zero_covariates_to_the_pareto_nbd() -> None:
    plain = DynamicParetoNBD(r=0.8, alpha=6.0, s=1.2, beta=8.0)
    history = _history(plain, n=1000, periods=40, seed=4)
    values = np.zeros((history.covariates.n_customers, history.covariates.n_periods, 1))
    zeros = PeriodCovariates(
        customers=history.covariates.customers,
        start=0.0,
        period_length=1.0,
        unit="W",
        names=("none",),
        values=values,
    )
    flat = attrs_evolve(history, zeros)
    model = DynamicParetoNBD.fit(flat, purchase=["none"], dropout=["none"], penalty=1.0)
    static = relmark.ParetoNBD.fit(history.summary())
    assert model.fit_info is not None and static.fit_info is not None
    assert model.fit_info.log_likelihood == pytest.approx(static.fit_info.log_likelihood, rel=1e-8)
    for name, value in static.params.items():
        assert model.params[name] == pytest.approx(value, rel=1e-6)
    assert model.params["purchase[none]"] == pytest.approx(1.0, abs=1e-8)
    assert "purchase[none]" in str(model.summary())


def attrs_evolve(history: DynamicHistory, covariates: PeriodCovariates) -> DynamicHistory:
    import attrs

    sums = np.zeros((len(history), len(covariates.names)))
    return attrs.evolve(history, covariates=covariates, sums=sums)


def test_fit_has_the_model_contract_and_round_trips_through_json(
    history: DynamicHistory,
) -> None:
    from relmark.models._base import Model

    # 400 customers pin the purchase effects; the dropout one needs more (the slow test)
    model = DynamicParetoNBD.fit(history, purchase=["season", "promo"])
    assert isinstance(model, Model) and model.fit_info is not None
    assert list(model.coefficients) == ["purchase[season]", "purchase[promo]"]
    assert model.params["purchase[season]"] == pytest.approx(
        math.exp(model.coefficients["purchase[season]"]), rel=1e-15
    )
    assert model.fit_info.names == ("r", "alpha", "s", "beta", *model.coefficients)
    copy = DynamicParetoNBD.from_json(model.to_json())
    assert copy == model and copy.fit_info == model.fit_info
    assert Model.from_json(model.to_json()) == model
    np.testing.assert_array_equal(
        copy.customer_log_likelihood(history), model.customer_log_likelihood(history)
    )
    assert "purchase[promo]" in str(model.summary())
    # the maximum: the fit's log-likelihood is the model's, a nudge lowers it
    assert model.log_likelihood(history) == pytest.approx(model.fit_info.log_likelihood, rel=1e-12)
    nudged = model.with_coefficients(
        {name: value + 0.05 for name, value in model.coefficients.items()}
    )
    assert nudged.log_likelihood(history) < model.log_likelihood(history)


def test_fit_refuses_a_covariate_constant_everywhere(history: DynamicHistory) -> None:
    ones = PeriodCovariates(
        customers=history.covariates.customers,
        start=0.0,
        period_length=1.0,
        unit="W",
        names=("one",),
        values=np.ones((history.covariates.n_customers, history.covariates.n_periods, 1)),
    )
    with pytest.raises(ValidationError, match=r"\['one'\] take one value over every customer"):
        DynamicParetoNBD.fit(attrs_evolve(history, ones), purchase=["one"])


def test_fit_refuses_bad_specifications(history: DynamicHistory) -> None:
    with pytest.raises(ValidationError, match="cannot also be in"):
        DynamicParetoNBD.fit(history, purchase=["season"], shared=["season"])
    with pytest.raises(ValidationError, match="do not have"):
        DynamicParetoNBD.fit(history, purchase=["price"])
    with pytest.raises(ValidationError, match="at least one covariate"):
        DynamicParetoNBD.fit(history)
    with pytest.raises(ValidationError, match="`penalty` must be >= 0"):
        DynamicParetoNBD.fit(history, purchase=["season"], penalty=-1.0)


@pytest.mark.slow
def test_recovers_known_coefficients() -> None:
    """Estimates within 3 standard errors of the truth, on 4,000 simulated customers."""
    fitted = DynamicParetoNBD.fit(
        _history(TRUTH, n=4000, periods=52, seed=21),
        purchase=["season", "promo"],
        dropout=["promo"],
    )
    assert fitted.fit_info is not None
    errors = dict(
        zip(fitted.fit_info.names, np.sqrt(np.diag(fitted.fit_info.log_covariance)), strict=True)
    )
    for name, value in TRUTH.params.items():
        assert abs(math.log(fitted.params[name]) - math.log(value)) < 3.0 * errors[name], name


# -------------------------------------------------------------------------------- apparel


@pytest.fixture(scope="module")
def apparel(shared_data: object) -> tuple[relmark.TransactionLog, PeriodCovariates]:
    from pathlib import Path

    pd = pytest.importorskip("pandas")
    folder = Path(str(shared_data))
    if not (folder / "apparel_transactions.csv").exists():
        pytest.skip("apparel data not in the shared folder")
    trans = pd.read_csv(folder / "apparel_transactions.csv", dtype={"Id": str})
    log = relmark.TransactionLog.from_frame(
        trans, customer_id="Id", timestamp="Date", amount="Price"
    )
    table = pd.read_csv(folder / "apparel_dynamic_covariates.csv", dtype={"Id": str})
    covariates = PeriodCovariates.from_table(
        table,
        id_column="Id",
        period_column="Cov.Date",
        columns=["High.Season", "Gender", "Channel"],
    )
    return log, covariates


def test_apparel_fit_with_season_gender_and_channel(
    apparel: tuple[relmark.TransactionLog, PeriodCovariates],
) -> None:
    log, covariates = apparel
    history = DynamicHistory.from_log(log, covariates, observation_end="2006-12-31")
    assert len(history) == 600 and float(history.T.max()) == 104.0
    names = ["High.Season", "Gender", "Channel"]
    # the season does not identify a dropout effect here (it runs to 0): purchase only
    model = DynamicParetoNBD.fit(history, purchase=names, dropout=names[1:])
    static = relmark.ParetoNBD.fit(history.summary())
    assert model.fit_info is not None and static.fit_info is not None
    assert all(math.isfinite(v) and v > 0 for v in model.params.values())
    statistic = 2.0 * (model.fit_info.log_likelihood - static.fit_info.log_likelihood)
    assert statistic > 0.0  # nested models: the covariates cannot lower the maximum
    from scipy.stats import chi2

    p_value = float(chi2.sf(statistic, df=len(model.coefficients)))
    assert 0.0 <= p_value <= 1.0
    season = model.params["purchase[High.Season]"]
    assert season > 1.0  # customers buy faster in the high season
    future_table = covariates  # the main file runs to 2010: a 52-week forecast from 2007
    forecast = model.expected_purchases(history, future_table, 52.0)
    assert np.isfinite(forecast).all() and (forecast >= 0).all()
