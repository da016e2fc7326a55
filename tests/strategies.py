"""Shared Hypothesis strategies for the property tests.

Every strategy here generates valid input only, so a property test never has
to skip or ``return`` on an example: customer summaries obey the rules of
:class:`relmark.CustomerSummary` (whole ``frequency >= 0``,
``0 <= recency <= T``, ``recency == 0`` where ``frequency == 0``), discrete
histories obey those of BG/BB (whole numbers, ``frequency <= recency <= n``),
survivor counts never increase.  Bad input has its own strategies at the end
(``bad_numbers``, ``invalid_parameters``).

The examples are drawn by the derandomised "ci" profile of ``conftest.py``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import relmark
from relmark import CustomerSummary, TransactionLog

__all__ = [
    "MODEL_PARAMETERS",
    "amounts",
    "bad_numbers",
    "customer_histories",
    "customer_summaries",
    "discrete_histories",
    "discrete_summaries",
    "horizons",
    "invalid_parameters",
    "log_uniform",
    "model_parameters",
    "models",
    "probabilities",
    "survivor_counts",
    "transaction_logs",
    "transaction_rows",
]

#: The parameters of each model, in the order of its constructor and ``params``.
MODEL_PARAMETERS: dict[type, tuple[str, ...]] = {
    relmark.BetaGeo: ("r", "alpha", "a", "b"),
    relmark.ModifiedBetaGeo: ("r", "alpha", "a", "b"),
    relmark.ParetoNBD: ("r", "alpha", "s", "beta"),
    relmark.BetaGeoBetaBinom: ("alpha", "beta", "gamma", "delta"),
    relmark.GammaGamma: ("p", "q", "gamma"),
    relmark.ShiftedBetaGeo: ("alpha", "beta"),
}


# -- numbers -------------------------------------------------------------------------------


def log_uniform(low: float = 1e-3, high: float = 1e3) -> st.SearchStrategy[float]:
    """Positive floats in ``[low, high]``, spread evenly over the orders of magnitude.

    Drawn as ``exp(z)`` with ``z`` in ``[log(low), log(high)]`` (clipped back
    into the interval against rounding), so 0.001-0.01 is as likely as
    100-1000; shrinks towards 1 when the interval holds 1.
    """
    if not 0.0 < low < high:
        raise ValueError(f"log_uniform needs 0 < low < high, got {low}, {high}")
    return st.floats(math.log(low), math.log(high)).map(lambda z: min(max(math.exp(z), low), high))


def horizons(
    max_value: float = 1e4, *, whole: bool = False, positive: bool = False
) -> st.SearchStrategy[Any]:
    """Prediction horizons ``t`` in ``[0, max_value]`` (``(0, ...]`` when ``positive``).

    ``whole`` gives ints (discrete-time models: BG/BB, sBG periods), else floats.
    """
    if whole:
        return st.integers(1 if positive else 0, int(max_value))
    if positive:
        return st.floats(0.0, max_value, exclude_min=True)
    return st.floats(0.0, max_value)


def probabilities(size: int | st.SearchStrategy[int]) -> st.SearchStrategy[np.ndarray]:
    """Float arrays of probabilities in ``[0, 1]`` (``size`` a length or a strategy of one)."""
    return hnp.arrays(np.float64, size, elements=st.floats(0.0, 1.0))


def amounts(
    size: int | st.SearchStrategy[int], max_value: float = 1e4
) -> st.SearchStrategy[np.ndarray]:
    """Float arrays of money amounts (spend, points, value) in ``[0, max_value]``."""
    return hnp.arrays(np.float64, size, elements=st.floats(0.0, max_value))


# -- model parameters ----------------------------------------------------------------------


def model_parameters(
    model: type, low: float = 1e-3, high: float = 1e3
) -> st.SearchStrategy[dict[str, float]]:
    """Keyword arguments of ``model``, each log-uniform in ``[low, high]``.

    ``model`` is one of the classes in :data:`MODEL_PARAMETERS`, e.g.
    ``model_parameters(relmark.BetaGeo)`` -> ``{"r": ..., "alpha": ..., "a": ..., "b": ...}``.
    """
    return st.fixed_dictionaries({name: log_uniform(low, high) for name in MODEL_PARAMETERS[model]})


def models(model: type, low: float = 1e-3, high: float = 1e3) -> st.SearchStrategy[Any]:
    """Instances of ``model`` with parameters from :func:`model_parameters`."""
    return model_parameters(model, low, high).map(lambda params: model(**params))


# -- customer summaries (continuous time) --------------------------------------------------


@st.composite
def customer_histories(
    draw: st.DrawFn,
    *,
    max_frequency: int = 10_000,
    min_T: float = 1e-3,
    max_T: float = 1e4,
) -> tuple[float, float, float]:
    """One customer's ``(frequency, recency, T)``: a valid row of a summary.

    ``recency = share * T`` for a repeat buyer (``share`` in [0, 1], so never
    above ``T``), ``0`` for a one-time buyer.
    """
    frequency = draw(st.integers(0, max_frequency))
    T = draw(st.floats(min_T, max_T))
    share = draw(st.floats(0.0, 1.0))
    return float(frequency), share * T if frequency > 0 else 0.0, T


@st.composite
def customer_summaries(
    draw: st.DrawFn,
    *,
    min_size: int = 1,
    max_size: int = 30,
    max_frequency: int = 50,
    min_T: float = 1e-3,
    max_T: float = 1e4,
    monetary: bool = False,
    weighted: bool = False,
    unit: str | None = None,
) -> CustomerSummary:
    """Valid :class:`relmark.CustomerSummary` objects of ``min_size..max_size`` rows.

    ``monetary`` adds a mean spend in [0.01, 1e4] for repeat buyers (0 for
    one-time buyers), ``weighted`` positive weights in [0.1, 100].
    """
    rows = draw(
        st.lists(
            customer_histories(max_frequency=max_frequency, min_T=min_T, max_T=max_T),
            min_size=min_size,
            max_size=max_size,
        )
    )
    n = len(rows)
    frequency = np.array([row[0] for row in rows], dtype=np.float64)
    recency = np.array([row[1] for row in rows], dtype=np.float64)
    T = np.array([row[2] for row in rows], dtype=np.float64)
    spend = None
    if monetary:
        drawn = draw(hnp.arrays(np.float64, n, elements=st.floats(0.01, 1e4)))
        spend = np.where(frequency > 0, drawn, 0.0)
    weights = None
    if weighted:
        weights = draw(hnp.arrays(np.float64, n, elements=st.floats(0.1, 100.0)))
    return CustomerSummary.from_arrays(
        frequency, recency, T, monetary_value=spend, weights=weights, unit=unit
    )


# -- discrete-time summaries (BG/BB) -------------------------------------------------------


@st.composite
def discrete_histories(draw: st.DrawFn, *, min_n: int = 0, max_n: int = 50) -> tuple[int, int, int]:
    """One BG/BB history ``(x, t_x, n)``: whole, ``x <= t_x <= n``, ``x = 0`` iff ``t_x = 0``.

    ``n`` transaction opportunities, ``x`` repeat transactions, the last at
    opportunity ``t_x``.
    """
    n = draw(st.integers(min_n, max_n))
    t_x = draw(st.integers(0, n))
    x = draw(st.integers(1, t_x)) if t_x > 0 else 0
    return x, t_x, n


@st.composite
def discrete_summaries(
    draw: st.DrawFn,
    *,
    min_size: int = 1,
    max_size: int = 30,
    min_n: int = 0,
    max_n: int = 50,
    weighted: bool = False,
) -> CustomerSummary:
    """Valid discrete-time summaries (rows of :func:`discrete_histories`) for BG/BB."""
    rows = draw(
        st.lists(discrete_histories(min_n=min_n, max_n=max_n), min_size=min_size, max_size=max_size)
    )
    x, t_x, n = (np.array([row[k] for row in rows], dtype=np.float64) for k in range(3))
    weights = None
    if weighted:
        weights = draw(hnp.arrays(np.float64, len(rows), elements=st.floats(0.1, 100.0)))
    return CustomerSummary.from_arrays(x, t_x, n, weights=weights)


# -- contractual cohorts (sBG) -------------------------------------------------------------


@st.composite
def survivor_counts(
    draw: st.DrawFn,
    *,
    min_periods: int = 1,
    max_periods: int = 20,
    max_cohort: int = 10_000,
    min_count: int = 0,
    churned: bool = False,
) -> list[int]:
    """Customers still active at the start of periods 0, 1, ...: a cohort that never grows.

    ``counts[0]`` is the cohort size (>= 1, and >= ``min_count``), then
    ``min_periods..max_periods`` later counts, each between ``min_count`` and
    the one before.  ``min_count=1`` keeps every count positive (retention
    rates defined everywhere); ``churned`` makes sure someone left (the last
    count is below the first), as :meth:`ShiftedBetaGeo.fit_survival` needs.
    """
    low = max(min_count, 0)
    size = draw(st.integers(max(low + int(churned), 1), max_cohort))
    counts = [size]
    for _ in range(draw(st.integers(min_periods, max_periods))):
        counts.append(draw(st.integers(low, counts[-1])))
    if churned and counts[-1] == size:  # nobody left: the last period loses one
        counts[-1] = size - 1  # >= low, as size >= low + 1
    return counts


# -- transaction logs ----------------------------------------------------------------------


@st.composite
def transaction_rows(
    draw: st.DrawFn,
    *,
    n_customers: int = 10,
    days: int = 100,
    max_cents: int = 10_000,
    min_size: int = 1,
    max_size: int = 80,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw purchases ``(customer_id, day, amount)`` as arrays, in no particular order.

    Customers ``0..n_customers - 1`` (ints), whole days ``0..days - 1`` (floats,
    repeated days allowed so same-day purchases occur), amounts in whole
    cents ``0..max_cents`` (floats in currency units).
    """
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, n_customers - 1),
                st.integers(0, days - 1),
                st.integers(0, max_cents),
            ),
            min_size=min_size,
            max_size=max_size,
        )
    )
    ids = np.array([row[0] for row in rows], dtype=np.int64)
    day = np.array([row[1] for row in rows], dtype=np.float64)
    amount = np.array([row[2] for row in rows], dtype=np.float64) / 100
    return ids, day, amount


