"""cohort_table and CohortTable: against a brute-force count, CDNOW, properties, bad input."""

from __future__ import annotations

import datetime as dt
import math
import pickle
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import relmark
from relmark import TouchpointTable, TransactionLog, ValidationError
from relmark.data.cohorts import MAX_CELLS, CohortTable, cohort_period, cohort_table
from relmark.datasets import load_cdnow_sample

START = dt.date(2023, 11, 20)  # random logs span ~14 months from here: years and quarters

# -- the brute force: plain loops over rows, independent of the implementation ----------------


def _calendar_tick(day: dt.date, period: str) -> int:
    months = (day.year - 1970) * 12 + day.month - 1
    days = (day - dt.date(1970, 1, 1)).days
    return {"D": days, "W": days // 7, "M": months, "Q": months // 3, "Y": months // 12}[period]


def _calendar_start(tick: int, period: str) -> np.datetime64:
    if period == "D":
        return np.datetime64(dt.date(1970, 1, 1) + dt.timedelta(days=tick), "us")
    if period == "W":
        return np.datetime64(dt.date(1970, 1, 1) + dt.timedelta(days=7 * tick), "us")
    months = tick * {"M": 1, "Q": 3, "Y": 12}[period]
    return np.datetime64(dt.date(1970 + months // 12, months % 12 + 1, 1), "us")


def brute_force(
    rows: list[tuple[Any, Any, float | None]],
    tick_of: Any,
    start_of: Any,
    end: Any,
    label_of: dict[Any, Any] | None,
) -> dict[tuple[Any, Any, int], dict[str, float]]:
    """The table as a dict (group, cohort start, age) -> measures, by loops over rows."""
    periods: dict[Any, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for customer, when, amount in rows:
        if when <= end:
            periods[customer][tick_of(when)].append(0.0 if amount is None else amount)
    counted: dict[Any, list[int]] = {}
    for customer, by_tick in periods.items():
        kept = [t for t, amounts in by_tick.items() if min(amounts) >= 0 or sum(amounts) > 0]
        if kept:
            counted[customer] = sorted(kept)
    end_tick = tick_of(end)
    cohorts: dict[tuple[Any, int], list[Any]] = defaultdict(list)
    for customer, ticks in counted.items():
        group = None if label_of is None else label_of[customer]
        cohorts[(group, ticks[0])].append(customer)
    table = {}
    for (group, cohort), members in cohorts.items():
        cumulative = 0.0
        for age in range(end_tick - cohort + 1):
            active = sum(1 for m in members if cohort + age in counted[m])
            revenue = 0.0
            for m in members:
                revenue += sum(periods[m].get(cohort + age, []))
            cumulative += revenue
            survivors = sum(1 for m in members if counted[m][-1] - cohort >= age)
            table[(group, start_of(cohort), age)] = {
                "acquired": len(members),
                "active": active,
                "retention": active / len(members),
                "revenue": revenue,
                "cumulative_revenue_per_customer": cumulative / len(members),
                "survivors": survivors,
            }
    return table


def as_dict(table: CohortTable) -> dict[tuple[Any, Any, int], dict[str, float]]:
    columns = table.to_dict()
    out = {}
    for i in range(len(table)):
        group = None if table.group is None else table.group[i].item()
        cohort = table.cohort[i]
        key = (group, cohort if table.period.calendar else float(cohort), int(table.age[i]))
        out[key] = {
            name: float(columns[name][i])
            for name in ("acquired", "active", "retention", "survivors")
            + (("revenue", "cumulative_revenue_per_customer") if table.revenue is not None else ())
        }
    return out


def assert_same(ours: CohortTable, expected: dict[Any, dict[str, float]]) -> None:
    got = as_dict(ours)
    assert set(got) == set(expected)
    for key, measures in got.items():
        for name, value in measures.items():
            assert math.isclose(value, expected[key][name], rel_tol=1e-9, abs_tol=1e-9), (
                key,
                name,
            )


# -- random logs ---------------------------------------------------------------------------


@st.composite
def random_logs(draw: st.DrawFn, *, refunds: bool) -> tuple[list[tuple[int, int, float]], ...]:
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, 7),
                st.integers(0, 420),
                st.integers(-3000 if refunds else 0, 10_000),
            ),
            min_size=1,
            max_size=40,
        )
    )
    return [(c, d, cents / 100) for c, d, cents in rows]


