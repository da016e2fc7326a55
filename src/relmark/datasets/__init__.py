"""Embedded sample data and a seeded simulator of transaction logs.

- :func:`load_cdnow_sample`: the classic 2,357-customer CDNOW sample
  (Fader & Hardie), 6,919 purchases from 1997-01-01 to 1998-06-30.
- :func:`cdnow_sample_summary`: its customer summary in weeks over the
  39-week calibration period used by the published model fits.
- :func:`simulate_transactions`: a transaction log of any size drawn from
  BG/NBD purchasing with Gamma-Gamma spend, for demos, tests and benchmarks.
- :func:`simulate_touchpoints`: a multichannel customer base (purchases and
  front- and back-office touchpoints, acquisition channels, segments, costs
  to serve) with its truth; :func:`simulate_campaign`: a randomised retention
  campaign on it with a control group and a known per-customer uplift.
"""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np

from relmark._validation import (
    MAX_SIMULATED_CUSTOMERS,
    as_count,
    as_instance,
    as_positive,
    as_rng,
    readonly,
)
from relmark.data.summary import CustomerSummary
from relmark.data.transactions import TransactionLog
from relmark.datasets.simulate import (
    ACQUISITION_CHANNELS,
    SEGMENTS,
    CampaignOutcome,
    SimulatedBase,
    simulate_campaign,
    simulate_touchpoints,
)
from relmark.exceptions import ValidationError
from relmark.models import BetaGeo, GammaGamma
from relmark.models._base import ContinuousPurchaseModel

__all__ = [
    "ACQUISITION_CHANNELS",
    "CDNOW_CALIBRATION_END",
    "CDNOW_OBSERVATION_END",
    "SEGMENTS",
    "CampaignOutcome",
    "SimulatedBase",
    "cdnow_sample_summary",
    "load_cdnow_sample",
    "simulate_campaign",
    "simulate_touchpoints",
    "simulate_transactions",
]

#: End of the 39-week calibration period of the CDNOW studies (inclusive).
CDNOW_CALIBRATION_END = "1997-09-30"
#: End of the CDNOW observation period (78 weeks after 1997-01-01, inclusive).
CDNOW_OBSERVATION_END = "1998-06-30"
#: The simulator's default purchase process: the CDNOW estimates, time in days.
_CDNOW_DAYS = BetaGeo(r=0.243, alpha=30.9, a=0.793, b=2.426)
#: The simulator's default spend per purchase: the CDNOW estimates.
_CDNOW_SPEND = GammaGamma(p=6.25, q=3.74, gamma=15.44)


def load_cdnow_sample() -> TransactionLog:
    """Load the 2,357-customer CDNOW sample as a :class:`~relmark.TransactionLog`.

    Customers first bought at the online CD retailer CDNOW in the first
    quarter of 1997 and were followed until the end of June 1998.  Customer
    ids are the sample's 1..2357 indices; amounts are in US dollars.  The data
    were published by Fader and Hardie and redistributed by the MIT-licensed
    ``lifetimes`` package.

    Returns
    -------
    TransactionLog
        6,919 purchases with calendar timestamps (days).

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting Your
    Customers" the Easy Way: An Alternative to the Pareto/NBD Model.
    Marketing Science, 24(2), 275-284.

    Examples
    --------
    >>> import relmark
    >>> log = relmark.datasets.load_cdnow_sample()
    >>> len(log), len(set(log.customer_id.tolist()))
    (6919, 2357)
    """
    path = resources.files("relmark.datasets").joinpath("cdnow_sample.csv.gz")
    with path.open("rb") as handle, gzip.open(handle, "rt") as text:
        table = np.loadtxt(text, delimiter=",", skiprows=1, dtype=str)
    return TransactionLog.from_arrays(
        customer_id=table[:, 0].astype(np.int64),
        timestamp=table[:, 1].astype("datetime64[D]"),
        amount=table[:, 3].astype(np.float64),
    )


def cdnow_sample_summary() -> CustomerSummary:
    """Return the CDNOW sample's calibration summary in weeks.

    Purchases up to :data:`CDNOW_CALIBRATION_END` (39 weeks), same-day
    purchases merged, times in weeks (days / 7): the data behind the
    published BG/NBD, Pareto/NBD and Gamma-Gamma fits.

    Returns
    -------
    CustomerSummary
        2,357 rows with ``monetary_value``.

    Examples
    --------
    >>> import relmark
    >>> summary = relmark.datasets.cdnow_sample_summary()
    >>> len(summary), int(summary.frequency.sum()), summary.unit
    (2357, 2457, 'W')
    """
    return load_cdnow_sample().summarize(CDNOW_CALIBRATION_END, unit="W")


