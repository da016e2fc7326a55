"""Embedded sample data and a seeded simulator of transaction logs.

- :func:`load_cdnow_sample`: the classic 2,357-customer CDNOW sample
  (Fader & Hardie), 6,919 purchases from 1997-01-01 to 1998-06-30.
- :func:`cdnow_sample_summary`: its customer summary in weeks over the
  39-week calibration period used by the published model fits.
- :func:`simulate_transactions`: a transaction log of any size drawn from
  BG/NBD purchasing with Gamma-Gamma spend, for demos, tests and benchmarks.
"""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np

from relmark._validation import (
    MAX_SIMULATED_CUSTOMERS,
    FloatArray,
    IntArray,
    as_count,
    as_positive,
    as_rng,
    check_size,
    readonly,
)
from relmark.data.summary import CustomerSummary
from relmark.data.transactions import TransactionLog
from relmark.exceptions import ValidationError

__all__ = [
    "CDNOW_CALIBRATION_END",
    "CDNOW_OBSERVATION_END",
    "cdnow_sample_summary",
    "load_cdnow_sample",
    "simulate_transactions",
]

#: End of the 39-week calibration period of the CDNOW studies (inclusive).
CDNOW_CALIBRATION_END = "1997-09-30"
#: End of the CDNOW observation period (78 weeks after 1997-01-01, inclusive).
CDNOW_OBSERVATION_END = "1998-06-30"
#: Most purchase events it expects to draw in one call (about 50 bytes each while building).
MAX_SIMULATED_EVENTS = 1_000_000_000


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
    r: float = 0.243,
    alpha: float = 30.9,
    a: float = 0.793,
    b: float = 2.426,
    p: float = 6.25,
    q: float = 3.74,
    gamma: float = 15.44,
    start: str = "2024-01-01",
    rng: np.random.Generator | int | None = None,
) -> TransactionLog:
    """Simulate a transaction log: BG/NBD purchasing, Gamma-Gamma spend.

    Each customer makes a first purchase on a day drawn uniformly from the
    first ``acquisition_days``, then repeat purchases as a Poisson process
    with rate ``lambda ~ Gamma(r, alpha)`` (per day) until, after any repeat
    purchase, they drop out with probability ``p_drop ~ Beta(a, b)``.  Each
    purchase's value is ``Gamma(p, nu)`` with ``nu ~ Gamma(q, gamma)`` per
    customer.  The defaults are the CDNOW estimates with time in days, so
    about 2.9 purchases per customer over the default 78 weeks.

    Parameters
    ----------
    n_customers : int
        Number of customers (ids ``0 .. n_customers - 1``).
    days : float, default 546
        Length of the observation period in days.
    acquisition_days : float, default 84
        First purchases fall uniformly in ``[0, acquisition_days)``.
    r, alpha, a, b : float
        BG/NBD parameters, time in days.
    p, q, gamma : float
        Gamma-Gamma spend parameters.
    start : str, default "2024-01-01"
        Calendar date of day 0.
    rng : numpy.random.Generator or int or None
        Source of randomness (a seed gives a reproducible log).

    Returns
    -------
    TransactionLog
        Calendar timestamps (second resolution), sorted by customer and time.

    Raises
    ------
    ValidationError
        For parameters out of range, more than 100,000,000 customers, or
        more than 1,000,000,000 expected purchase events (``n_customers x
        days x r / alpha``, refused before any event is drawn).

    Notes
    -----
    Vectorised: the number of Poisson events in each customer's window is
    drawn at once, their times as sorted uniforms, and the dropout as a
    geometric number of repeat purchases, so memory is linear in the number
    of purchases.

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
    for name, value in {"r": r, "alpha": alpha, "a": a, "b": b, "p": p, "q": q}.items():
        as_positive(name, value)
    as_positive("gamma", gamma)
    gen = as_rng(rng)
    first = gen.uniform(0.0, window, n)
    rate = gen.gamma(r, 1.0 / alpha, n)
    drop = gen.beta(a, b, n)
    horizon = length - first
    with np.errstate(over="ignore"):  # an infinite expectation is refused just below
        expected = rate * horizon
        total = float(expected.sum())
    check_size(
        "the expected purchase events",
        total,
        MAX_SIMULATED_EVENTS,
        unit="events",
        why="about 50 bytes of memory each; use fewer customers, fewer `days` or a lower rate",
    )
    events = gen.poisson(expected)
    alive_for = gen.geometric(drop)  # repeat purchases until (and including) dropout
    repeats = np.minimum(events, alive_for)
    # Poisson event times: uniforms in each customer's window, sorted per customer; the
    # first ``repeats`` of them happen before dropout.
    owner = np.repeat(np.arange(n), events)
    fraction = _sort_within(owner, gen.uniform(0.0, 1.0, owner.size), n)
    rank = np.arange(owner.size) - np.repeat(np.cumsum(events) - events, events)
    keep = rank < np.repeat(repeats, events)
    del rank
    buyer = owner[keep]
    when = first[buyer] + fraction[keep] * horizon[buyer]
    del owner, fraction
    # Spend is drawn in the order (first purchases, then repeats): keeps seeded logs stable.
    scale = 1.0 / gen.gamma(q, 1.0 / gamma, n)
    spend = np.round(gen.gamma(p, np.concatenate([scale, scale[buyer]])), 2)
    # Place every purchase at its row in (customer, time) order without sorting: each
    # customer's first purchase, then their repeats, already in time order.
    size = 1 + repeats
    start_row = np.cumsum(size) - size
    repeat_row = (
        np.repeat(start_row + 1, repeats)
        + np.flatnonzero(keep)
        - np.repeat(np.cumsum(events) - events, repeats)
    )
    total = int(size.sum())
    offset = np.empty(total)
    offset[start_row] = first
    offset[repeat_row] = when
    amount = np.empty(total)
    amount[start_row] = spend[:n]
    amount[repeat_row] = spend[n:]
    del spend, when
    offset *= 86400.0
    np.round(offset, out=offset)
    micros = offset.astype(np.int64)
    del offset
    micros *= 1_000_000
    micros += np.datetime64(start, "s").astype("datetime64[us]").astype(np.int64)
    return TransactionLog(
        customer_id=readonly(np.repeat(np.arange(n), size)),
        timestamp=readonly(micros.view("datetime64[us]")),
        amount=readonly(amount),
    )


def _sort_within(group: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Sort ``values`` within runs of equal ``group`` (``group`` sorted, values in [0, 1)).

    One ``argsort`` of an int64 key packing the group above the leading bits of
    the value: much faster than ``lexsort``.  Should two values share a key (a
    near-impossible tie on the truncated bits), fall back to ``lexsort``.
    """
    group_bits = max(int(n_groups - 1).bit_length(), 1)
    value_bits = min(63 - group_bits, 53)
    key = (values * float(2**value_bits)).astype(np.int64)
    np.minimum(key, 2**value_bits - 1, out=key)
    key |= group << value_bits
    order = np.argsort(key)
    key = key[order]
    if key.size > 1 and bool(np.any(key[1:] == key[:-1])):
        order = np.lexsort((values, group))
    del key
    return values[order]