labels_strategy = st.lists(st.sampled_from(["web", "store", "rep"]), min_size=8, max_size=8)


@given(
    rows=random_logs(refunds=True),
    period=st.sampled_from(["D", "W", "M", "Q", "Y"]),
    with_amounts=st.booleans(),
    labels=st.none() | labels_strategy,
    as_mapping=st.booleans(),
    end_day=st.none() | st.integers(0, 420),
)
def test_calendar_table_equals_brute_force(
    rows: list[tuple[int, int, float]],
    period: str,
    with_amounts: bool,
    labels: list[str] | None,
    as_mapping: bool,
    end_day: int | None,
) -> None:
    days = [START + dt.timedelta(days=d) for _, d, _ in rows]
    amounts = [a for _, _, a in rows] if with_amounts else None
    if end_day is not None and START + dt.timedelta(days=end_day) < min(days):
        end_day = None
    log = TransactionLog.from_arrays(
        [c for c, _, _ in rows],
        np.array(days, dtype="datetime64[D]"),
        amounts,
        returns="net" if with_amounts else "error",
    )
    end = None if end_day is None else START + dt.timedelta(days=end_day)
    label_of = None if labels is None else dict(enumerate(labels))
    by: Any = None
    if label_of is not None:
        customers = log.customers.tolist()
        by = {c: label_of[c] for c in customers} if as_mapping else [label_of[c] for c in customers]
    expected = brute_force(
        [(c, day, None if amounts is None else amounts[i]) for i, ((c, _, _), day) in
         enumerate(zip(rows, days, strict=True))],
        lambda day: _calendar_tick(day, period),
        lambda tick: _calendar_start(tick, period),
        end if end is not None else max(days),
        label_of,
    )  # fmt: skip
    if not expected:  # refunds cancel every purchase period up to the end
        with pytest.raises(ValidationError, match="refunds cancel every one"):
            cohort_table(log, period=period, by=by, end=end)
        return
    table = cohort_table(log, period=period, by=by, end=end)
    assert_same(table, expected)
    assert (table.revenue is None) == (not with_amounts)


@given(
    rows=random_logs(refunds=False),
    width=st.sampled_from([1.0, 7.0, 10.5, 30.0]),
    labels=st.none() | labels_strategy,
    end_day=st.none() | st.integers(0, 420),
)
def test_numeric_table_equals_brute_force(
    rows: list[tuple[int, int, float]], width: float, labels: list[str] | None, end_day: int | None
) -> None:
    log = TransactionLog.from_arrays(
        [c for c, _, _ in rows], [float(d) for _, d, _ in rows], [a for _, _, a in rows], unit="D"
    )
    end = None if end_day is None or end_day < min(d for _, d, _ in rows) else float(end_day)
    label_of = None if labels is None else dict(enumerate(labels))
    by = None if label_of is None else np.array([label_of[c] for c in log.customers.tolist()])
    table = cohort_table(log, period=width, by=by, end=end)
    expected = brute_force(
        [(c, float(d), a) for c, d, a in rows],
        lambda t: math.floor(t / width),
        lambda tick: tick * width,
        end if end is not None else float(max(d for _, d, _ in rows)),
        label_of,
    )
    assert_same(table, expected)