def simulate_transactions(
    n_customers: int,
    *,
    days: float = 546.0,
    acquisition_days: float = 84.0,
    purchases: ContinuousPurchaseModel | None = None,
    spend: GammaGamma | None = None,
    start: str = "2024-01-01",
    rng: np.random.Generator | int | None = None,
) -> TransactionLog:
    """Simulate a transaction log from a purchase model and a spend model.

    Each customer makes a first purchase on a day drawn uniformly from the
    first ``acquisition_days``; the purchase model draws their repeat
    purchases until the end (:meth:`~relmark.BetaGeo.simulate_purchase_times`,
    time in days) and the spend model the value of every purchase
    (:meth:`~relmark.GammaGamma.simulate_transaction_values`).  The defaults
    are the CDNOW estimates with time in days, BG/NBD(0.243, 30.9, 0.793,
    2.426) and Gamma-Gamma(6.25, 3.74, 15.44): about 2.9 purchases per
    customer over the default 78 weeks.

    Parameters
    ----------
    n_customers : int
        Number of customers (ids ``0 .. n_customers - 1``), 1 to 10^8.
    days : float, default 546
        Length of the observation period in days.
    acquisition_days : float, default 84
        First purchases fall uniformly in ``[0, acquisition_days)``.
    purchases : BetaGeo, ModifiedBetaGeo or ParetoNBD, optional
        The purchase process, time in days.
    spend : GammaGamma, optional
        The spend per purchase.
    start : str, default "2024-01-01"
        Calendar date of day 0.
    rng : numpy.random.Generator or int or None
        Source of randomness (a seed gives a reproducible log).

    Returns
    -------
    TransactionLog
        Calendar timestamps (second resolution), sorted by customer and time;
        amounts rounded to cents.

    Raises
    ------
    TypeError
        If ``purchases`` or ``spend`` is not such a model.
    ValidationError
        For arguments out of range, more than 100,000,000 customers, or more
        than 1,000,000,000 expected purchase events (refused before any is
        drawn).

    Notes
    -----
    Vectorised: the models draw all customers' events at once, so memory is
    linear in the number of purchases.

    Examples
    --------
    >>> import relmark
    >>> log = relmark.datasets.simulate_transactions(1000, rng=7)
    >>> 2000 < len(log) < 4000
    True
    """
    n = as_count(
        "n_customers",
        n_customers,
        minimum=1,
        maximum=MAX_SIMULATED_CUSTOMERS,
        why="about 100 bytes of memory each; simulate larger logs in parts with different seeds",
    )
    length = as_positive("days", days)
    window = as_positive("acquisition_days", acquisition_days)
    if window > length:
        raise ValidationError(f"`acquisition_days` must be <= `days` ({length:g}), got {window:g}")
    purchases = (
        _CDNOW_DAYS
        if purchases is None
        else as_instance("purchases", purchases, ContinuousPurchaseModel)
    )
    spend = _CDNOW_SPEND if spend is None else as_instance("spend", spend, GammaGamma)
    gen = as_rng(rng)
    first = gen.uniform(0.0, window, n)
    buyer, after_first = purchases.simulate_purchase_times(n, length - first, rng=gen)
    when = first[buyer] + after_first
    # Spend in the order (first purchases, then repeats): keeps seeded logs stable.
    values = spend.simulate_transaction_values(np.concatenate([np.arange(n), buyer]), n, rng=gen)
    amount_drawn = np.round(values, 2)
    # Place every purchase at its row in (customer, time) order without sorting: each
    # customer's first purchase, then their repeats, already in time order.
    repeats = np.bincount(buyer, minlength=n)
    size = 1 + repeats
    start_row = np.cumsum(size) - size
    rank = np.arange(buyer.size) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    repeat_row = start_row[buyer] + 1 + rank
    total = int(size.sum())
    offset = np.empty(total)
    offset[start_row] = first
    offset[repeat_row] = when
    amount = np.empty(total)
    amount[start_row] = amount_drawn[:n]
    amount[repeat_row] = amount_drawn[n:]
    del when, values, amount_drawn
    offset *= 86400.0
    np.round(offset, out=offset)
    micros = offset.astype(np.int64)
    del offset
    micros *= 1_000_000
    micros += np.datetime64(start, "s").astype("datetime64[us]").astype(np.int64)
    return TransactionLog._trusted(  # every customer 0..n-1 has a first purchase
        customers=readonly(np.arange(n)),
        customer_code=readonly(np.repeat(np.arange(n), size)),
        timestamp=readonly(micros.view("datetime64[us]")),
        amount=readonly(amount),
    )
