"""cohort_fits and cohort_survival_fits: per-cohort fits against independent fits, references."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import relmark
from relmark import NBD, BetaGeo, ShiftedBetaGeo, TransactionLog, ValidationError
from relmark.cohorts import cohort_fits, cohort_survival_fits
from relmark.comparison import compare
from relmark.data.cohorts import cohort_table
from relmark.datasets import CDNOW_CALIBRATION_END, CDNOW_OBSERVATION_END, load_cdnow_sample

# Fader & Hardie (2007), "How to project customer retention", Table 1: customers still
# active at the start of years 0..7 of two cohorts of 1,000, and their published sBG
# estimates (section 3): high end alpha 0.668, beta 3.806; regular alpha 0.704, beta 1.182.
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


@pytest.fixture(scope="module")
def cdnow_with_one_timers() -> TransactionLog:
    """The CDNOW sample plus 120 customers acquired in April 1997 who never buy again."""
    log = load_cdnow_sample()
    assert log.amount is not None
    extra = 120
    return TransactionLog.from_arrays(
        np.r_[log.customer_id, 10_001 + np.arange(extra)],
        np.r_[log.timestamp, np.full(extra, np.datetime64("1997-04-05", "us"))],
        np.r_[log.amount, np.full(extra, 10.0)],
    )


def test_each_cohort_equals_an_independent_fit_of_its_own_log(
    cdnow_with_one_timers: TransactionLog,
) -> None:
    log = cdnow_with_one_timers
    fits = cohort_fits(
        log, [BetaGeo, NBD], period="M", calibration_end=CDNOW_CALIBRATION_END,
        observation_end=CDNOW_OBSERVATION_END,
    )  # fmt: skip
    assert fits.cohort.astype("datetime64[M]").astype(str).tolist() == [
        "1997-01", "1997-01", "1997-02", "1997-02", "1997-03", "1997-03", "1997-04", "1997-04",
    ]  # fmt: skip
    assert fits.model.tolist() == ["BetaGeo", "NBD"] * 4
    assert fits.n_customers.tolist() == [781, 781, 857, 857, 719, 719, 120, 120]
    # Independently: the January customers' own rows, split and fitted on their own.
    ids = log.customer_id
    first = {}
    months = log.timestamp.astype("datetime64[M]").tolist()
    for customer, when in zip(ids.tolist(), months, strict=True):
        first[customer] = min(first.get(customer, when), when)
    january = np.array([first[c] == np.datetime64("1997-01", "M").item() for c in ids.tolist()])
    assert log.amount is not None
    own = TransactionLog.from_arrays(ids[january], log.timestamp[january], log.amount[january])
    split = own.split(CDNOW_CALIBRATION_END, CDNOW_OBSERVATION_END, unit="W")
    alone = {"BetaGeo": BetaGeo.fit(split.calibration), "NBD": NBD.fit(split.calibration)}
    reference = compare(alone, split)
    for row, name in enumerate(["BetaGeo", "NBD"]):
        assert fits.status[row] == "fitted" and fits.message[row] == ""
        for parameter, value in alone[name].params.items():
            assert fits.parameters[parameter][row] == pytest.approx(value, rel=1e-6)
        assert fits.log_likelihood[row] == pytest.approx(reference[name].log_likelihood, rel=1e-9)
        assert fits.bic[row] == pytest.approx(reference[name].bic, rel=1e-9)
        holdout = reference[name].holdout
        assert holdout is not None
        assert fits.holdout["holdout_rmse"][row] == pytest.approx(holdout.rmse, rel=1e-6)
        assert fits.holdout["actual_total"][row] == holdout.actual_total
    assert np.isnan(fits.parameters["b"][1])  # the NBD has no b
    # The April one-timers: nobody repeats, so both fits fail, and the rows say so.
    assert fits.status[6:].tolist() == ["failed", "failed"]
    assert "no interior maximum" in fits.message[6] and "repeat purchase" in fits.message[6]
    assert np.isnan(fits.aic[6:]).all() and fits.fitted[6] is None
    best = fits.best()
    assert list(best) == list(np.unique(fits.cohort)[:3])  # April has no fitted model
    assert best[fits.cohort[0]] == reference.best()
    assert isinstance(fits.fitted[0], BetaGeo)
    frame = fits.to_pandas()
    assert frame.shape[0] == 8 and frame["status"].tolist()[-1] == "failed"
    assert list(frame.columns[:9]) == [
        "cohort", "model", "n_customers", "status", "message", "n_parameters",
        "log_likelihood", "aic", "bic",
    ]  # fmt: skip
    assert repr(fits) == "CohortFits(4 cohorts x 2 models, 6 fitted, unit 'W', with holdout)"


def test_small_cohorts_are_skipped_and_say_why() -> None:
    fits = cohort_fits(load_cdnow_sample(), {"BG/NBD": BetaGeo}, period="M", min_customers=800)
    assert fits.status.tolist() == ["skipped", "fitted", "skipped"]
    assert fits.message[0] == "781 customers, fewer than min_customers=800"
    assert fits.holdout == {}
    assert fits.best("bic") == {fits.cohort[1]: "BG/NBD"}
    with pytest.raises(ValidationError, match="`by` 'holdout_rmse' needs a holdout"):
        fits.best("holdout_rmse")


def test_cohort_fits_bad_inputs() -> None:
    log = load_cdnow_sample()
    with pytest.raises(TypeError, match=r"`models\['BetaGeo'\]` must be a purchase model class"):
        cohort_fits(log, [BetaGeo(r=1.0, alpha=1.0, a=1.0, b=1.0)])
    with pytest.raises(TypeError, match=r"`models\['ShiftedBetaGeo'\]` must be a purchase model"):
        cohort_fits(log, [ShiftedBetaGeo])
    with pytest.raises(ValidationError, match="`models` is empty"):
        cohort_fits(log, [])
    with pytest.raises(TypeError, match="`log` must be a TransactionLog, got list"):
        cohort_fits([1, 2], [BetaGeo])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="`min_customers` must be >= 1, got 0"):
        cohort_fits(log, [BetaGeo], min_customers=0)
    with pytest.raises(ValidationError, match="`period` must be one of"):
        cohort_fits(log, [BetaGeo], period="fortnight")
    with pytest.raises(ValidationError, match=r"`observation_end` .* must not be before"):
        cohort_fits(log, [BetaGeo], calibration_end="1998-01-01", observation_end="1997-06-01")


# -- survivor curves ----------------------------------------------------------------------


def survivor_log(curves: dict[str, list[int]]) -> tuple[TransactionLog, dict[int, str]]:
    """A numeric log whose yearly cohort survivors are ``curves``: each customer buys at age
    0 and at their last age (the ages they 'survive' to), every cohort acquired at t = 0."""
    ids, times, label = [], [], {}
    next_id = 0
    for name, alive in curves.items():
        lost = -np.diff(np.r_[alive, 0])  # customers whose last purchase is at age k
        for age, count in enumerate(lost.tolist()):
            for _ in range(count):
                ids += [next_id, next_id]
                times += [0.5, age + 0.5]
                label[next_id] = name
                next_id += 1
    return TransactionLog.from_arrays(ids, times, unit="D"), label


def test_survival_fits_reproduce_fader_hardie_2007() -> None:
    log, label = survivor_log({"high end": HIGH_END, "regular": REGULAR})
    table = cohort_table(log, period=1.0, by=label)
    assert table.survivors.tolist() == HIGH_END + REGULAR  # the published curves, rebuilt
    fits = cohort_survival_fits(table)
    assert fits.group is not None and fits.group.tolist() == ["high end", "regular"]
    assert fits.status.tolist() == ["fitted", "fitted"] and fits.periods.tolist() == [7, 7]
    np.testing.assert_allclose(fits.parameters["alpha"], [0.668, 0.704], atol=5e-4)
    np.testing.assert_allclose(fits.parameters["beta"], [3.806, 1.182], atol=5e-4)
    direct = ShiftedBetaGeo.fit_survival(HIGH_END)
    assert fits.log_likelihood[0] == pytest.approx(direct.fit_info.log_likelihood, rel=1e-9)
    assert fits.to_pandas()["group"].tolist() == ["high end", "regular"]
    assert repr(fits) == "CohortSurvivalFits(ShiftedBetaGeo, 2 cohorts, 2 fitted)"
    shorter = cohort_survival_fits(table, drop_last=3)
    assert shorter.periods.tolist() == [4, 4]
    expected = ShiftedBetaGeo.fit_survival(HIGH_END[:5])
    assert shorter.parameters["alpha"][0] == pytest.approx(expected.alpha, rel=1e-9)


def test_survival_fits_other_contract_models() -> None:
    if importlib.util.find_spec("relmark.models.beta_discrete_weibull") is None:
        pytest.skip("relmark.models.beta_discrete_weibull is not written yet")
    from relmark.models.beta_discrete_weibull import BetaDiscreteWeibull

    log, _ = survivor_log({"regular": REGULAR})
    table = cohort_table(log, period=1.0)
    weibull = cohort_survival_fits(table, BetaDiscreteWeibull)
    sbg = cohort_survival_fits(table)
    assert weibull.status.tolist() == ["fitted"]
    assert set(weibull.parameters) == {"alpha", "beta", "c"}
    assert weibull.log_likelihood[0] >= sbg.log_likelihood[0] - 1e-6  # it nests the sBG


def test_survival_fit_failures_and_skips_are_rows() -> None:
    # two customers who buy in every period: nobody is lost, which the sBG fit refuses
    loyal = TransactionLog.from_arrays([1, 1, 1, 2, 2, 2], [0.0, 1, 2, 0, 1, 2], unit="D")
    fits = cohort_survival_fits(cohort_table(loyal, period=1.0))
    assert fits.status.tolist() == ["failed"]
    assert "churn" in fits.message[0] and np.isnan(fits.parameters["alpha"][0])
    skipped = cohort_survival_fits(cohort_table(loyal, period=1.0), drop_last=2)
    assert skipped.status.tolist() == ["skipped"]
    assert skipped.message[0] == "1 ages left after drop_last=2; a fit needs 2"
    few = cohort_survival_fits(cohort_table(loyal, period=1.0), min_customers=3)
    assert few.message[0] == "2 customers, fewer than min_customers=3"


def test_survival_fits_bad_inputs() -> None:
    table = cohort_table(load_cdnow_sample(), period="Q")
    with pytest.raises(TypeError, match="`table` must be a CohortTable, got dict"):
        cohort_survival_fits({})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`model` BetaGeo has no fit_survival"):
        cohort_survival_fits(table, BetaGeo)
    with pytest.raises(TypeError, match="`model` must be a contract model class"):
        cohort_survival_fits(table, ShiftedBetaGeo(alpha=1.0, beta=1.0))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="`drop_last` must be >= 0, got -1"):
        cohort_survival_fits(table, drop_last=-1)
    with pytest.raises(ValidationError, match="`min_customers` must be >= 1, got 0"):
        cohort_survival_fits(table, min_customers=0)


def test_cdnow_sample_quarterly_survivors_fit() -> None:
    table = cohort_table(load_cdnow_sample(), period="Q")
    fits = cohort_survival_fits(table, drop_last=1)
    model = fits.fitted[0]
    assert isinstance(model, ShiftedBetaGeo)
    alive = table.survivors[:5]
    assert model.fit_info is not None
    assert model.fit_info.log_likelihood == pytest.approx(
        ShiftedBetaGeo.fit_survival(alive).fit_info.log_likelihood, rel=1e-12
    )
    assert relmark.ShiftedBetaGeo is ShiftedBetaGeo