@given(rows=random_logs(refunds=False), period=st.sampled_from(["W", "M", "Q"]))
def test_invariants(rows: list[tuple[int, int, float]], period: str) -> None:
    stamps = np.datetime64(START, "D") + np.array([d for _, d, _ in rows])
    log = TransactionLog.from_arrays([c for c, _, _ in rows], stamps, [a for _, _, a in rows])
    table = cohort_table(log, period=period)
    first = table.age == 0
    assert (table.survivors[first] == table.acquired[first]).all()
    assert (table.active[first] == table.acquired[first]).all()
    assert (table.retention[first] == 1.0).all()
    assert (table.active <= table.survivors).all()
    assert int(table.acquired[first].sum()) == log.customers.size  # every customer, once
    same_cohort = ~first[1:]
    assert (np.diff(table.survivors)[same_cohort] <= 0).all()  # non-increasing per cohort
    assert table.cumulative_revenue_per_customer is not None and table.revenue is not None
    assert (np.diff(table.cumulative_revenue_per_customer)[same_cohort] >= -1e-12).all()
    assert math.isclose(float(table.revenue.sum()), float(log.amount.sum()), rel_tol=1e-12)


# -- hand-checked examples -------------------------------------------------------------------


def small_log() -> TransactionLog:
    return TransactionLog.from_arrays(
        ["a", "a", "b", "c", "c", "a"],
        ["2024-01-05", "2024-02-10", "2024-01-20", "2024-02-01", "2024-03-03", "2024-02-11"],
        [10.0, 5.0, 8.0, 4.0, 6.0, 1.0],
    )


def test_hand_example_and_matrix_marks_unobserved_cells() -> None:
    table = cohort_table(small_log(), period="M")
    # January: a, b; a buys again in February (twice: one purchase period, 6.0).
    assert table.acquired.tolist() == [2, 2, 2, 1, 1]
    assert table.active.tolist() == [2, 1, 0, 1, 1]
    assert table.revenue is not None
    assert table.revenue.tolist() == [18.0, 6.0, 0.0, 4.0, 6.0]
    cohorts, ages, values = table.matrix("active")
    assert cohorts.astype("datetime64[M]").astype(str).tolist() == ["2024-01", "2024-02"]
    assert ages.tolist() == [0, 1, 2]
    assert values[0].tolist() == [2.0, 1.0, 0.0]  # zero activity: observed, 0
    assert values[1, :2].tolist() == [1.0, 1.0] and np.isnan(values[1, 2])  # not observed
    _, _, cumulative = table.matrix("cumulative_revenue_per_customer")
    assert cumulative[0].tolist() == [9.0, 12.0, 12.0]


def test_end_cuts_purchases_and_cells() -> None:
    table = cohort_table(small_log(), period="M", end="2024-02-10")
    assert table.cohort.astype("datetime64[M]").astype(str).tolist() == [
        "2024-01", "2024-01", "2024-02",
    ]  # fmt: skip
    assert table.revenue is not None and table.revenue.tolist() == [18.0, 5.0, 4.0]
    assert table.end == np.datetime64("2024-02-10T00:00:00", "us")


def test_refunds_count_in_revenue_not_in_activity() -> None:
    log = TransactionLog.from_arrays(
        [1, 1, 1, 2, 2],
        ["2024-01-03", "2024-02-03", "2024-02-04", "2024-01-09", "2024-03-01"],
        [20.0, 5.0, -5.0, 7.0, 3.0],
        returns="net",
    )
    table = cohort_table(log, period="M")
    assert table.active.tolist() == [2, 0, 1]  # customer 1's February nets to 0: cancelled
    assert table.revenue is not None and table.revenue.tolist() == [27.0, 0.0, 3.0]
    assert table.survivors.tolist() == [2, 1, 1]


def test_every_period_cancelled() -> None:
    log = TransactionLog.from_arrays([1, 1], ["2024-01-03", "2024-01-04"], [5.0, -5.0],
                                     returns="net")  # fmt: skip
    with pytest.raises(ValidationError, match="refunds cancel every one"):
        cohort_table(log)


