"""Command line: ``python -m relmark demo`` (and the ``relmark`` console script)."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import textwrap
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

import attrs
import numpy as np

from relmark import __version__
from relmark.comparison import ModelChoice, choose_model, holdout_split, tracking_curves
from relmark.data.cohorts import CohortTable, cohort_table
from relmark.data.summary import CustomerSummary
from relmark.data.transactions import CalibrationHoldout, TransactionLog
from relmark.datasets import (
    CDNOW_CALIBRATION_END,
    CDNOW_OBSERVATION_END,
    load_cdnow_sample,
)
from relmark.domain import Channel
from relmark.economics import (
    CampaignPlan,
    Offer,
    customer_lifetime_value,
    measure_uplift,
    plan_campaign,
    retention_lift_value,
)
from relmark.economics.scores import Scores
from relmark.economics.scores import score as score_customers
from relmark.exceptions import ConvergenceError, RelmarkError, ValidationError
from relmark.io import read_covariates, read_transactions, write_columns
from relmark.models import (
    NBD,
    BetaDiscreteWeibull,
    BetaGeo,
    CommonMeanSpend,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeo,
)
from relmark.models.contracts import PurchaseModel
from relmark.models.kaplan_meier import tenures_from_survivors
from relmark.models.retention_check import compare_retention
from relmark.scoring import rfm_scores
from relmark.segmentation import RFM_SEGMENTS, gini, rfm_segments, segment_profile, value_tiers
from relmark.uncertainty import prediction_intervals

WIDTH = 78

#: The purchase models the demo and ``relmark score`` choose from, by their usual names.
CANDIDATES: dict[str, type[BetaGeo] | type[ParetoNBD]] = {
    "BG/NBD": BetaGeo,
    "MBG/NBD": ModifiedBetaGeo,
    "Pareto/NBD": ParetoNBD,
}

#: Without a holdout, ``relmark score`` chooses the model on a random sample of
#: this many customers (seeded: the same file gives the same choice) and fits the
#: chosen one on all: BIC separates the candidates long before a million customers,
#: and the three fits on all of them cost most of the run.
CHOICE_SAMPLE = 200_000


def _choice_data(summary: CustomerSummary) -> CustomerSummary:
    """Return ``summary`` itself, or a seeded random sample of CHOICE_SAMPLE customers."""
    if len(summary) <= CHOICE_SAMPLE:
        return summary
    drawn = np.random.default_rng(0).choice(len(summary), CHOICE_SAMPLE, replace=False)
    return summary.subset(np.sort(drawn))


def _rule(title: str) -> str:
    return f"\n{title}\n{'-' * len(title)}"


def _distribution(name: str, values: np.ndarray, unit: str = "") -> str:
    q = np.percentile(values, [0, 25, 50, 75, 100])
    cells = "".join(f"{v:>9.2f}" for v in q)
    return f"  {name:<22}{cells}  {unit}".rstrip()


def describe_data(log: TransactionLog, summary: CustomerSummary) -> list[str]:
    """Return report lines describing a log and its calibration summary."""
    start, end = log.timestamp.min(), log.timestamp.max()
    repeaters = summary.frequency > 0
    lines = [
        _rule("Data"),
        f"  purchases            {len(log):>10,}",
        f"  customers            {len(summary):>10,}",
        f"  period               {str(start)[:10]} to {str(end)[:10]}",
        f"  calibration ends     {CDNOW_CALIBRATION_END} ({summary.T.max():.1f} weeks)",
        f"  repeat buyers        {int(repeaters.sum()):>10,} ({repeaters.mean():.0%})",
        _rule("Calibration summary (weeks)"),
        f"  {'':<22}{'min':>9}{'25%':>9}{'median':>9}{'75%':>9}{'max':>9}",
        _distribution("frequency (repeats)", summary.frequency),
        _distribution("recency", summary.recency, "weeks"),
        _distribution("T (age)", summary.T, "weeks"),
    ]
    if summary.monetary_value is not None:
        lines.append(
            _distribution("spend (repeat buyers)", summary.monetary_value[repeaters], "USD")
        )
    return lines


#: Ages (periods since the first purchase) whose retention the cohort section shows.
COHORT_AGES = (1, 3, 6)


def cohort_trends(table: CohortTable) -> tuple[np.ndarray, np.ndarray]:
    r"""Return each acquisition cohort's trend of retention with age, and the ages it is fitted on.

    Parameters
    ----------
    table : CohortTable
        Acquisition cohorts without groups (:func:`relmark.cohort_table`).

    Returns
    -------
    trend : ndarray of float, shape (c,)
        Per cohort, in the order of :meth:`relmark.CohortTable.matrix`, the
        change of its retention per period of age, as a share (-0.05: it
        falls by 5 % a period).
    ages : ndarray of int64
        The ages the trends are fitted on: from 1 up to the last age every
        cohort is observed at.

    Raises
    ------
    ValidationError
        If no age from 1 on is observed for every cohort, or a cohort has no
        repeat buyer at one of those ages (its log retention is undefined).

    Notes
    -----
    With :math:`\text{retention}_{ck}` the share of cohort :math:`c` buying
    at age :math:`k` and :math:`K` the ages every cohort is observed at, the
    least-squares slope :math:`b_c` of :math:`\log \text{retention}_{ck}` on
    :math:`k \in K` gives the trend :math:`e^{b_c} - 1`, the geometric change
    per period, as in the guide page "From insight to action".  Comparing
    cohorts over the same ages keeps the younger ones from looking better
    only because their later, lower ages are not yet observed.

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007). How to project customer
    retention. *Journal of Interactive Marketing*, 21(1), 76-90 (cohort
    retention curves).

    Examples
    --------
    >>> from relmark import cohort_table
    >>> from relmark.__main__ import cohort_trends
    >>> from relmark.datasets import load_cdnow_sample
    >>> trend, ages = cohort_trends(cohort_table(load_cdnow_sample(), period="M"))
    >>> (100 * trend).round(1).tolist(), int(ages[0]), int(ages[-1])
    ([-5.4, -4.2, -4.8], 1, 15)
    """
    if not isinstance(table, CohortTable):
        raise TypeError(f"`table` must be a CohortTable, got {type(table).__name__}")
    _, ages, retention = table.matrix("retention")
    common = ages[(ages >= 1) & ~np.isnan(retention).any(axis=0)]
    if common.size < 2:
        raise ValidationError(
            "`table` must observe every cohort at 2 or more ages from 1 on for a trend, got "
            f"{common.size}",
            argument="table",
        )
    shares = retention[:, common]
    if not (shares > 0).all():
        raise ValidationError(
            "every cohort needs a repeat buyer at each of the ages 1 to "
            f"{int(common[-1])}: the trend of its log retention is undefined",
            argument="table",
        )
    slope = np.polyfit(common.astype(np.float64), np.log(shares).T, 1)[0]
    return np.expm1(slope), common


def describe_cohorts(log: TransactionLog) -> list[str]:
    r"""Return report lines on the monthly acquisition cohorts: size, retention, trend.

    Parameters
    ----------
    log : TransactionLog
        Purchases, with calendar dates.

    Returns
    -------
    list of str
        A table of each cohort's size and retention at the ages
        :data:`COHORT_AGES` (months), its trend (:func:`cohort_trends`), and
        the cohort whose retention falls fastest.

    Examples
    --------
    >>> from relmark.__main__ import describe_cohorts
    >>> from relmark.datasets import load_cdnow_sample
    >>> print("\n".join(describe_cohorts(load_cdnow_sample())[1:]))
      first purchase  customers   age 1   age 3   age 6   trend, ages 1-15
      1997-01               781   0.159   0.090   0.083   -5.4% a month
      1997-02               857   0.156   0.088   0.071   -4.2% a month
      1997-03               719   0.121   0.108   0.076   -4.8% a month
      slipping fastest: the 1997-01 cohort, -5.4% a month (the trend of log
        retention over the ages 1-15 months, which every cohort is observed for)
    """
    table = cohort_table(log, period="M")
    cohorts, _, retention = table.matrix("retention")
    _, _, size = table.matrix("acquired")
    trend, common = cohort_trends(table)
    months = cohorts.astype("datetime64[M]").astype(str)
    span = f"{int(common[0])}-{int(common[-1])}"
    lines = [
        _rule("Acquisition cohorts: share of each month's new customers buying again"),
        f"  {'first purchase':<16}{'customers':>9}"
        + "".join(f"{f'age {age}':>8}" for age in COHORT_AGES)
        + f"   trend, ages {span}",
    ]
    for row, month in enumerate(months):
        cells = "".join(f"{retention[row, age]:>8.3f}" for age in COHORT_AGES)
        lines.append(f"  {month:<16}{int(size[row, 0]):>9,}{cells}   {trend[row]:+.1%} a month")
    worst = int(np.argmin(trend))
    lines += _wrapped(
        f"slipping fastest: the {months[worst]} cohort, {trend[worst]:+.1%} a month (the "
        f"trend of log retention over the ages {span} months, which every cohort is "
        "observed for)"
    )
    return lines


def _parameters(model: BetaGeo | ParetoNBD | NBD | GammaGamma | ShiftedBetaGeo) -> list[str]:
    """Return one line per parameter: estimate and standard error."""
    info = model.fit_info
    lines = []
    for name, value in model.params.items():
        stderr = "" if info is None else f"  (s.e. {info.stderr[name]:.3f})"
        lines.append(f"  {name:<8}{value:>10.3f}{stderr}")
    if info is not None:
        lines.append(
            f"  log-likelihood {info.log_likelihood:,.1f}; {info.n_rows:,} distinct rows, "
            f"{info.seconds * 1000:.0f} ms"
        )
    return lines


def _wrapped(text: str, indent: str = "  ") -> list[str]:
    """Wrap a sentence to the report's width, continuation lines indented further."""
    return textwrap.wrap(text, width=WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


def describe_choice(
    log: TransactionLog, split: CalibrationHoldout
) -> tuple[list[str], ModelChoice]:
    """Return report lines comparing the candidate models on the holdout, and the choice."""
    tracking = tracking_curves(
        log, calibration_end=CDNOW_CALIBRATION_END, observation_end=CDNOW_OBSERVATION_END
    )
    choice = choose_model(split, CANDIDATES, by="holdout", tracking=tracking)
    lines = [
        _rule("Which model? BG/NBD, MBG/NBD and Pareto/NBD, fitted on the calibration"),
        *(f"  {line}".rstrip() for line in choice.comparison.to_text(best=False).splitlines()),
        "",
        *_wrapped(f"chosen: {choice.reason}"),
    ]
    return lines, choice


def describe_models(
    split: CalibrationHoldout, choice: ModelChoice
) -> tuple[list[str], PurchaseModel, GammaGamma]:
    """Return report lines on the chosen purchase model and Gamma-Gamma, and the two models."""
    calibration = split.calibration
    purchases = choice.model
    assert isinstance(purchases, BetaGeo | ParetoNBD | NBD)  # the demo's candidates
    spend = GammaGamma.fit(calibration)
    predicted = purchases.expected_purchases(calibration, split.holdout_length)
    alive = purchases.probability_alive(calibration)
    repeat = calibration.frequency > 0
    lines = [
        _rule(f"Who is still a customer? {choice.name}, the chosen model"),
        *_parameters(purchases),
        f"  holdout ({split.holdout_length:.0f} weeks) repeat purchases: "
        f"predicted {predicted.sum():,.0f}, actual {split.holdout_purchases.sum():,.0f}",
        f"  repeat buyers likely still customers (P(alive) > 0.5): "
        f"{int((alive[repeat] > 0.5).sum()):,} of {int(repeat.sum()):,}",
        f"  one-time buyers' mean P(alive): {alive[~repeat].mean():.2f} "
        "(BG/NBD: 1, alive by construction)",
        _rule("Spend per transaction: Gamma-Gamma"),
        *_parameters(spend),
        f"  population mean spend {spend.population_mean_spend():.2f} USD",
    ]
    return lines, purchases, spend


def describe_value(
    summary: CustomerSummary, purchases: PurchaseModel, spend: GammaGamma
) -> tuple[list[str], np.ndarray]:
    """Return report lines on each customer's lifetime value, and the values."""
    clv = customer_lifetime_value(
        purchases, spend, summary, horizon=104.0, step=4.0, discount_rate=0.008, margin=0.3
    )
    tiers = value_tiers(clv, shares=[0.5, 0.8])
    return [
        _rule("Customer lifetime value: 2 years, 30% margin, ~11%/year discount"),
        f"  {'':<22}{'min':>9}{'25%':>9}{'median':>9}{'75%':>9}{'max':>9}",
        _distribution("CLV per customer", clv, "USD"),
        f"  customer equity {clv.sum():,.0f} USD; Gini {gini(clv):.2f}; "
        f"{int((tiers == 0).sum()):,} customers ({(tiers == 0).mean():.0%}) hold half of it",
    ], clv


def describe_segments(
    summary: CustomerSummary, purchases: PurchaseModel, clv: np.ndarray
) -> tuple[list[str], np.ndarray]:
    """Return report lines profiling the named RFM segments, and each customer's segment."""
    labels = rfm_segments(rfm_scores(summary))
    assert summary.monetary_value is not None
    profile = segment_profile(
        labels,
        revenue=summary.frequency * summary.monetary_value,
        clv=clv,
        probability_alive=purchases.probability_alive(summary),
    )
    return [_rule("RFM segments"), *("  " + line for line in repr(profile).splitlines())], labels


#: The demo's two retention offers and budget (as in the guide "From insight to action").
DEMO_BUDGET = 150.0
VALUABLE_SEGMENTS = ("Champions", "Loyal", "At risk", "Can't lose them")
DEMO_OFFERS = (
    Offer(name="voucher", channel="email", contact_cost=0.05, offer_cost=0.25, save_rate=0.08),
    Offer(name="call", channel="phone", contact_cost=2.0, save_rate=0.3,
          eligible=frozenset(VALUABLE_SEGMENTS), capacity=100),
)  # fmt: skip


def describe_economics(
    summary: CustomerSummary,
    purchases: PurchaseModel,
    clv: np.ndarray,
    segment: np.ndarray,
) -> tuple[list[str], CampaignPlan]:
    r"""Return report lines on retention economics: a two-offer campaign, the value of loyalty.

    Parameters
    ----------
    summary : CustomerSummary
        The customers, with ``customer_id``.
    purchases : PurchaseModel
        The fitted purchase model: each customer's churn is ``1 - P(alive)``.
    clv : ndarray, shape (n,)
        Each customer's CLV (:func:`relmark.customer_lifetime_value`).
    segment : ndarray of str, shape (n,)
        Each customer's named RFM segment (:func:`relmark.rfm_segments`).

    Returns
    -------
    lines : list of str
        The offers (:data:`DEMO_OFFERS`), the plan under
        :data:`DEMO_BUDGET`: per offer its contacts, expected cost, value
        kept, net gain and ROI, the total against the budget and the
        certified gap; then what 5 points of retention are worth.
    plan : CampaignPlan
        The plan of :func:`relmark.plan_campaign`.

    Notes
    -----
    A save keeps what the customer is worth if they stay, the CLV given
    alive, :math:`\text{CLV}_i / P_i(\text{alive})`; the churn
    :math:`1 - P_i(\text{alive})` weighs it once.  Offer :math:`j` gains
    :math:`s_j p_i V_i - o_j (1 - p_i + s_j p_i) - c_j` on customer
    :math:`i`; the plan gives each at most one offer, within the budget
    and the calls' capacity, and certifies its gap to the best plan.

    References
    ----------
    Neslin, S. A., Gupta, S., Kamakura, W., Lu, J. & Mason, C. H. (2006).
    Defection detection. *Journal of Marketing Research*, 43(2), 204-211.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark import BetaGeo
    >>> from relmark.__main__ import describe_economics
    >>> from relmark.datasets import cdnow_sample_summary
    >>> summary = cdnow_sample_summary()
    >>> model = BetaGeo.fit(summary)
    >>> clv = 20.0 * model.probability_alive(summary)   # 20 USD given alive
    >>> lines, plan = describe_economics(summary, model, clv, np.full(len(summary), "Champions"))
    >>> plan.cost <= 150.0, bool(plan.gap >= 0)
    (True, True)
    """
    alive = purchases.probability_alive(summary)
    plan = plan_campaign(
        np.asarray(summary.customer_id),
        1.0 - alive,
        clv * _given_alive(alive),
        list(DEMO_OFFERS),
        budget=DEMO_BUDGET,
        segment=segment,
    )
    voucher, call = DEMO_OFFERS
    assert call.capacity is not None and isinstance(call.save_rate, float)
    assert isinstance(voucher.save_rate, float)
    offers = plan.offers
    header = (
        f"  {'offer':<10}{'contacts':>9}{'cost':>10}{'value kept':>12}{'net gain':>11}{'ROI':>8}"
    )
    rows = [
        f"  {name:<10}{int(contacts):>9,}{cost:>10,.2f}{kept:>12,.2f}{gain:>11,.2f}{roi:>8.0%}"
        for name, contacts, cost, kept, gain, roi in zip(
            offers.offer, offers.contacts, offers.expected_cost,
            offers.value_kept, offers.net_gain, offers.roi, strict=True,
        )
    ]  # fmt: skip
    total = (
        f"  {'total':<10}{int(offers.contacts.sum()):>9,}{plan.cost:>10,.2f}"
        f"{plan.value_kept:>12,.2f}{plan.net_gain:>11,.2f}{plan.roi:>8.0%}"
    )
    alone = ", ".join(
        f"{key.removeprefix('only ')} alone {value:,.2f}"
        for key, value in plan.alternatives.items()
        if key.startswith("only ")
    )
    lift = np.atleast_1d(retention_lift_value(30.0, [0.6, 0.8], 0.1, lift=0.05))
    lines = [
        _rule(f"Retention economics: two offers under a budget of {DEMO_BUDGET:,.0f} USD"),
        *_wrapped(
            f"{voucher.name} ({voucher.channel.value}): {voucher.contact_cost:.2f} USD a contact "
            f"and a {voucher.offer_cost:.2f} USD voucher for each who stays, keeps "
            f"{voucher.save_rate:.0%} of would-be leavers; anyone may get it"
        ),
        *_wrapped(
            f"{call.name} ({call.channel.value}): {call.contact_cost:.2f} USD a call, keeps "
            f"{call.save_rate:.0%}; only {', '.join(VALUABLE_SEGMENTS)}; at most "
            f"{call.capacity:,} calls"
        ),
        *_wrapped(
            "at most one offer a customer (relmark.plan_campaign); a save keeps the CLV given "
            "alive, CLV / P(alive)"
        ),
        "",
        header,
        *rows,
        total,
        *_wrapped(
            f"{plan.cost:,.2f} of the {plan.budget:,.2f} USD budget; certified gap "
            f"{plan.gap:,.2f}: no plan gains more than {plan.upper_bound:,.2f} (method "
            f"{plan.method}; {alone})"
        ),
        "",
        f"  +5 points of retention are worth {lift[0]:.2f} USD per customer at 60% retention",
        f"    and {lift[1]:.2f} USD at 80% (30 USD margin a period, 10% discount rate)",
    ]
    return lines, plan


#: Fader & Hardie (2007), "How to project customer retention", Table 1: of 1,000
#: "regular" subscribers, those still there at the start and after each of 12 years.
REGULAR_COHORT = (1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173)


def describe_retention() -> list[str]:
    r"""Return report lines on the sBG and the BdW fitted to a published subscriber cohort.

    Returns
    -------
    list of str
        The sBG's estimates and the BdW's, fitted on years 1-7 of
        :data:`REGULAR_COHORT`; each model's projected survivors in years
        8-12 beside the actual ones; the Kaplan-Meier survival at year 12
        with its 90 % band against both projections.

    Notes
    -----
    :func:`relmark.compare_retention` censors the tenures at year 7, fits
    both models (sBG: :math:`S(t) = B(\alpha, \beta + t) / B(\alpha, \beta)`;
    BdW: :math:`S(t) = B(\alpha, \beta + t^c) / B(\alpha, \beta)`) and checks
    their projections against the Kaplan-Meier curve of all 12 years.

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007). How to project customer
    retention. *Journal of Interactive Marketing*, 21(1), 76-90.

    Fader, P. S., Hardie, B. G. S., Liu, Y., Davin, J. & Steenburgh, T.
    (2018). "How to project customer retention" revisited: the role of
    duration dependence. *Journal of Interactive Marketing*, 43, 1-16.

    Examples
    --------
    >>> from relmark.__main__ import describe_retention
    >>> print("\n".join(describe_retention()[-3:]))
      Kaplan-Meier survival at year 12: 0.173 (90% band 0.154 to 0.193); projected
        by the sBG 0.170 and the BdW 0.177: both inside the band
      retention rate rises with tenure: 63% in year 1, 95% in year 12 (sBG)
    """
    alive = np.array(REGULAR_COHORT)
    tenure, churned = tenures_from_survivors(alive)
    check = compare_retention(
        tenure, churned, calibration_periods=7,
        models={"sBG": ShiftedBetaGeo, "BdW": BetaDiscreteWeibull},
    )  # fmt: skip
    sbg = check.model("sBG")
    assert isinstance(sbg, ShiftedBetaGeo)
    years = check.periods.astype(np.int64)
    rows = [
        f"  {'model':<7}{'alpha (s.e.)':<15}{'beta (s.e.)':<15}{'c (s.e.)':<15}"
        f"{'log-lik':>8}{'AIC':>9}"
    ]
    for name, model, aic in zip(check.names, check.models, check.aic, strict=True):
        assert isinstance(model, ShiftedBetaGeo | BetaDiscreteWeibull)
        info = model.fit_info
        assert info is not None  # compare_retention refuses a model without it
        cells = {
            key: f"{value:.3f} ({info.stderr[key]:.3f})" for key, value in model.params.items()
        }
        rows.append(
            f"  {name:<7}{cells['alpha']:<15}{cells['beta']:<15}{cells.get('c', ''):<15}"
            f"{info.log_likelihood:>8,.1f}{aic:>9,.1f}"
        )
    projected = [
        f"  {f'{name} projected':<22}" + "".join(f"{v:>7.0f}" for v in 1000 * row)
        for name, row in zip(check.names, check.projected, strict=True)
    ]
    actual = "".join(f"{v:>7.0f}" for v in alive[years])
    last = -1  # year 12
    km, low, high = check.km_survival[last], check.km_lower[last], check.km_upper[last]
    at_last = " and ".join(
        f"the {name} {row[last]:.3f}"
        for name, row in zip(check.names, check.projected, strict=True)
    )
    inside = [name for name, row in zip(check.names, check.projected, strict=True)
              if low <= row[last] <= high]  # fmt: skip
    verdict = (
        "both inside the band" if len(inside) == 2
        else f"only the {inside[0]} inside the band" if inside
        else "neither inside the band"
    )  # fmt: skip
    return [
        _rule("Contract retention: sBG and BdW on 7 years of a subscriber cohort"),
        *rows,
        f"  {'year':<22}" + "".join(f"{y:>7}" for y in years),
        *projected,
        f"  {'actual survivors':<22}{actual}",
        *_wrapped(
            f"Kaplan-Meier survival at year {years[last]}: {km:.3f} ({check.level:.0%} band "
            f"{low:.3f} to {high:.3f}); projected by {at_last}: {verdict}"
        ),
        f"  retention rate rises with tenure: {sbg.retention_rate(1.0):.0%} in year 1, "
        f"{sbg.retention_rate(12.0):.0%} in year 12 (sBG)",
    ]


def demo() -> str:
    """Build the demo report on the embedded CDNOW sample.

    Returns
    -------
    str
        The report, at most 78 characters wide.

    Examples
    --------
    >>> from relmark.__main__ import demo
    >>> "CDNOW" in demo()
    True
    """
    log = load_cdnow_sample()
    split = log.split(CDNOW_CALIBRATION_END, CDNOW_OBSERVATION_END, unit="W")
    calibration = split.calibration
    choice_lines, choice = describe_choice(log, split)
    model_lines, purchases, spend = describe_models(split, choice)
    value_lines, clv = describe_value(calibration, purchases, spend)
    segment_lines, labels = describe_segments(calibration, purchases, clv)
    economics_lines, _ = describe_economics(calibration, purchases, clv, labels)
    lines = [
        f"relmark {__version__} demo: the CDNOW sample (2,357 customers of an online CD store)",
        *describe_data(log, calibration),
        *describe_cohorts(log),
        *choice_lines,
        *model_lines,
        *value_lines,
        *segment_lines,
        *economics_lines,
        *describe_retention(),
    ]
    return "\n".join(lines) + "\n"


def _progress(message: str) -> None:
    print(f"relmark: {message}", file=sys.stderr, flush=True)


def scored_columns(
    summary: CustomerSummary,
    *,
    horizon: float,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    split: CalibrationHoldout | None = None,
    candidates: Sequence[str] = tuple(CANDIDATES),
    report: Callable[[str], None] | None = None,
    covariates: Sequence[str] = (),
) -> dict[str, np.ndarray]:
    """Choose among BG/NBD, MBG/NBD and Pareto/NBD; score every customer with the choice.

    Without ``split`` the candidates are fitted to ``summary`` (to a seeded
    random sample of :data:`CHOICE_SAMPLE` customers when it has more, the
    chosen class then refitted on all) and the one with the lowest BIC is
    chosen; with it they are fitted on its
    calibration period, the one with the lowest per-customer RMSE of holdout
    purchases is chosen, and that class is refitted on ``summary`` (the full
    period) for scoring (:func:`relmark.comparison.choose_model`).  Scores
    come from :func:`relmark.score` with the chosen model (and Gamma-Gamma
    with amounts).  A model the data cannot identify is replaced by its
    well-defined limit (``unidentified="limit"``): the report says so.

    With ``covariates``, every candidate, the refit and Gamma-Gamma are
    fitted with them in every process (``covariates=[...]``), and the
    report's estimates include each covariate's multiplier.  The limits
    take no covariates: one that stands in leaves them out, and the report
    says that too.

    Parameters
    ----------
    summary : CustomerSummary
        The customers, with ``customer_id``.
    horizon : float
        Horizon of the expected purchases and the CLV, in the summary's unit.
    discount_rate : float, default 0
        Discount rate per unit of time, for the CLV.
    margin : float, default 1
        Share of spend kept, for the CLV.
    split : CalibrationHoldout, optional
        The same customers' calibration/holdout split, to choose by holdout.
    candidates : sequence of str, default all of ``CANDIDATES``
        The purchase models to choose from, by name (``"BG/NBD"``, ...).
    report : callable, optional
        Called with each line of the account of the fits and the choice.
    covariates : sequence of str, default ()
        Names of covariates ``summary`` (and ``split``'s calibration
        summary) carry, to fit the models with; none by default.

    Returns
    -------
    dict of str to ndarray
        Columns aligned with the summary's rows: ``customer_id``,
        ``frequency``, ``recency``, ``T``, ``probability_alive``,
        ``expected_purchases``, the RFM scores and named segment and, when
        the summary has spend, ``monetary_value``, ``expected_spend`` and
        ``clv``.

    Examples
    --------
    >>> from relmark.__main__ import scored_columns
    >>> from relmark.datasets import cdnow_sample_summary
    >>> lines = []
    >>> columns = scored_columns(cdnow_sample_summary(), horizon=39.0, report=lines.append)
    >>> len(columns["probability_alive"]), list(columns)[-3:]
    (2357, ['monetary_value', 'expected_spend', 'clv'])
    >>> print(next(line for line in lines if line.startswith("chose")))
    chose MBG/NBD: lowest BIC 19,195.3 vs BG/NBD 19,195.9, Pareto/NBD 19,221.0
    """
    _, scores = _choose_and_score(
        summary,
        horizon=horizon,
        discount_rate=discount_rate,
        margin=margin,
        split=split,
        candidates=candidates,
        report=report,
        covariates=covariates,
    )
    return _score_table(summary, scores)


def _choose_and_score(
    summary: CustomerSummary,
    *,
    horizon: float,
    discount_rate: float,
    margin: float,
    split: CalibrationHoldout | None,
    candidates: Sequence[str],
    report: Callable[[str], None] | None,
    covariates: Sequence[str],
) -> tuple[ModelChoice, Scores]:
    """Choose the purchase model and score every customer: the one place it is done.

    :func:`scored_columns` (``relmark score``) and ``relmark campaign`` both
    call it; see :func:`scored_columns` for how the model is chosen.  The
    Scores carry the fitted models (``purchase_model``, ``spend_model``).
    """
    data = split if split is not None else _choice_data(summary)
    choice = choose_model(
        data,
        {name: CANDIDATES[name] for name in candidates},
        refit_on=None if data is summary else summary,
        unidentified="limit",
        covariates=list(covariates) if covariates else None,
    )
    scores, notes = _scores(
        summary,
        choice.model,
        covariates,
        horizon=horizon,
        discount_rate=discount_rate,
        margin=margin,
    )
    if report is not None:
        _report_choice(choice, report, split is not None)
        if scores.spend_model is not None:
            report(_fitted(scores.spend_model))
        for note in notes:
            report(note)
    return choice, scores


def _score_table(summary: CustomerSummary, scores: Scores) -> dict[str, np.ndarray]:
    """Return the columns of ``relmark score``: the scores, the RFM scores and named segment."""
    rfm = rfm_scores(summary)
    columns: dict[str, np.ndarray] = {
        "customer_id": np.asarray(summary.customer_id),
        "frequency": summary.frequency,
        "recency": summary.recency,
        "T": summary.T,
        "probability_alive": scores.probability_alive,
        "expected_purchases": scores.expected_purchases,
        "recency_score": rfm.recency_score,
        "frequency_score": rfm.frequency_score,
        "monetary_score": rfm.monetary_score,
        "segment": rfm_segments(rfm),
    }
    if scores.expected_spend is not None and scores.clv is not None:
        assert summary.monetary_value is not None
        columns["monetary_value"] = summary.monetary_value
        columns["expected_spend"] = scores.expected_spend
        columns["clv"] = scores.clv
    return columns


def _scores(
    summary: CustomerSummary,
    purchases: PurchaseModel,
    covariates: Sequence[str],
    *,
    horizon: float,
    discount_rate: float,
    margin: float,
) -> tuple[Scores, list[str]]:
    """Score with the purchase model and Gamma-Gamma (with ``covariates``); return the notes.

    A file the spend model cannot identify (spend never varies) is scored
    with its well-defined limit, and the notes say so, instead of failing.
    The limit takes no covariates: after a fit with them fails, it stands
    in only when the fit without them heads for it as well.
    """
    spend, failure = _spend_model(summary, covariates)
    options = {"horizon": horizon, "discount_rate": discount_rate, "margin": margin}
    try:
        scores = score_customers(summary, purchases, spend, **options, unidentified="limit")
    except ConvergenceError:
        if failure is None:
            raise
        raise failure from None  # the fit asked for, not the one without covariates
    notes = list(scores.notes)
    if failure is not None:
        if not isinstance(scores.spend_model, CommonMeanSpend):
            raise failure  # spend does vary without the covariates: no limit stands in
        notes.append(
            f"The common mean spend takes no covariates: it leaves out {', '.join(covariates)} "
            "(Gamma-Gamma fitted with them finds no interior maximum either)."
        )
    return scores, notes


def _spend_model(
    summary: CustomerSummary, covariates: Sequence[str]
) -> tuple[GammaGamma | type[GammaGamma] | None, ConvergenceError | None]:
    """Return the spend model for :func:`relmark.score`, and the failure of a fit with covariates.

    Without covariates, the class (score fits it, or its limit).  With them,
    Gamma-Gamma fitted with them to the customers score fits it to (repeat
    buyers with positive spend); when that fit finds no interior maximum,
    the class again, for score's limit, and the failure.
    """
    spend = summary.monetary_value
    if spend is None or not np.any(spend > 0):
        return None, None
    repeat = (summary.frequency > 0) & (spend > 0)
    if not covariates or not np.any(repeat):
        return GammaGamma, None
    try:
        return GammaGamma.fit(summary.subset(repeat), covariates=list(covariates)), None
    except ConvergenceError as error:
        return GammaGamma, error


def _report_choice(choice: ModelChoice, report: Callable[[str], None], holdout: bool) -> None:
    """Report each candidate's fit, the comparison, the choice and why."""
    fitted_on = choice.comparison.n_customers
    if holdout:
        period = " on the calibration period"
    elif choice.refitted:
        period = f" on a random sample of {fitted_on:,.0f} customers"
    else:
        period = ""
    for name, message in choice.failed.items():
        report(f"{name}{period}: {message}")
    for row in choice.comparison:
        if row.name in CANDIDATES:
            report(_fitted(row.model) + period)
    for line in choice.comparison.to_text(best=False).splitlines():
        report(f"  {line}".rstrip())
    report(f"chose {choice.reason}")  # with a limit, the reason is its note
    if choice.refitted or choice.criterion == "limit":  # a model not shown yet
        refit = ""
        if choice.refitted:
            refit = "refitted on the full period: " if holdout else "refitted on all customers: "
        report(refit + _fitted(choice.model))


_NAMES = {
    "BetaGeo": "BG/NBD",
    "ModifiedBetaGeo": "MBG/NBD",
    "ParetoNBD": "Pareto/NBD",
    "GammaGamma": "Gamma-Gamma",
    "NBD": "NBD (no dropout)",
    "CommonMeanSpend": "Spend",
}


def _fitted(model: object) -> str:
    """One line for the report: the estimates with their standard errors, and convergence."""
    name = _NAMES.get(type(model).__name__, type(model).__name__)
    if isinstance(model, CommonMeanSpend):  # a closed form: no likelihood was maximised
        return f"{name}: one common mean spend, {model.mean:,.4g} per transaction"
    assert isinstance(model, BetaGeo | ParetoNBD | NBD | GammaGamma)  # what was fitted here
    info = model.fit_info
    assert info is not None  # a fitted model has one: a fit that does not converge raises
    estimates = ", ".join(
        f"{key} {value:.4g} (s.e. {info.stderr[key]:.2g})" for key, value in model.params.items()
    )
    return (
        f"{name}: {estimates}; log-likelihood {info.log_likelihood:,.1f}; converged to an "
        f"interior maximum in {info.iterations} iterations"
    )


def _score_customers(
    summary: CustomerSummary, split: CalibrationHoldout | None, args: argparse.Namespace
) -> tuple[ModelChoice, Scores]:
    """Fit the models and score every customer: the one place the command line does it."""
    return _choose_and_score(
        summary,
        horizon=args.horizon,
        discount_rate=args.discount_rate,
        margin=args.margin,
        split=split,
        candidates=args.models,
        report=_progress,
        covariates=() if summary.covariates is None else summary.covariates.names,
    )


def _read_customers(args: argparse.Namespace) -> tuple[CustomerSummary, CalibrationHoldout | None]:
    """Read the purchases, summarise them and split off the holdout (``score``, ``campaign``)."""
    _progress(f"reading {args.transactions}")
    log = read_transactions(
        args.transactions,
        customer=args.customer_col,
        timestamp=args.date_col,
        amount=args.amount_col,
        delimiter=args.delimiter,
        encoding=args.encoding,
        date_format=args.date_format,
        returns=args.returns,
    )
    summary = log.summarize(args.observation_end, unit=args.unit)
    split = None
    if args.holdout is not None:
        split = holdout_split(
            log, args.holdout, observation_end=args.observation_end, unit=args.unit
        )
    if getattr(args, "covariates", None) is not None:
        summary, split = _attach_covariates(summary, split, args)
    how = (
        "by BIC" if split is None else f"by their forecast of the last {args.holdout:g} {args.unit}"
    )
    _progress(
        f"read {len(log):,} rows: {len(summary):,} customers; fitting the models and "
        f"choosing among {', '.join(args.models)} {how}"
    )
    return summary, split


def score(args: argparse.Namespace, written: list[str] | None = None) -> None:
    """Run ``relmark score``: read, summarise, fit, score, and write the output file."""
    _refuse_to_overwrite_input(args.transactions, args.out)
    summary, split = _read_customers(args)
    _, scores = _score_customers(summary, split, args)
    _progress(f"writing {len(summary):,} scored customers to {args.out}")
    write_columns(args.out, _score_table(summary, scores))
    if written is not None:
        written.append(args.out)
    _progress("done")


def _attach_covariates(
    summary: CustomerSummary, split: CalibrationHoldout | None, args: argparse.Namespace
) -> tuple[CustomerSummary, CalibrationHoldout | None]:
    """Read ``--covariates`` and give the summary (and the split) each customer's covariates."""
    _refuse_to_overwrite_input(args.covariates, args.out)
    id_column = args.covariates_id or args.customer_col
    _progress(f"reading covariates from {args.covariates}")
    table = read_covariates(
        args.covariates, id_column=id_column, columns=args.covariate, encoding=args.encoding
    )
    columns = [name for name in table if name != id_column]
    try:
        summary = summary.with_covariates(table, id_column=id_column, columns=columns)
        if split is not None:
            split = split.with_covariates(table, id_column=id_column, columns=columns)
    except ValidationError as error:  # say which file: the message speaks of the table
        raise ValidationError(
            f"{args.covariates}: {error}", argument=error.argument, value=error.value
        ) from None
    assert summary.covariates is not None  # just attached
    _progress(
        f"covariates of every customer: {', '.join(summary.covariates.names)} (each model's "
        "multiplier[covariate] is the factor one unit multiplies the rate or mean spend by)"
    )
    return summary, split


def _refuse_to_overwrite_input(
    source: str,
    out: str,
    *,
    option: str = "--out",
    writing: str = "the scores",
    destroys: str = "the purchases",
) -> None:
    """Raise if ``out`` is ``source`` itself, by name, symbolic link or hard link."""
    if out == "-" or not os.path.exists(out):
        return
    if os.path.exists(source) and os.path.samefile(source, out):
        raise ValidationError(
            f"{option} {out!r} is the input file {source!r}; writing {writing} there would "
            f"destroy {destroys}: choose another file"
        )


def _refuse_one_file_twice(first: tuple[str, str], second: tuple[str, str]) -> None:
    """Raise if two outputs (option, path) are one file (or both standard output)."""
    (option_a, a), (option_b, b) = first, second
    if a == "-" or b == "-":
        if a == b:
            raise ValidationError(
                f"{option_a} and {option_b} are both standard output (-): give one of them a file"
            )
        return
    same = (
        os.path.samefile(a, b)
        if os.path.exists(a) and os.path.exists(b)
        else os.path.realpath(a) == os.path.realpath(b)
    )
    if same:
        raise ValidationError(
            f"{option_b} {b!r} is the file of {option_a} {a!r}: give each its own file"
        )


# ---------------------------------------------------------------------------- relmark campaign

#: The keys of an offer in ``--offers``, in the order the help gives them.
OFFER_KEYS = (
    "name",
    "channel",
    "contact_cost",
    "offer_cost",
    "save_rate",
    "uplift",
    "segments",
    "capacity",
)
_REQUIRED_KEYS = ("name", "channel", "contact_cost")
#: ``"uplift": "measured"``: the per-customer uplift measured on ``--past-campaign``.
MEASURED = "measured"
#: The features the measured uplift is modelled on, per customer (columns of the scores).
UPLIFT_FEATURES = ("frequency", "recency", "T", "probability_alive")


class _Pairs(list[tuple[str, object]]):
    """A JSON object as its (key, value) pairs, so that a repeated key can be refused."""


def _shown(value: object) -> str:
    """Return a JSON value as the file spells it, shortened."""
    text = json.dumps(dict(value) if isinstance(value, _Pairs) else value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _json_kind(value: object) -> str:
    if isinstance(value, _Pairs):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def _not_a_number(constant: str) -> float:
    raise ValidationError(f"{constant} is not a number JSON allows")


def _number(where: str, key: str, value: object, low: float, high: float = math.inf) -> float:
    """Check a JSON number in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(
            f'{where}: "{key}" must be a number, got {_json_kind(value)} {_shown(value)}'
        )
    number = float(value)
    if not low <= number <= high:
        rule = f">= {low:g}" if high == math.inf else f"in [{low:g}, {high:g}]"
        raise ValidationError(f'{where}: "{key}" must be {rule}, got {_shown(value)}')
    return number


def _segments_of(where: str, value: object) -> frozenset[str]:
    """Check ``"segments"``: a non-empty list of RFM segment names."""
    names = [segment.name for segment in RFM_SEGMENTS]
    if not isinstance(value, list) or isinstance(value, _Pairs) or not value:
        raise ValidationError(
            f'{where}: "segments" must be a non-empty list of RFM segment names, got '
            f"{_json_kind(value)} {_shown(value)}"
        )
    for label in value:
        if not isinstance(label, str):
            raise ValidationError(
                f'{where}: "segments" must hold names (strings), got {_json_kind(label)} '
                f"{_shown(label)}"
            )
        if label not in names:
            raise ValidationError(
                f'{where}: "segments": unknown RFM segment {label!r}; the segments are '
                + ", ".join(repr(name) for name in names)
            )
    return frozenset(value)


def _offer_of(where: str, item: _Pairs, past_campaign: str | None) -> tuple[Offer, bool]:
    """Check one offer of ``--offers``; return it and whether its uplift is to be measured."""
    keys = [key for key, _ in item]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValidationError(f'{where}: the key "{repeated[0]}" is given twice')
    fields = dict(item)
    for key in fields:
        if key not in OFFER_KEYS:
            known = ", ".join(f'"{name}"' for name in OFFER_KEYS)
            raise ValidationError(f'{where}: unknown key "{key}"; the keys are {known}')
    for key in _REQUIRED_KEYS:
        if key not in fields:
            raise ValidationError(f'{where}: missing "{key}"')
    effects = [key for key in ("save_rate", "uplift") if key in fields]
    if len(effects) != 1:
        given = "both" if effects else "neither"
        raise ValidationError(f'{where}: give exactly one of "save_rate" and "uplift", got {given}')
    name, channel = fields["name"], fields["channel"]
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(
            f'{where}: "name" must be a non-empty string, got {_json_kind(name)} {_shown(name)}'
        )
    channels = [member.value for member in Channel]
    if channel not in channels:
        raise ValidationError(
            f'{where}: "channel" must be one of {", ".join(map(repr, channels))}, got '
            f"{_shown(channel)}"
        )
    options: dict[str, object] = {
        "name": name,
        "channel": channel,
        "contact_cost": _number(where, "contact_cost", fields["contact_cost"], 0.0),
    }
    if "offer_cost" in fields:
        options["offer_cost"] = _number(where, "offer_cost", fields["offer_cost"], 0.0)
    measured = fields.get("uplift") == MEASURED
    if "save_rate" in fields:
        options["save_rate"] = _number(where, "save_rate", fields["save_rate"], 0.0, 1.0)
    elif measured:
        if past_campaign is None:
            raise ValidationError(
                f'{where}: "uplift": "measured" needs --past-campaign FILE, a past campaign '
                "with a control group to measure it on"
            )
        options["uplift"] = 0.0  # measured later, for every customer
    else:
        value = fields["uplift"]
        if isinstance(value, str):
            raise ValidationError(
                f'{where}: "uplift" must be a number in [-1, 1] or "measured", got {_shown(value)}'
            )
        options["uplift"] = _number(where, "uplift", value, -1.0, 1.0)
    if "segments" in fields:
        options["eligible"] = _segments_of(where, fields["segments"])
    if "capacity" in fields:
        capacity = fields["capacity"]
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
            raise ValidationError(
                f'{where}: "capacity" must be a whole number >= 0, got {_shown(capacity)}'
            )
        options["capacity"] = capacity
    try:
        offer = Offer(**options)
    except (ValidationError, TypeError) as error:  # what the checks above do not foresee
        raise ValidationError(f"{where}: {_one_line(error)}") from None
    return offer, measured


def read_offers(path: str, *, past_campaign: str | None = None) -> list[tuple[Offer, bool]]:
    """Read the offers of ``relmark campaign --offers``: a JSON list of objects.

    Parameters
    ----------
    path : str
        The JSON file (UTF-8): a list of objects with the keys of
        :data:`OFFER_KEYS`; ``"name"``, ``"channel"``, ``"contact_cost"`` and
        exactly one of ``"save_rate"`` and ``"uplift"`` are required.
    past_campaign : str, optional
        The ``--past-campaign`` file, which ``"uplift": "measured"`` needs.

    Returns
    -------
    list of (Offer, bool)
        Each offer, and whether its uplift is to be measured on the past
        campaign (its ``uplift`` is then a placeholder 0).

    Raises
    ------
    ValidationError
        In one line naming the file, the offer (its position and name) and
        the key: invalid JSON, a key given twice, an unknown or missing key,
        a value of the wrong type or out of range, an unknown channel or RFM
        segment name, a repeated offer name, or ``"measured"`` without
        ``past_campaign``.
    OSError
        If the file cannot be read.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from relmark.__main__ import read_offers
    >>> file = Path(tempfile.mkdtemp()) / "offers.json"
    >>> _ = file.write_text('[{"name": "mail", "channel": "email", "contact_cost": 0.5, '
    ...                     '"save_rate": 0.1, "segments": ["At risk"], "capacity": 500}]')
    >>> [(offer.name, offer.capacity, measured) for offer, measured in read_offers(str(file))]
    [('mail', 500, False)]
    >>> _ = file.write_text('[{"name": "mail", "channel": "fax", "contact_cost": 1, '
    ...                     '"save_rate": 0.1}]')
    >>> read_offers(str(file))
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: ...offers.json: offer 1 of 1 ('mail'): "channel" must ...
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(
            f"{path}: not UTF-8 text ({error.reason} at byte {error.start:,})"
        ) from None
    try:
        raw = json.loads(text, object_pairs_hook=_Pairs, parse_constant=_not_a_number)
    except json.JSONDecodeError as error:
        raise ValidationError(
            f"{path}: not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except ValidationError as error:
        raise ValidationError(f"{path}: {error}") from None
    if not isinstance(raw, list) or isinstance(raw, _Pairs):
        raise ValidationError(
            f"{path}: must be a JSON list of offers (objects), got {_json_kind(raw)}"
        )
    if not raw:
        raise ValidationError(f"{path}: the list holds no offers")
    offers: list[tuple[Offer, bool]] = []
    for index, item in enumerate(raw):
        where = f"{path}: offer {index + 1} of {len(raw)}"
        if not isinstance(item, _Pairs):
            raise ValidationError(
                f'{where}: must be an object {{"name": ..., "channel": ..., ...}}, got '
                f"{_json_kind(item)} {_shown(item)}"
            )
        name = dict(item).get("name")
        if isinstance(name, str) and name.strip():
            where += f" ({name!r})"
        offer, measured = _offer_of(where, item, past_campaign)
        earlier = [k for k, (other, _) in enumerate(offers) if other.name == offer.name]
        if earlier:
            raise ValidationError(
                f'{where}: "name" {offer.name!r} is also offer {earlier[0] + 1}\'s'
            )
        offers.append((offer, measured))
    if past_campaign is not None and not any(measured for _, measured in offers):
        raise ValidationError(
            f'{path}: no offer has "uplift": "measured", so --past-campaign {past_campaign!r} '
            "would not be used: drop it, or measure an offer's uplift on it"
        )
    return offers


def _flags(path: str, column: str, values: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Read a flag column of ``--past-campaign``: true/false or 1/0."""
    if values.dtype.kind == "b":
        return values.astype(bool)
    if values.dtype.kind in "iuf":
        bad = (values != 0) & (values != 1)
    else:
        bad = np.ones(values.size, dtype=bool)
    if np.any(bad):
        first = int(np.argmax(bad))
        raise ValidationError(
            f"{path}: column {column!r} must be true/false or 1/0; {int(bad.sum()):,} of "
            f"{values.size:,} customers have another value (first: customer {ids[first]!r}, "
            f"{values[first]!r})"
        )
    return np.asarray(values == 1, dtype=bool)


def _rows_of(path: str, ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Return the row of each id of ``wanted`` among ``ids``; refuse unknown and repeated ones."""
    if ids.dtype.kind in "iu" and wanted.dtype.kind in "iu":
        have, want = ids.astype(np.int64), wanted.astype(np.int64)
    else:  # text on either side: compare as text
        have, want = ids.astype(str), wanted.astype(str)
    distinct, counts = np.unique(want, return_counts=True)
    if np.any(counts > 1):
        twice = distinct[counts > 1]
        raise ValidationError(
            f"{path}: the customer id {twice[0]!s} is on more than one row ({twice.size:,} "
            f"id{' is' if twice.size == 1 else 's are'}): give each customer of the past "
            "campaign one row"
        )
    order = np.argsort(have, kind="stable")
    position = np.clip(np.searchsorted(have[order], want), 0, max(have.size - 1, 0))
    found = have[order][position] == want if have.size else np.zeros(want.size, dtype=bool)
    if not np.all(found):
        missing = want[~found]
        shown = ", ".join(repr(str(i)) for i in missing[:3])
        raise ValidationError(
            f"{path}: {missing.size:,} of {want.size:,} customers of the past campaign are not "
            f"in the purchases (first: {shown}); their features come from their purchases"
        )
    return np.asarray(order[position], dtype=np.int64)


def _measured_uplift(
    args: argparse.Namespace, summary: CustomerSummary, scores: Scores
) -> np.ndarray:
    """Measure ``--past-campaign``'s uplift on the customers' features; predict it for all."""
    path = args.past_campaign
    id_column = args.past_id_col or args.customer_col
    treated_column, outcome_column = args.treated_col or "treated", args.outcome_col or "outcome"
    _progress(f"reading the past campaign from {path}")
    table = read_covariates(
        path, id_column=id_column, columns=[treated_column, outcome_column], encoding=args.encoding
    )
    past_ids = np.asarray(table[id_column])
    treated = _flags(path, treated_column, np.asarray(table[treated_column]), past_ids)
    outcome = _flags(path, outcome_column, np.asarray(table[outcome_column]), past_ids)
    rows = _rows_of(path, np.asarray(summary.customer_id), past_ids)
    columns = {
        "frequency": summary.frequency,
        "recency": summary.recency,
        "T": summary.T,
        "probability_alive": scores.probability_alive,
    }
    everyone = {name: np.asarray(columns[name]) for name in UPLIFT_FEATURES}
    varying = {name: column[rows] for name, column in everyone.items() if np.ptp(column[rows]) > 0}
    try:
        uplift = measure_uplift(treated, outcome, features=varying or None, level=args.level)
    except (ValidationError, ConvergenceError) as error:  # say which file
        raise ValidationError(f"{path}: {_one_line(error)}") from None
    effect = uplift.overall
    _progress(
        f"measured uplift on {path}: {effect.n_treated:,} treated, {effect.n_control:,} in the "
        f"control group; retained {effect.treated_rate:.1%} against {effect.control_rate:.1%}, "
        f"uplift {effect.effect:.3f} [{effect.lower:.3f}, {effect.upper:.3f}] at "
        f"{args.level:.0%}"
    )
    if uplift.features:
        _progress(
            f"per customer by {uplift.method.replace('_', '-')} logistic fits on "
            f"{', '.join(uplift.features)} (in-sample Qini coefficient "
            f"{uplift.qini_coefficient:.3f}), predicted for all {len(summary):,} customers"
        )
        predicted: np.ndarray = uplift.predict({name: everyone[name] for name in uplift.features})
        return predicted
    _progress("no feature varies among its customers: every customer gets the overall uplift")
    return np.full(len(summary), effect.effect)


def _value_and_churn_bounds(
    summary: CustomerSummary, scores: Scores, level: float
) -> dict[str, np.ndarray]:
    """Return the ``level`` delta-method intervals of each customer's CLV and churn."""
    assert scores.clv is not None  # the campaign needs amounts: checked before
    try:
        bands = prediction_intervals(
            summary,
            scores.purchase_model,
            scores.spend_model,
            horizon=scores.horizon,
            discount_rate=scores.discount_rate,
            margin=scores.margin,
            step=scores.step,
            method="delta",
            level=level,
        )
    except RelmarkError as error:  # e.g. a limit model, which has no covariance
        _progress(
            f"no intervals of value and churn ({_one_line(error)}): each contact's gain bounds "
            "are its estimate"
        )
        return {}
    clv, alive = bands["clv"], bands["probability_alive"]
    _progress(
        f"intervals of value and churn: {level:.0%}, delta method on the fitted models' "
        f"covariance (customer equity {float(bands['customer_equity'].estimate):,.0f} "
        f"[{float(bands['customer_equity'].lower):,.0f}, "
        f"{float(bands['customer_equity'].upper):,.0f}])"
    )
    # the bands' estimates are the scores to rounding: keep each bound on its side of them
    return {
        "value_lower": np.minimum(clv.lower, scores.clv),
        "value_upper": np.maximum(clv.upper, scores.clv),
        "churn_lower": np.clip(1.0 - np.maximum(alive.upper, scores.probability_alive), 0, 1),
        "churn_upper": np.clip(1.0 - np.minimum(alive.lower, scores.probability_alive), 0, 1),
    }


def _given_alive(probability_alive: np.ndarray) -> np.ndarray:
    """Return the factor turning a CLV into the value given alive, ``1 / P(alive)``.

    What a save keeps is what the customer is worth if they stay: the CLV
    already weighs the chance that they have gone, which the plan weighs
    again through the churn probability.  A P(alive) of 0 (underflow) has a
    CLV of 0, kept at 0.
    """
    alive = np.asarray(probability_alive, dtype=np.float64)
    return np.divide(1.0, alive, out=np.zeros_like(alive), where=alive > 0)


def _money(value: float) -> str:
    return "no limit" if value == math.inf else f"{value:,.2f}"


def describe_plan(plan: CampaignPlan) -> list[str]:
    r"""Return report lines on a campaign plan: per offer, the totals and the certificate.

    Parameters
    ----------
    plan : CampaignPlan
        What :func:`relmark.plan_campaign` returned.

    Returns
    -------
    list of str
        Per offer its contacts, expected cost, value kept and ROI; the total
        cost against the budget; the plan chosen, the method and the
        certified gap ``upper_bound - net_gain``.

    Examples
    --------
    >>> from relmark import Offer, plan_campaign
    >>> from relmark.__main__ import describe_plan
    >>> plan = plan_campaign([1, 2], [0.8, 0.5], [500.0, 300.0],
    ...                      [Offer(name="mail", channel="email", contact_cost=5.0, save_rate=0.2)],
    ...                      budget=5.0)
    >>> print("\n".join(describe_plan(plan)))
    offer mail (email): 1 contacts, expected cost 5.00, value kept 80.00, ROI 1500%
    total expected cost 5.00 of the budget 5.00; value kept 80.00; net gain 75.00
    plan: combined (method exact); certified gap 0.00 (no plan gains more than 75.00)
    alternatives: no campaign 0.00, only mail 75.00
    """
    offers = plan.offers
    lines = [
        f"offer {name} ({channel}): {int(contacts):,} contacts, expected cost {cost:,.2f}, "
        f"value kept {kept:,.2f}, ROI {roi:.0%}"
        for name, channel, contacts, cost, kept, roi in zip(
            offers.offer, offers.channel, offers.contacts, offers.expected_cost,
            offers.value_kept, offers.roi, strict=True,
        )
    ]  # fmt: skip
    lines.append(
        f"total expected cost {plan.cost:,.2f} of the budget {_money(plan.budget)}; value kept "
        f"{plan.value_kept:,.2f}; net gain {plan.net_gain:,.2f}"
    )
    lines.append(
        f"plan: {plan.chosen} (method {plan.method}); certified gap "
        f"{plan.upper_bound - plan.net_gain:,.2f} (no plan gains more than "
        f"{plan.upper_bound:,.2f})"
    )
    lines.append(
        "alternatives: "
        + ", ".join(f"{key} {value:,.2f}" for key, value in plan.alternatives.items())
    )
    return lines


def campaign(args: argparse.Namespace, written: list[str] | None = None) -> None:
    """Run ``relmark campaign``: score the customers, plan the offers, write the target list."""
    written = [] if written is None else written
    inputs = [("the purchases", args.transactions), ("the offers", args.offers)]
    if args.past_campaign is not None:
        inputs.append(("the past campaign", args.past_campaign))
    outputs = [("--out", args.out, "the target list")]
    if args.summary_out is not None:
        outputs.append(("--summary-out", args.summary_out, "the summary"))
    for option, out, what in outputs:
        for destroys, source in inputs:
            _refuse_to_overwrite_input(source, out, option=option, writing=what, destroys=destroys)
    if args.summary_out is not None:
        _refuse_one_file_twice(("--out", args.out), ("--summary-out", args.summary_out))
    offers = read_offers(args.offers, past_campaign=args.past_campaign)
    _progress(
        f"read {len(offers)} offers from {args.offers}: "
        + ", ".join(offer.name for offer, _ in offers)
    )
    summary, split = _read_customers(args)
    _, scores = _score_customers(summary, split, args)
    if scores.clv is None:
        raise ValidationError(
            f"{args.transactions}: no purchase has a positive amount in --amount-col "
            f"{args.amount_col!r}: without spend there is no remaining value to keep"
        )
    bounds = _value_and_churn_bounds(summary, scores, args.level)
    if any(measured for _, measured in offers):
        uplift = _measured_uplift(args, summary, scores)
        offers = [
            (attrs.evolve(offer, uplift=uplift) if measured else offer, measured)
            for offer, measured in offers
        ]
    segment = np.asarray(rfm_segments(rfm_scores(summary)), dtype=str)
    given_alive = _given_alive(scores.probability_alive)
    value_bounds = {key: bounds[key] * given_alive for key in ("value_lower", "value_upper")
                    if key in bounds}  # fmt: skip
    plan = plan_campaign(
        np.asarray(summary.customer_id),
        1.0 - scores.probability_alive,
        scores.clv * given_alive,
        [offer for offer, _ in offers],
        budget=args.budget,
        max_offers=args.max_offers,
        segment=segment,
        **value_bounds,
        churn_lower=bounds.get("churn_lower"),
        churn_upper=bounds.get("churn_upper"),
    )
    for line in describe_plan(plan):
        _progress(line)
    _progress(f"writing {len(plan.targets):,} contacts to {args.out}")
    write_columns(args.out, plan.targets.to_dict())
    written.append(args.out)
    if args.summary_out is not None:
        _progress(f"writing the summary of {len(plan.offers.offer)} offers to {args.summary_out}")
        write_columns(args.summary_out, plan.offers.to_dict())
        written.append(args.summary_out)
    _progress("done")


#: ``--models`` keys: the command line's short names of the candidate purchase models.
_MODEL_KEYS = {"bg": "BG/NBD", "mbg": "MBG/NBD", "pareto": "Pareto/NBD"}


def _models(text: str) -> tuple[str, ...]:
    """Read ``--models``: comma-separated keys of ``_MODEL_KEYS``, each once."""
    keys = [key.strip() for key in text.split(",")]
    unknown = [key for key in keys if key not in _MODEL_KEYS]
    if unknown or not keys or len(set(keys)) != len(keys):
        raise argparse.ArgumentTypeError(
            f"{text!r}: give one or more of {', '.join(_MODEL_KEYS)}, comma-separated, each once"
        )
    return tuple(_MODEL_KEYS[key] for key in keys)


def _delimiter(text: str) -> str:
    """Read ``--delimiter``: one character, or ``tab`` (or a backslash and t) for a tab."""
    return "\t" if text in ("\\t", "tab", "TAB") else text


def _budget(text: str) -> float:
    """Read ``--budget``: an amount >= 0, or inf for none."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value >= 0.0:  # NaN too
        raise argparse.ArgumentTypeError(f"{text!r}: give an amount >= 0 (inf for no limit)")
    return value


def _max_offers(text: str) -> int:
    """Read ``--max-offers``: a whole number >= 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number >= 0")
    return value


def _level(text: str) -> float:
    """Read ``--level``: a probability strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a level between 0 and 1, e.g. 0.9")
    return value


class _UsageError(Exception):
    """Bad command-line usage: reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (argparse prints the usage too)."""

    def error(self, message: str) -> NoReturn:
        """Raise the message for :func:`main` to print in one line."""
        raise _UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


def _add_read_options(command: argparse.ArgumentParser, *, amounts: str) -> None:
    """Add the options that read and summarise the purchases (``score``, ``campaign``)."""
    command.add_argument(
        "transactions", help="CSV file with a header line, or Parquet (.parquet, .pq)"
    )
    command.add_argument("--customer-col", required=True, help="column of customer ids")
    command.add_argument("--date-col", required=True, help="column of purchase dates")
    command.add_argument("--amount-col", help=amounts)
    command.add_argument(
        "--delimiter", type=_delimiter, help="CSV delimiter, or tab (default: sniffed)"
    )
    command.add_argument(
        "--encoding", help="CSV text encoding, e.g. cp1252 (default: by byte-order mark, UTF-8)"
    )
    command.add_argument(
        "--date-format", help="strftime format of the dates, e.g. %%d.%%m.%%Y (default ISO-8601)"
    )
    command.add_argument(
        "--returns",
        choices=("error", "net", "drop"),
        default="error",
        help="negative amounts (refunds): refuse them, net them within their purchase period, "
        "or drop them (default error)",
    )
    command.add_argument("--observation-end", help="end of observation (default: last purchase)")
    command.add_argument("--unit", default="W", help="time unit: D or W (default W)")


def _add_model_options(command: argparse.ArgumentParser, *, covariates: bool) -> None:
    """Add the options that fit, choose and score the models (``score``, ``campaign``)."""
    command.add_argument(
        "--horizon", type=float, default=52.0, help="prediction horizon in --unit (default 52)"
    )
    command.add_argument(
        "--holdout",
        type=float,
        metavar="DURATION",
        help="choose the purchase model by its forecast of the last DURATION (in --unit) "
        "before --observation-end, fitted on what comes before, then refit it on everything "
        "(default: choose by BIC on everything)",
    )
    command.add_argument(
        "--models",
        type=_models,
        default=tuple(CANDIDATES),
        metavar="LIST",
        help="purchase models to choose from, comma-separated: bg (BG/NBD), mbg (MBG/NBD), "
        "pareto (Pareto/NBD); default all three (Pareto/NBD fits slowest on large files)",
    )
    if covariates:
        command.add_argument(
            "--covariates",
            metavar="FILE",
            help="CSV or Parquet table of each customer's covariates, one row per customer: "
            "every model is fitted with them in every process, and the report gives each one's "
            "multiplier (every customer scored must be in it)",
        )
        command.add_argument(
            "--covariates-id",
            metavar="COL",
            help="column of customer ids in --covariates (default: --customer-col)",
        )
        command.add_argument(
            "--covariate",
            action="append",
            metavar="NAME",
            help="a column of --covariates to use, repeated for several (default: all but the "
            "ids); numbers are used as they are, true/false as 1/0, text as one 0/1 column per "
            "level but the first",
        )
    command.add_argument(
        "--discount-rate", type=float, default=0.0, help="CLV discount rate per --unit (default 0)"
    )
    command.add_argument("--margin", type=float, default=1.0, help="CLV margin share (default 1)")


_CAMPAIGN = """\
Score the customers of a CSV or Parquet file of purchases as `relmark score`
does (the same model choice, by BIC or --holdout), then allocate retention
offers to them for the largest expected net gain within --budget
(relmark.plan_campaign), and write the target list: one row per contact,
best first, with its expected gain and its bounds, cost, churn, value,
segment and reason.

Per customer: churn = 1 - P(alive) of the chosen model; remaining value =
what the customer is worth if they stay, the CLV over --horizon
(--discount-rate, --margin) given alive (CLV / P(alive)); their --level
intervals by the delta method (relmark.prediction_intervals); the named RFM
segment.

OFFERS.json is a list of offers, each an object with the keys
  "name"          unique name (required)
  "channel"       email, social, phone, web, store, ... (required)
  "contact_cost"  cost of one contact, >= 0 (required)
  "offer_cost"    the incentive, paid by every contacted customer who stays
  "save_rate"     share of would-be churners a contact keeps, in [0, 1], or
  "uplift"        incremental retention per contact, in [-1, 1], or
                  "measured": measured per customer on --past-campaign
  "segments"      RFM segment names the offer may go to (default all)
  "capacity"      most customers the offer can be sent to
and exactly one of "save_rate" and "uplift", for example
  [{"name": "mail", "channel": "email", "contact_cost": 0.5, "save_rate": 0.1},
   {"name": "call", "channel": "phone", "contact_cost": 8, "offer_cost": 5,
    "uplift": "measured", "segments": ["At risk", "Can't lose them"],
    "capacity": 200}]

A past campaign with a randomised control group (--past-campaign: one row
per customer, a treated and an outcome flag, true/false or 1/0) gives a
measured uplift (relmark.measure_uplift, two-model logistic fits on each
customer's frequency, recency, T and P(alive) at --observation-end),
predicted for every customer.

The report on standard error gives the model chosen and why, and per offer
its contacts, expected cost, value kept and ROI, the total cost against the
budget, and the certified gap: no plan gains more than the plan's net gain
plus the gap.
"""


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="relmark", description="Relationship-marketing models from the command line."
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("demo", help="run the full pipeline on the embedded CDNOW sample")
    scoring = commands.add_parser(
        "score",
        help="fit the models to a file of purchases and write per-customer scores",
        description="Fit BG/NBD, MBG/NBD and Pareto/NBD (and Gamma-Gamma when amounts are "
        "given) to a CSV or Parquet file of purchases, choose the purchase model by BIC (or, "
        "with --holdout, by its forecast of a holdout period) and write one scored row per "
        "customer with it, as CSV or Parquet (by the extension of --out). Dates are ISO-8601 "
        "unless --date-format says otherwise.",
    )
    _add_read_options(scoring, amounts="column of purchase amounts (optional)")
    _add_model_options(scoring, covariates=True)
    scoring.add_argument(
        "--out",
        required=True,
        help="output file: Parquet for .parquet/.pq, CSV otherwise; - for CSV on standard output",
    )
    planning = commands.add_parser(
        "campaign",
        help="score a file of purchases and plan retention offers under a budget",
        description=_CAMPAIGN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_read_options(
        planning, amounts="column of purchase amounts (required: the value kept is the CLV)"
    )
    _add_model_options(planning, covariates=False)
    planning.add_argument(
        "--offers", required=True, metavar="OFFERS.json", help="the offers: a JSON list (above)"
    )
    planning.add_argument(
        "--budget",
        required=True,
        type=_budget,
        help="most total expected cost of the campaign (inf for no limit)",
    )
    planning.add_argument(
        "--max-offers",
        type=_max_offers,
        default=1,
        metavar="N",
        help="most offers per customer (default 1)",
    )
    planning.add_argument(
        "--level",
        type=_level,
        default=0.9,
        help="level of the value and churn intervals, and of a measured uplift (default 0.9)",
    )
    planning.add_argument(
        "--past-campaign",
        metavar="FILE",
        help="CSV or Parquet file of a past campaign with a randomised control group, one row "
        'per customer, for the offers with "uplift": "measured" (each must be a customer of '
        "the purchases)",
    )
    planning.add_argument(
        "--past-id-col",
        metavar="COL",
        help="column of customer ids in --past-campaign (default: --customer-col)",
    )
    planning.add_argument(
        "--treated-col",
        metavar="COL",
        help="column of --past-campaign: contacted (true/1) or in the control group "
        "(false/0); default treated",
    )
    planning.add_argument(
        "--outcome-col",
        metavar="COL",
        help="column of --past-campaign: retained after it (true/1) or not (false/0); "
        "default outcome",
    )
    planning.add_argument(
        "--out",
        required=True,
        metavar="TARGETS",
        help="the target list: Parquet for .parquet/.pq, CSV otherwise; - for CSV on standard "
        "output",
    )
    planning.add_argument(
        "--summary-out",
        metavar="SUMMARY",
        help="the per-offer summary (contacts, expected cost, value kept, net gain, ROI): "
        "Parquet for .parquet/.pq, CSV otherwise; - for standard output",
    )
    return parser


def _check_covariate_options(args: argparse.Namespace) -> None:
    """Refuse the options that choose covariates without a file to choose them from."""
    given = [option for option, value in (("--covariates-id", args.covariates_id),
             ("--covariate", args.covariate)) if value is not None]  # fmt: skip
    if given and args.covariates is None:
        raise _UsageError(
            f"relmark score: error: {' and '.join(given)} choose columns of --covariates FILE: "
            "give the file (see relmark score --help)"
        )


def _check_campaign_options(args: argparse.Namespace) -> None:
    """Refuse a campaign without amounts, and past-campaign columns without its file."""
    see = "(see relmark campaign --help)"
    if args.amount_col is None:
        raise _UsageError(
            "relmark campaign: error: --amount-col is required: the value a campaign keeps is "
            f"each customer's CLV, which needs the purchase amounts {see}"
        )
    given = [option for option, value in (("--past-id-col", args.past_id_col),
             ("--treated-col", args.treated_col), ("--outcome-col", args.outcome_col))
             if value is not None]  # fmt: skip
    if given and args.past_campaign is None:
        raise _UsageError(
            f"relmark campaign: error: {' and '.join(given)} choose columns of --past-campaign "
            f"FILE: give the file {see}"
        )
    if (args.treated_col or "treated") == (args.outcome_col or "outcome"):
        raise _UsageError(
            "relmark campaign: error: --treated-col and --outcome-col must be different "
            f"columns {see}"
        )


def _run(
    command: str,
    run: Callable[[argparse.Namespace, list[str]], None],
    args: argparse.Namespace,
    outputs: Sequence[str],
) -> int:
    """Run a command; every failure is one line on standard error, never a traceback."""
    written: list[str] = []
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # the report says what matters, not numpy
            run(args, written)
    except KeyboardInterrupt:
        print(f"relmark {command}: interrupted; {_left_behind(outputs, written)}",
              file=sys.stderr)  # fmt: skip
        return 130
    except BrokenPipeError:
        # the reader of standard output went away (``| head``): say so once, and keep
        # Python from complaining again when it flushes standard output at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(f"relmark {command}: error: the output pipe closed before all rows were written",
              file=sys.stderr)  # fmt: skip
        return 2
    except (RelmarkError, OSError) as error:
        print(f"relmark {command}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except Exception as error:  # a bug: still one line, naming it for the report
        print(
            f"relmark {command}: error: unexpected {type(error).__name__}: {_one_line(error)} "
            "(please report this)",
            file=sys.stderr,
        )
        return 2
    return 0


def _run_score(args: argparse.Namespace) -> int:
    """Run ``score``; every failure is one line on standard error, never a traceback."""
    return _run("score", score, args, [args.out])


def _run_campaign(args: argparse.Namespace) -> int:
    """Run ``campaign``; every failure is one line on standard error, never a traceback."""
    outputs = [args.out] if args.summary_out is None else [args.out, args.summary_out]
    return _run("campaign", campaign, args, outputs)


def _one_line(error: BaseException) -> str:
    """Return an error's message on one line (the command line is a client: its own helper)."""
    return " ".join(str(error).split()) or type(error).__name__


def _left_behind(outputs: Sequence[str], written: Sequence[str] = ()) -> str:
    """Say what an interrupted run left: a regular file is replaced whole or not at all.

    The outputs are written one after the other: those in ``written`` are
    complete, the next one was being written (a regular file is then left
    as it was), and the rest were not touched.
    """
    done = [out for out in outputs if out in written]
    said = [f"{'standard output' if out == '-' else out} was written in full" for out in done]
    rest = [out for out in outputs if out not in written]
    if rest:
        out = rest[0]
        streamed = out == "-" or out.startswith(("/dev/", "/proc/"))  # written where it stands
        if streamed or (os.path.exists(out) and not os.path.isfile(out)):
            said.append(f"the output to {out} may be incomplete")
        else:
            said.append("nothing else was written" if done else "nothing was written")
    return "; ".join(said)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 on bad usage or input (one line on standard error),
        130 when interrupted.

    Examples
    --------
    >>> from relmark.__main__ import main
    >>> main(["--version"])
    relmark ...
    0
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "score":
            _check_covariate_options(args)
        if args.command == "campaign":
            _check_campaign_options(args)
    except _UsageError as error:
        print(error, file=sys.stderr)
        return 2
    if args.version:
        print(f"relmark {__version__}")
        return 0
    if args.command == "demo":
        sys.stdout.write(demo())
        return 0
    if args.command == "score":
        return _run_score(args)
    if args.command == "campaign":
        return _run_campaign(args)
    parser.print_help()
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
