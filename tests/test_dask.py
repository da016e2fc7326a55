"""relmark.dask on a real LocalCluster (2 worker processes): equal to the single-machine path."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("dask.distributed")
pd = pytest.importorskip("pandas")

import relmark  # noqa: E402
import relmark.dask as rdask  # noqa: E402
from relmark import BetaGeo, CustomerSummary, GammaGamma, TransactionLog, ValidationError  # noqa: E402
from relmark.datasets import simulate_transactions  # noqa: E402

END = "2025-06-30"
N_CUSTOMERS = 20_000


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    cluster = distributed.LocalCluster(
        processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
    )
    with distributed.Client(cluster) as connected:
        yield connected
    cluster.close()


@pytest.fixture(scope="module")
def log() -> TransactionLog:
    raw = simulate_transactions(N_CUSTOMERS, rng=11)
    assert raw.amount is not None
    # Whole amounts sum exactly in any order, so monetary values match bit for bit
    # (with cents they match to float rounding of the summation order).
    return TransactionLog.from_arrays(raw.customer_id, raw.timestamp, np.ceil(raw.amount))


@pytest.fixture(scope="module")
def purchases(log: TransactionLog) -> Any:
    shuffle = np.random.default_rng(5).permutation(len(log))
    assert log.amount is not None
    frame = pd.DataFrame(
        {
            "who": log.customer_id[shuffle],
            "when": log.timestamp[shuffle],
            "spend": log.amount[shuffle],
        }
    )
    return dd.from_pandas(frame, npartitions=6)


@pytest.fixture(scope="module")
def dsummary(client: Any, purchases: Any) -> Any:
    summary = rdask.summarize(
        purchases, customer_id="who", timestamp="when", amount="spend", observation_end=END
    )
    return summary.persist()


@pytest.fixture(scope="module")
def local(log: TransactionLog) -> CustomerSummary:
    return log.summarize(END)


def test_summary_equals_single_machine(dsummary: Any, local: CustomerSummary) -> None:
    got = dsummary.compute().sort_index()
    assert local.customer_id is not None and local.monetary_value is not None
    np.testing.assert_array_equal(got.index.to_numpy(), local.customer_id)
    for name in ("frequency", "recency", "T", "monetary_value"):
        np.testing.assert_array_equal(got[name].to_numpy(), getattr(local, name), err_msg=name)


@pytest.mark.parametrize(("unit", "period"), [("W", "D"), ("h", None), ("D", "W")])
def test_summary_units_and_periods(
    client: Any, purchases: Any, log: TransactionLog, unit: str, period: str | None
) -> None:
    summary = rdask.summarize(
        purchases[["who", "when"]],
        customer_id="who",
        timestamp="when",
        observation_end="2024-09-30",
        unit=unit,
        period=period,
    )
    got = summary.compute().sort_index()
    expected = log.summarize("2024-09-30", unit=unit, period=period)
    assert "monetary_value" not in got.columns
    np.testing.assert_array_equal(got.index.to_numpy(), expected.customer_id)
    for name in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(got[name].to_numpy(), getattr(expected, name))


def test_numeric_timestamps(client: Any) -> None:
    frame = pd.DataFrame({"c": ["b", "a", "a", "b", "a", "c"], "t": [0.5, 1.0, 3.0, 0.5, 4.5, 7.0]})
    summary = rdask.summarize(
        dd.from_pandas(frame, npartitions=3),
        customer_id="c",
        timestamp="t",
        observation_end=8.0,
        unit="W",
        period=2.0,
    )
    got = summary.compute().sort_index()
    expected = TransactionLog.from_arrays(frame["c"], frame["t"], unit="W").summarize(
        8.0, period=2.0
    )
    np.testing.assert_array_equal(got.index.to_numpy(), expected.customer_id)
    for name in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(got[name].to_numpy(), getattr(expected, name))


@pytest.mark.parametrize("monetary", [False, True])
def test_compress_equals_single_machine(
    dsummary: Any, local: CustomerSummary, monetary: bool
) -> None:
    got = rdask.compress(dsummary, monetary=monetary, unit="D")
    expected = local.compress(monetary=monetary)
    assert len(got) < len(local) and got.n_customers == N_CUSTOMERS
    assert got.unit == "D"
    for name in ("frequency", "recency", "T", "weights"):
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), err_msg=name)
    if monetary:
        assert got.monetary_value is not None and expected.monetary_value is not None
        np.testing.assert_array_equal(got.monetary_value, expected.monetary_value)
    else:
        assert got.monetary_value is None


def test_fit_gamma_gamma_equals_single_machine(dsummary: Any, local: CustomerSummary) -> None:
    ours = rdask.fit(GammaGamma, dsummary)
    single = GammaGamma.fit(local.compress(monetary=True))
    for name, value in single.params.items():
        assert ours.params[name] == pytest.approx(value, rel=1e-8), name


def test_fit_beta_geo_equals_single_machine(dsummary: Any, local: CustomerSummary) -> None:
    beta_geo = pytest.importorskip("relmark.models.beta_geo")
    ours_bg = rdask.fit(beta_geo.BetaGeo, dsummary)
    single_bg = beta_geo.BetaGeo.fit(local)
    for name, value in single_bg.params.items():
        assert ours_bg.params[name] == pytest.approx(value, rel=1e-8), name


def test_score_equals_single_machine_and_writes_parquet(
    dsummary: Any, local: CustomerSummary, tmp_path: Path
) -> None:
    beta_geo = pytest.importorskip("relmark.models.beta_geo")
    model = beta_geo.BetaGeo(r=0.243, alpha=30.9, a=0.793, b=2.426)
    spend = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    scores = rdask.score(dsummary, model, spend_model=spend, horizon=90.0)
    scores.to_parquet(tmp_path / "scores")
    got = pd.read_parquet(tmp_path / "scores").sort_index()
    assert local.customer_id is not None
    np.testing.assert_array_equal(got.index.to_numpy(), local.customer_id)
    # equal to the one scoring function on the whole summary, to rounding (a model may pick
    # its series or quadrature by batch size)
    whole = relmark.score(local, model, spend, horizon=90.0, discount_rate=0.01, margin=0.3)
    scores = rdask.score(
        dsummary, model, spend_model=spend, horizon=90.0, discount_rate=0.01, margin=0.3
    )
    got = scores.compute().sort_index()
    assert list(got.columns) == ["probability_alive", "expected_purchases", "expected_spend", "clv"]
    for name, column in whole.to_dict().items():
        if name != "customer_id":
            np.testing.assert_allclose(got[name], column, rtol=1e-12)
    with pytest.raises(
        TypeError, match=r"^`purchase_model` must be a fitted model, got the class BetaGeo"
    ):
        rdask.score(dsummary, beta_geo.BetaGeo, horizon=1.0)  # type: ignore[arg-type]


def test_score_without_spend_model(dsummary: Any, local: CustomerSummary) -> None:
    class Flat:
        def probability_alive(self, summary: CustomerSummary) -> Any:
            return np.ones(len(summary))

        def expected_purchases(self, summary: CustomerSummary, t: float) -> Any:
            return summary.frequency / (summary.T + 1.0) * t

    local_frame = dd.from_pandas(dsummary.compute(), npartitions=3)
    # The stand-in model class lives in this test, so score in this process.
    got = rdask.score(local_frame, Flat(), horizon=10.0).compute(scheduler="synchronous")
    got = got.sort_index()
    assert list(got.columns) == ["probability_alive", "expected_purchases"]
    np.testing.assert_allclose(got["expected_purchases"], local.frequency / (local.T + 1.0) * 10)


def test_bad_input(purchases: Any, dsummary: Any) -> None:
    with pytest.raises(TypeError, match="dask DataFrame"):
        rdask.summarize(
            purchases.compute(), customer_id="who", timestamp="when", observation_end=END
        )
    with pytest.raises(ValidationError, match="'nobody' is not in the frame"):
        rdask.summarize(purchases, customer_id="nobody", timestamp="when", observation_end=END)
    with pytest.raises(
        ValidationError, match=r"^`unit` must be one of 's', 'min', 'h', 'D', 'W', 'M' .*got 'Y'$"
    ):
        rdask.summarize(
            purchases, customer_id="who", timestamp="when", observation_end=END, unit="Y"
        )
    with pytest.raises(ValidationError, match=r"^`returns` must be one of 'error', 'net', 'drop'"):
        rdask.summarize(
            purchases, customer_id="who", timestamp="when", observation_end=END, returns="keep"
        )
    with pytest.raises(ValidationError, match=r"^`observation_end` must be a time .*'2025-02-30'$"):
        rdask.summarize(
            purchases, customer_id="who", timestamp="when", observation_end="2025-02-30"
        )
    with pytest.raises(ValidationError, match=r"^`observation_end` must not be NaT$"):
        rdask.summarize(purchases, customer_id="who", timestamp="when", observation_end=pd.NaT)
    with pytest.raises(TypeError, match=r"^`observation_end` must be a date or datetime for a log"):
        rdask.summarize(purchases, customer_id="who", timestamp="when", observation_end=5.0)
    with pytest.raises(ValidationError, match="monetary_value"):
        rdask.compress(dsummary[["frequency", "recency", "T"]], monetary=True)
    purchases_model = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    with pytest.raises(ValidationError, match=r"^`horizon` must be > 0, got -1\.0$"):
        rdask.score(dsummary, purchases_model, horizon=-1.0)
    with pytest.raises(TypeError, match=r"^`horizon` must be a real number, got str$"):
        rdask.score(dsummary, purchases_model, horizon="90")  # type: ignore[arg-type]
    with pytest.raises(
        TypeError, match=r"^`purchase_model` must be a PurchaseModel .*got GammaGamma$"
    ):
        rdask.score(dsummary, GammaGamma(p=1.0, q=2.0, gamma=3.0), horizon=1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^`spend_model` must be a SpendModel .*got BetaGeo$"):
        rdask.score(dsummary, purchases_model, spend_model=purchases_model, horizon=1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="model class"):
        rdask.fit(object(), dsummary)


def test_bad_partition_values_raise_on_compute(client: Any) -> None:
    frame = pd.DataFrame(
        {"c": [1, 2], "t": pd.to_datetime(["2024-01-01", "2024-01-02"]), "v": [1.0, -2.0]}
    )
    summary = rdask.summarize(
        dd.from_pandas(frame, npartitions=1),
        customer_id="c",
        timestamp="t",
        amount="v",
        observation_end="2024-02-01",
    )
    with pytest.raises(
        ValidationError, match=r"^`amount` must be >= 0 \(a refund\? .*; 1 of 2 .*: -2\.0\)$"
    ):
        summary.compute()
    dates = pd.DataFrame({"c": [1, 2], "t": [19970101, 19970102]})
    as_numbers = rdask.summarize(
        dd.from_pandas(dates, npartitions=1), customer_id="c", timestamp="t", observation_end=2e7
    )
    with pytest.raises(ValidationError, match="YYYYMMDD dates; give date_format='%Y%m%d'"):
        as_numbers.compute()


def test_importing_relmark_does_not_import_dask() -> None:
    code = "import sys, relmark, relmark.datasets; print('dask' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# -- refunds, string ids, months and text dates: the same kernel on both paths --------------------


@pytest.fixture(scope="module")
def refunds(log: TransactionLog) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The log's purchases plus refunds: some the same day (netting), some weeks later."""
    rng = np.random.default_rng(23)
    assert log.amount is not None
    picked = rng.choice(len(log), size=len(log) // 10, replace=False)
    later = rng.random(picked.size) < 0.3
    delay = np.where(later, rng.integers(7, 60, picked.size), 0).astype("timedelta64[D]")
    whole = rng.random(picked.size) < 0.5  # full refunds cancel their period
    refund = -np.where(whole, log.amount[picked], np.ceil(log.amount[picked] / 2))
    ids = np.r_[log.customer_id, log.customer_id[picked]]
    stamps = np.r_[log.timestamp, log.timestamp[picked] + delay]
    return ids, stamps, np.r_[log.amount, refund]


@pytest.mark.parametrize("returns", ["net", "drop"])
def test_refunds_equal_single_machine(
    client: Any, refunds: tuple[np.ndarray, np.ndarray, np.ndarray], returns: str
) -> None:
    ids, stamps, amount = refunds
    texts = np.array([f"customer-{i:06d}-{i * 7919 % 10007:05d}" for i in ids], dtype=object)
    shuffle = np.random.default_rng(8).permutation(ids.size)
    frame = pd.DataFrame({"who": texts[shuffle], "when": stamps[shuffle], "spend": amount[shuffle]})
    local = TransactionLog.from_arrays(texts, stamps, amount, returns=returns).summarize(END)
    got = (
        rdask.summarize(
            dd.from_pandas(frame, npartitions=5),
            customer_id="who",
            timestamp="when",
            amount="spend",
            observation_end=END,
            returns=returns,
        )
        .compute()
        .sort_index()
    )
    assert local.customer_id is not None and local.monetary_value is not None
    if returns == "net":
        assert len(local) < N_CUSTOMERS  # some customers' only purchase was refunded
    np.testing.assert_array_equal(got.index.to_numpy(), local.customer_id)
    for name in ("frequency", "recency", "T", "monetary_value"):
        np.testing.assert_array_equal(got[name].to_numpy(), getattr(local, name), err_msg=name)


def test_refunds_are_refused_by_default_on_compute(
    client: Any, refunds: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    ids, stamps, amount = refunds
    frame = pd.DataFrame({"who": ids, "when": stamps, "spend": amount})
    summary = rdask.summarize(
        dd.from_pandas(frame, npartitions=2),
        customer_id="who",
        timestamp="when",
        amount="spend",
        observation_end=END,
    )
    with pytest.raises(ValidationError, match=r"^`amount` must be >= 0 \(a refund\?"):
        summary.compute()


@pytest.mark.parametrize(("unit", "period"), [("M", "M"), ("M", "D"), ("W", "M")])
def test_months_equal_single_machine(
    client: Any, purchases: Any, log: TransactionLog, unit: str, period: str
) -> None:
    got = (
        rdask.summarize(
            purchases,
            customer_id="who",
            timestamp="when",
            amount="spend",
            observation_end=END,
            unit=unit,
            period=period,
        )
        .compute()
        .sort_index()
    )
    expected = log.summarize(END, unit=unit, period=period)
    assert expected.unit == unit
    np.testing.assert_array_equal(got.index.to_numpy(), expected.customer_id)
    for name in ("frequency", "recency", "T", "monetary_value"):
        np.testing.assert_array_equal(got[name].to_numpy(), getattr(expected, name), err_msg=name)


def test_text_dates_with_a_format_equal_single_machine(client: Any) -> None:
    frame = pd.DataFrame(
        {
            "c": ["b", "a", "a", "b", "a", "c"],
            "t": [
                "03.01.2024",
                "01.01.2024",
                "15.01.2024",
                "03.01.2024",
                "29.02.2024",
                "30.01.2024",
            ],
            "v": [2.0, 4.0, 6.0, 1.0, 8.0, 3.0],
        }
    )
    got = (
        rdask.summarize(
            dd.from_pandas(frame, npartitions=3),
            customer_id="c",
            timestamp="t",
            amount="v",
            observation_end="31.03.2024",
            date_format="%d.%m.%Y",
            unit="W",
        )
        .compute()
        .sort_index()
    )
    expected = TransactionLog.from_frame(
        frame, customer_id="c", timestamp="t", amount="v", date_format="%d.%m.%Y"
    ).summarize("2024-03-31", unit="W")
    np.testing.assert_array_equal(got.index.to_numpy(), expected.customer_id)
    for name in ("frequency", "recency", "T", "monetary_value"):
        np.testing.assert_array_equal(got[name].to_numpy(), getattr(expected, name), err_msg=name)
    bad = frame.assign(t=frame["t"].where(frame.index != 4, "30.02.2024"))
    summary = rdask.summarize(
        dd.from_pandas(bad, npartitions=1), customer_id="c", timestamp="t",
        observation_end="2024-03-31", date_format="%d.%m.%Y",
    )  # fmt: skip
    with pytest.raises(ValidationError, match=r"date_format '%d\.%m\.%Y'; .*: '30\.02\.2024'\)$"):
        summary.compute()


def test_relmark_dask_uses_no_private_member_of_relmark() -> None:
    # one kernel, through its public API: no reach-ins such as log._period_times
    source = Path(rdask.__file__).read_text()
    private = sorted(
        {
            node.attr
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and node.attr != "_meta"  # dask's own empty-partition frame
        }
    )
    assert private == []
    imported = [
        alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("relmark")
        for alias in node.names
    ]
    assert [name for name in imported if name.startswith("_")] == []