def test_quarters_years_and_weeks_start_where_documented() -> None:
    log = small_log()
    assert cohort_table(log, period="Q").cohort[0] == np.datetime64("2024-01-01", "us")
    assert cohort_table(log, period="Y").age.tolist() == [0]
    weeks = cohort_table(log, period="W")
    start = weeks.cohort[0].astype("datetime64[D]")
    assert start == np.datetime64("2024-01-04") and start.item().weekday() == 3  # Thursday


def test_numeric_log_with_a_unit_takes_calendar_names() -> None:
    log = TransactionLog.from_arrays([1, 1, 2], [0.0, 8.0, 15.0], unit="D")
    weekly = cohort_table(log, period="W")
    assert weekly.cohort.tolist() == [0.0, 0.0, 0.0, 14.0]
    assert weekly.active.tolist() == [1, 1, 0, 1]
    assert cohort_period(log, "M").period == pytest.approx(30.436875)


def test_touchpoint_table_uses_its_purchases() -> None:
    table = TouchpointTable.from_arrays(
        customer_id=["ann", "ann", "bob", "bob"],
        timestamp=["2024-01-03", "2024-02-05", "2024-01-04", "2024-02-09"],
        channel=["web", "email", "store", "store"],
        kind=["purchase", "message_opened", "purchase", "purchase"],
        amount=[30.0, 0.0, 12.5, 4.0],
    )
    cohorts = cohort_table(table, by={"ann": "web", "bob": "store"})
    assert cohorts.group is not None and cohorts.group.tolist() == ["store", "store", "web", "web"]
    assert cohorts.active.tolist() == [1, 1, 1, 0]  # ann's February contact is no purchase
    assert cohorts.groups == ("store", "web")
    _, _, values = cohorts.matrix("retention", group="web")
    assert values.tolist() == [[1.0, 0.0]]


def test_tables_and_read_only_arrays() -> None:
    log = small_log()
    before = log.amount.copy() if log.amount is not None else None
    table = cohort_table(log, by=np.array(["x", "y", "x"]))
    assert log.amount is not None and before is not None and (log.amount == before).all()
    frame = table.to_pandas()
    assert list(frame.columns) == [
        "group", "cohort", "age", "acquired", "active", "retention", "revenue",
        "cumulative_revenue_per_customer", "survivors",
    ]  # fmt: skip
    assert frame["active"].tolist() == table.active.tolist()
    assert table.to_arrow().num_rows == len(table) == table.to_polars().height
    for column in table.to_dict().values():
        assert not column.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        table.active[0] = 9
    again = pickle.loads(pickle.dumps(table))
    assert again.active.tolist() == table.active.tolist() and not again.active.flags.writeable
    assert repr(table) == "CohortTable(3 cohorts, 2 groups, 8 cells, period 'M', end 2024-03-03)"


# -- CDNOW ------------------------------------------------------------------------------------


def test_cdnow_sample_january_cohort_against_pandas() -> None:
    pd = pytest.importorskip("pandas")
    log = load_cdnow_sample()
    table = cohort_table(log, period="M", end="1998-06-30")
    # independent computation: pandas periods and group-bys
    frame = pd.DataFrame({"c": log.customer_id, "t": log.timestamp, "a": log.amount})
    frame["m"] = frame["t"].dt.to_period("M")
    frame = frame.join(frame.groupby("c")["m"].min().rename("cohort"), on="c")
    january = frame[frame["cohort"] == pd.Period("1997-01", "M")]
    by_month = january.groupby("m").agg(active=("c", "nunique"), revenue=("a", "sum"))
    rows = table.cohort == np.datetime64("1997-01-01", "us")
    assert int(table.acquired[rows][0]) == january["c"].nunique() == 781
    assert table.age[rows].tolist() == list(range(18))  # 1997-01 .. 1998-06
    months = pd.period_range("1997-01", "1998-06", freq="M")
    expected = by_month.reindex(months, fill_value=0)
    assert table.active[rows].tolist() == expected["active"].tolist()
    assert table.revenue is not None
    np.testing.assert_allclose(table.revenue[rows], expected["revenue"].to_numpy(), rtol=1e-12)
    assert sorted(table.acquired[table.age == 0].tolist()) == [719, 781, 857]


