"""relmark.dask on a real LocalCluster (2 worker processes): equal to the single-machine path."""

from __future__ import annotations

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
    expected_purchases = model.expected_purchases(local, 90.0)
    average_spend = spend.expected_spend(local)
    np.testing.assert_allclose(got["probability_alive"], model.probability_alive(local), rtol=1e-14)
    np.testing.assert_allclose(got["expected_purchases"], expected_purchases, rtol=1e-14)
    np.testing.assert_allclose(got["average_spend"], average_spend, rtol=1e-14)
    np.testing.assert_allclose(
        got["expected_spend"], expected_purchases * average_spend, rtol=1e-14
    )


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
        ValidationError, match=r"^`unit` must be one of 's', 'min', 'h', 'D', 'W' .*got 'M'$"
    ):
        rdask.summarize(
            purchases, customer_id="who", timestamp="when", observation_end=END, unit="M"
        )
    with pytest.raises(ValidationError, match="monetary_value"):
        rdask.compress(dsummary[["frequency", "recency", "T"]], monetary=True)
    purchases_model = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    with pytest.raises(ValidationError, match=r"^`horizon` must be >= 0, got -1\.0$"):
        rdask.score(dsummary, purchases_model, horizon=-1.0)
    with pytest.raises(TypeError, match=r"^`horizon` must be a real number, got str$"):
        rdask.score(dsummary, purchases_model, horizon="90")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^`model` must be a PurchaseModel .*got GammaGamma$"):
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
    with pytest.raises(ValidationError, match=r"^`amount` must be >= 0; 1 of 2 .*: -2\.0\)$"):
        summary.compute()


def test_importing_relmark_does_not_import_dask() -> None:
    code = "import sys, relmark, relmark.datasets; print('dask' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
