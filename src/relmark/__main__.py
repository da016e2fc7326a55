"""Command line: ``python -m relmark demo`` (and the ``relmark`` console script)."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import warnings
from collections.abc import Callable, Sequence
from typing import NoReturn

import numpy as np

from relmark import __version__
from relmark.comparison import ModelChoice, choose_model, holdout_split, tracking_curves
from relmark.data.summary import CustomerSummary
from relmark.data.transactions import CalibrationHoldout, TransactionLog
from relmark.datasets import (
    CDNOW_CALIBRATION_END,
    CDNOW_OBSERVATION_END,
    load_cdnow_sample,
)
from relmark.economics import customer_lifetime_value, retention_campaign, retention_lift_value
from relmark.economics.scores import Scores
from relmark.economics.scores import score as score_customers
from relmark.exceptions import ConvergenceError, RelmarkError, ValidationError
from relmark.io import read_covariates, read_transactions, write_columns
from relmark.models import (
    NBD,
    BetaGeo,
    CommonMeanSpend,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeo,
)
from relmark.models.contracts import PurchaseModel
from relmark.scoring import rfm_scores
from relmark.segmentation import gini, rfm_segments, segment_profile, value_tiers

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


def describe_economics(
    summary: CustomerSummary, purchases: PurchaseModel, clv: np.ndarray
) -> list[str]:
    """Return report lines on retention economics: a campaign and the value of loyalty."""
    churn = 1.0 - purchases.probability_alive(summary)
    plan = retention_campaign(churn, save_probability=0.15, remaining_value=clv, contact_cost=0.5)
    lift = np.atleast_1d(retention_lift_value(30.0, [0.6, 0.8], 0.1, lift=0.05))
    return [
        _rule("Retention economics"),
        f"  retention campaign (15% saved per contact, 0.50 USD a contact): contact "
        f"{plan.targets.size:,}",
        f"    of {len(summary):,} customers; cost {plan.cost:,.0f} USD, expected value kept "
        f"{plan.value_saved:,.0f} USD, ROI {plan.roi:.0%}",
        f"  +5 points of retention are worth {lift[0]:.2f} USD per customer at 60% retention",
        f"    and {lift[1]:.2f} USD at 80% (30 USD margin a period, 10% discount rate)",
    ]


def describe_retention() -> list[str]:
    """Return report lines on the sBG fit to a published cohort of subscribers."""
    # Fader & Hardie (2007), "How to project customer retention": the "regular" cohort.
    alive = np.array([1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173])
    model = ShiftedBetaGeo.fit_survival(alive[:8])
    projected = 1000 * np.asarray(model.survival(np.arange(8, 13)))
    cells = "".join(f"{v:>7.0f}" for v in projected)
    actual = "".join(f"{v:>7.0f}" for v in alive[8:])
    return [
        _rule("Contract retention: sBG on 7 years of a subscriber cohort"),
        *_parameters(model),
        f"  {'year':<22}" + "".join(f"{y:>7}" for y in range(8, 13)),
        f"  {'projected survivors':<22}{cells}",
        f"  {'actual survivors':<22}{actual}",
        f"  retention rate rises with tenure: {model.retention_rate(1.0):.0%} in year 1, "
        f"{model.retention_rate(12.0):.0%} in year 12",
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
    segment_lines, _ = describe_segments(calibration, purchases, clv)
    lines = [
        f"relmark {__version__} demo: the CDNOW sample (2,357 customers of an online CD store)",
        *describe_data(log, calibration),
        *choice_lines,
        *model_lines,
        *value_lines,
        *segment_lines,
        *describe_economics(calibration, purchases, clv),
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
) -> dict[str, np.ndarray]:
    """Fit the models and score every customer: the one place the command line does it."""
    return scored_columns(
        summary,
        horizon=args.horizon,
        discount_rate=args.discount_rate,
        margin=args.margin,
        split=split,
        candidates=args.models,
        report=_progress,
        covariates=() if summary.covariates is None else summary.covariates.names,
    )


def score(args: argparse.Namespace) -> None:
    """Run ``relmark score``: read, summarise, fit, score, and write the output file."""
    _refuse_to_overwrite_input(args.transactions, args.out)
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
    if args.covariates is not None:
        summary, split = _attach_covariates(summary, split, args)
    how = (
        "by BIC" if split is None else f"by their forecast of the last {args.holdout:g} {args.unit}"
    )
    _progress(
        f"read {len(log):,} rows: {len(summary):,} customers; fitting the models and "
        f"choosing among {', '.join(args.models)} {how}"
    )
    columns = _score_customers(summary, split, args)
    _progress(f"writing {len(summary):,} scored customers to {args.out}")
    write_columns(args.out, columns)
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


def _refuse_to_overwrite_input(source: str, out: str) -> None:
    """Raise if ``out`` is ``source`` itself, by name, symbolic link or hard link."""
    if out == "-" or not os.path.exists(out):
        return
    if os.path.exists(source) and os.path.samefile(source, out):
        raise ValidationError(
            f"--out {out!r} is the input file {source!r}; writing the scores there would "
            "destroy the purchases: choose another file"
        )


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


class _UsageError(Exception):
    """Bad command-line usage: reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (argparse prints the usage too)."""

    def error(self, message: str) -> NoReturn:
        """Raise the message for :func:`main` to print in one line."""
        raise _UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


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
    scoring.add_argument(
        "transactions", help="CSV file with a header line, or Parquet (.parquet, .pq)"
    )
    scoring.add_argument("--customer-col", required=True, help="column of customer ids")
    scoring.add_argument("--date-col", required=True, help="column of purchase dates")
    scoring.add_argument("--amount-col", help="column of purchase amounts (optional)")
    scoring.add_argument(
        "--delimiter", type=_delimiter, help="CSV delimiter, or tab (default: sniffed)"
    )
    scoring.add_argument(
        "--encoding", help="CSV text encoding, e.g. cp1252 (default: by byte-order mark, UTF-8)"
    )
    scoring.add_argument(
        "--date-format", help="strftime format of the dates, e.g. %%d.%%m.%%Y (default ISO-8601)"
    )
    scoring.add_argument(
        "--returns",
        choices=("error", "net", "drop"),
        default="error",
        help="negative amounts (refunds): refuse them, net them within their purchase period, "
        "or drop them (default error)",
    )
    scoring.add_argument("--observation-end", help="end of observation (default: last purchase)")
    scoring.add_argument("--unit", default="W", help="time unit: D or W (default W)")
    scoring.add_argument(
        "--horizon", type=float, default=52.0, help="prediction horizon in --unit (default 52)"
    )
    scoring.add_argument(
        "--holdout",
        type=float,
        metavar="DURATION",
        help="choose the purchase model by its forecast of the last DURATION (in --unit) "
        "before --observation-end, fitted on what comes before, then refit it on everything "
        "(default: choose by BIC on everything)",
    )
    scoring.add_argument(
        "--models",
        type=_models,
        default=tuple(CANDIDATES),
        metavar="LIST",
        help="purchase models to choose from, comma-separated: bg (BG/NBD), mbg (MBG/NBD), "
        "pareto (Pareto/NBD); default all three (Pareto/NBD fits slowest on large files)",
    )
    scoring.add_argument(
        "--covariates",
        metavar="FILE",
        help="CSV or Parquet table of each customer's covariates, one row per customer: every "
        "model is fitted with them in every process, and the report gives each one's "
        "multiplier (every customer scored must be in it)",
    )
    scoring.add_argument(
        "--covariates-id",
        metavar="COL",
        help="column of customer ids in --covariates (default: --customer-col)",
    )
    scoring.add_argument(
        "--covariate",
        action="append",
        metavar="NAME",
        help="a column of --covariates to use, repeated for several (default: all but the ids); "
        "numbers are used as they are, true/false as 1/0, text as one 0/1 column per level "
        "but the first",
    )
    scoring.add_argument(
        "--discount-rate", type=float, default=0.0, help="CLV discount rate per --unit (default 0)"
    )
    scoring.add_argument("--margin", type=float, default=1.0, help="CLV margin share (default 1)")
    scoring.add_argument(
        "--out",
        required=True,
        help="output file: Parquet for .parquet/.pq, CSV otherwise; - for CSV on standard output",
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


def _run_score(args: argparse.Namespace) -> int:
    """Run ``score``; every failure is one line on standard error, never a traceback."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # the report says what matters, not numpy
            score(args)
    except KeyboardInterrupt:
        print(f"relmark score: interrupted; {_left_behind(args.out)}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of standard output went away (``| head``): say so once, and keep
        # Python from complaining again when it flushes standard output at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("relmark score: error: the output pipe closed before all rows were written",
              file=sys.stderr)  # fmt: skip
        return 2
    except (RelmarkError, OSError) as error:
        print(f"relmark score: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except Exception as error:  # a bug: still one line, naming it for the report
        print(
            f"relmark score: error: unexpected {type(error).__name__}: {_one_line(error)} "
            "(please report this)",
            file=sys.stderr,
        )
        return 2
    return 0


def _left_behind(out: str) -> str:
    """Say what an interrupted run left: a regular file is replaced whole or not at all."""
    streamed = out == "-" or out.startswith(("/dev/", "/proc/"))  # written where it stands
    if streamed or (os.path.exists(out) and not os.path.isfile(out)):
        return f"the output to {out} may be incomplete"
    return "nothing was written"


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


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
    parser.print_help()
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