@pytest.fixture(scope="module")
def cdnow_master(shared_data: Path) -> TransactionLog:
    path = shared_data / "CDNOW_master.txt"
    if not path.exists():
        pytest.skip(f"{path} not found")
    raw = np.loadtxt(path, dtype=str, skiprows=1)
    return TransactionLog.from_arrays(
        raw[:, 0].astype(np.int64), raw[:, 1].copy(), raw[:, 3].astype(np.float64),
        date_format="%Y%m%d",
    )  # fmt: skip


def test_cdnow_master_quarterly_cohorts(cdnow_master: TransactionLog) -> None:
    pd = pytest.importorskip("pandas")
    table = cohort_table(cdnow_master, period="Q")
    # every CDNOW customer first bought in 1997 Q1: one cohort, followed for six quarters
    assert table.cohort.astype("datetime64[D]").astype(str).tolist() == ["1997-01-01"] * 6
    assert table.acquired.tolist() == [23_570] * 6
    frame = pd.DataFrame({"c": cdnow_master.customer_id, "t": cdnow_master.timestamp})
    per_quarter = frame.groupby(frame["t"].dt.to_period("Q"))["c"].nunique()
    assert table.active.tolist() == per_quarter.tolist()
    assert table.active[0] == 23_570 and table.survivors[-1] == table.active[-1]
    assert (np.diff(table.survivors) <= 0).all()
    monthly = cohort_table(cdnow_master, period="M")
    first_month = frame.groupby("c")["t"].min().dt.to_period("M").value_counts().sort_index()
    assert monthly.acquired[monthly.age == 0].tolist() == first_month.tolist()
    assert first_month.tolist() == [7_846, 8_476, 7_248]  # January, February, March 1997


# -- bad input --------------------------------------------------------------------------------


def test_bad_inputs() -> None:
    log = small_log()
    with pytest.raises(ValidationError, match=r"`period` must be one of 's', .*, got 'fortnight'"):
        cohort_table(log, period="fortnight")
    with pytest.raises(ValidationError, match=r"`period` must be one of .* calendar timestamps"):
        cohort_table(log, period=7)
    with pytest.raises(TypeError, match="`period` must be a calendar unit"):
        cohort_table(log, period=None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"`end` \(2023-12-31T00:00:00\) must not be before"):
        cohort_table(log, end="2023-12-31")
    with pytest.raises(TypeError, match="`end` must be a date or datetime"):
        cohort_table(log, end=5.0)
    with pytest.raises(
        ValidationError, match=r"`by` must give a label .*\(first at index 2: 'c'\)"
    ):
        cohort_table(log, by={"a": "x", "b": "y"})
    with pytest.raises(ValidationError, match="`by` must give a label for every customer"):
        cohort_table(log, by={1: "x", 2: "y", 3: "z"})
    with pytest.raises(ValidationError, match=r"`by` must have one label per customer .* 3 of"):
        cohort_table(log, by=["x", "y"])
    with pytest.raises(ValidationError, match="`by` must not hold missing labels"):
        cohort_table(log, by=["x", None, "y"])
    with pytest.raises(TypeError, match="`by` must be an array of labels"):
        cohort_table(log, by="segment")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`source` must be a TransactionLog or a TouchpointTable"):
        cohort_table([1, 2, 3])  # type: ignore[arg-type]
    numeric = TransactionLog.from_arrays([1], [3.0])
    with pytest.raises(ValidationError, match="`period` 'M' needs a log whose numeric"):
        cohort_table(numeric)
    with pytest.raises(ValidationError, match=r"`period` must be > 0, got -2\.0"):
        cohort_table(numeric, period=-2)
    with pytest.raises(ValidationError, match="`period` must be finite"):
        cohort_table(numeric, period=float("inf"))
    table = cohort_table(log)
    with pytest.raises(ValidationError, match="`measure` must be one of"):
        table.matrix("churn")
    with pytest.raises(ValidationError, match="`group` must be None: the table has no groups"):
        table.matrix(group="x")
    grouped = cohort_table(log, by=["x", "y", "x"])
    with pytest.raises(ValidationError, match=r"`group` is required: .* 'x', 'y'"):
        grouped.matrix()
    with pytest.raises(ValidationError, match="`group` must be one of 'x', 'y', got 'z'"):
        grouped.matrix(group="z")
    no_amounts = cohort_table(TransactionLog.from_arrays([1], ["2024-01-01"]))
    with pytest.raises(ValidationError, match="`measure` 'revenue' needs amounts"):
        no_amounts.matrix("revenue")