def transaction_logs(
    *,
    calendar: bool = False,
    start: str = "2024-01-01",
    **rows: Any,
) -> st.SearchStrategy[TransactionLog]:
    """:class:`relmark.TransactionLog` objects of :func:`transaction_rows`.

    Numeric logs in days (``unit="D"``) by default; ``calendar=True`` gives
    ``datetime64`` timestamps counted in days from ``start``.
    """

    def build(drawn: tuple[np.ndarray, np.ndarray, np.ndarray]) -> TransactionLog:
        ids, day, amount = drawn
        if calendar:
            stamps = np.datetime64(start, "D") + day.astype(np.int64)
            return TransactionLog.from_arrays(ids, stamps, amount)
        return TransactionLog.from_arrays(ids, day, amount, unit="D")

    return transaction_rows(**rows).map(build)


# -- bad input -----------------------------------------------------------------------------

#: Numbers no amount, cost, time or count may take: NaN, infinite or negative.
bad_numbers: st.SearchStrategy[float] = st.sampled_from(
    [float("nan"), float("inf"), -float("inf"), -1.0, -1e-9]
)

#: Values no positive model parameter may take: <= 0 (including -0.0 and -inf), NaN, +inf.
invalid_parameters: st.SearchStrategy[float] = st.one_of(
    st.floats(max_value=0.0), st.just(math.nan), st.just(math.inf)
)