def test_refuses_unbounded_tables() -> None:
    log = TransactionLog.from_arrays([1, 2], [0.0, 1e7], unit="s")
    with pytest.raises(ValidationError, match=f"at most {MAX_CELLS:,} are supported"):
        cohort_table(log, period=1.0)
    with pytest.raises(ValidationError, match="too narrow for timestamps"):
        cohort_table(TransactionLog.from_arrays([1], [1e300]), period=1e-10)


def test_empty_log_is_refused() -> None:
    empty = relmark.TransactionLog.from_arrays(np.array([], dtype=np.int64), np.array([], float))
    with pytest.raises(ValidationError, match="`source` has no purchases"):
        cohort_table(empty, period=1.0)


# -- the heat map -----------------------------------------------------------------------------


def test_heatmap_draws_the_matrix_and_masks_unobserved_cells() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from relmark.plotting import plot_cohort_heatmap

    table = cohort_table(small_log(), period="M", by={"a": "x", "b": "x", "c": "y"})
    ax = plot_cohort_heatmap(table, "survivors", group="x", annotate=True)
    drawn = ax.images[0].get_array()
    _, _, expected = table.matrix("survivors", group="x")
    assert drawn.shape == expected.shape == (1, 3)
    np.testing.assert_array_equal(drawn.filled(np.nan), expected)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2024-01"]
    assert ax.get_title() == "Survivors by acquisition cohort: x"
    assert ax.get_xlabel() == "periods since acquisition (M)"
    assert [t.get_text() for t in ax.texts] == ["2", "1", "0"]
    plt.close("all")

    ax = plot_cohort_heatmap(cohort_table(small_log(), period="Q"))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2024Q1"]
    plt.close("all")

    ax = plot_cohort_heatmap(cohort_table(small_log(), period="M"), annotate=True)
    drawn = ax.images[0].get_array()
    assert drawn.mask.tolist() == [[False, False, False], [False, False, True]]  # not observed
    assert drawn[0].tolist() == [1.0, 0.5, 0.0]
    assert [t.get_text() for t in ax.texts] == ["100%", "50%", "0%", "100%", "100%"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2024-01", "2024-02"]
    plt.close("all")


def test_heatmap_bad_inputs() -> None:
    pytest.importorskip("matplotlib")
    from relmark.plotting import plot_cohort_heatmap

    with pytest.raises(TypeError, match="`table` must be a CohortTable, got dict"):
        plot_cohort_heatmap({})  # type: ignore[arg-type]
    table = cohort_table(small_log())
    with pytest.raises(TypeError, match="`annotate` must be True or False"):
        plot_cohort_heatmap(table, annotate="yes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="`measure` must be one of"):
        plot_cohort_heatmap(table, "churn")
    days = np.arange(100.0)  # 100 daily cohorts: 5,050 cells
    daily = cohort_table(TransactionLog.from_arrays(days.astype(int), days, unit="D"), period=1)
    with pytest.raises(ValidationError, match="at most 2,500 cells are supported"):
        plot_cohort_heatmap(daily, annotate=True)
