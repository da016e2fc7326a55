from __future__ import annotations

import ast
import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.csv as pv
import pytest

import relmark
import relmark.comparison
import relmark.datasets
from relmark.__main__ import CANDIDATES, WIDTH, demo, main, scored_columns


@pytest.fixture(scope="module")
def report() -> str:
    """The demo's report, built once for the demo tests (it takes about a second)."""
    return demo()


def section(report: str, title: str) -> list[str]:
    """The lines of the report's section whose title starts with ``title``, up to the next."""
    parts = re.split(r"\n\n(?=[^\n]+\n-+\n)", report)
    (part,) = [part for part in parts if part.startswith(title)]
    return part.splitlines()[2:]


def numbers(line: str) -> list[float]:
    """The numbers of a report line, thousands separators and percent signs dropped."""
    return [float(cell.replace(",", "")) for cell in re.findall(r"[-+]?\d[\d,]*\.?\d*", line)]


def test_demo_report_fits_in_80_columns(report: str) -> None:
    assert "2,357" in report and "6,919" in report
    assert max(len(line) for line in report.splitlines()) <= WIDTH == 78


def profile_rows(report: str) -> dict[str, list[str]]:
    """The demo's RFM segment table: each segment's cells, by name."""
    lines = report.split("RFM segments\n------------\n")[1].split("\n\n")[0].splitlines()
    rows: dict[str, list[str]] = {}
    for line in lines[1:]:
        *name, customers, share, revenue, clv, alive = line.split()
        rows[" ".join(name)] = [customers, share, revenue, clv, alive]
    return rows


def test_demo_chooses_the_model_and_its_rfm_profile_reads_sensibly(report: str) -> None:
    assert "Which model? BG/NBD, MBG/NBD and Pareto/NBD" in report
    assert "chosen: Pareto/NBD: lowest holdout RMSE 1.603 vs MBG/NBD 1.607, BG/NBD 1.608" in report
    assert "Who is still a customer? Pareto/NBD, the chosen model" in report
    assert "  Pareto/NBD  0.7545  1.6028  -216 (-11.5%)      1.4%        0.068" in report
    alive = {name: float(cells[-1]) for name, cells in profile_rows(report).items()}
    assert len(alive) == 10
    # one-time buyers seen long ago are not reported alive (BG/NBD said 0.98 and 0.97)
    assert alive["Lost"] < alive["Champions"] and alive["Hibernating"] < alive["Champions"]
    assert alive["Lost"] < 0.5 and alive["Hibernating"] < 0.5
    assert "one-time buyers' mean P(alive): 0.34" in report


def test_demo_cohorts_match_an_independent_count_and_the_guides_trend(report: str) -> None:
    lines = section(report, "Acquisition cohorts")
    assert lines[0].split()[-1] == "1-15"  # the ages every cohort is observed at
    rows = {line.split()[0]: numbers(line.split(maxsplit=1)[1]) for line in lines[1:4]}
    assert list(rows) == ["1997-01", "1997-02", "1997-03"]
    # independent count from the raw log: a customer's cohort is the month of their
    # first purchase, and they are active at age k if they buy in the k-th month after
    log = relmark.datasets.load_cdnow_sample()
    month = log.timestamp.astype("datetime64[M]").astype(np.int64)
    _, customer = np.unique(log.customer_id, return_inverse=True)
    first = np.full(customer.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, customer, month)
    age = month - first[customer]
    cohort = first - first.min()
    size = np.bincount(cohort)
    pairs = np.unique(np.stack([customer, age]), axis=1)  # one (customer, age) per month bought
    active = np.zeros((3, age.max() + 1))
    np.add.at(active, (cohort[pairs[0]], pairs[1]), 1)
    share = active / size[:, None]
    # the trend of log retention over ages 1-15 (the guide's definition), by linregress
    from scipy.stats import linregress

    trend = [np.expm1(linregress(np.arange(1, 16), np.log(share[c, 1:16])).slope) for c in range(3)]
    for c, cells in enumerate(rows.values()):
        assert cells[0] == size[c]
        np.testing.assert_allclose(cells[1:4], share[c, [1, 3, 6]], atol=5e-4)
        assert cells[4] == pytest.approx(100 * trend[c], abs=0.05)
    assert size.tolist() == [781, 857, 719]  # the guide's table (docs/guide/insight-to-action.md)
    assert [round(100 * t, 1) for t in trend] == [-5.4, -4.2, -4.8]  # and its trends
    fastest = list(rows)[int(np.argmin(trend))]
    assert f"slipping fastest: the {fastest} cohort, {100 * min(trend):+.1f}% a month" in report
    assert fastest == "1997-01"


def test_cohort_trends_refuse_what_has_no_trend() -> None:
    from relmark.__main__ import cohort_trends

    log = relmark.TransactionLog.from_arrays([1, 1, 2], ["2024-01-05", "2024-02-10", "2024-02-01"])
    with pytest.raises(relmark.ValidationError, match="2 or more ages from 1 on"):
        cohort_trends(relmark.cohort_table(log))
    nobody = relmark.TransactionLog.from_arrays(
        [1, 1, 2, 2], ["2024-01-05", "2024-03-10", "2024-01-07", "2024-03-01"]
    )  # nobody buys at age 1
    with pytest.raises(relmark.ValidationError, match="needs a repeat buyer at each of the ages"):
        cohort_trends(relmark.cohort_table(nobody))
    with pytest.raises(TypeError, match="`table` must be a CohortTable, got list"):
        cohort_trends([0.5, 0.4])  # type: ignore[arg-type]


def test_demo_campaign_is_plan_campaigns_two_offer_plan(report: str) -> None:
    lines = section(report, "Retention economics")
    # the demo's inputs, rebuilt from the library: the Pareto/NBD it chose, fitted on the
    # calibration, its 2-year CLV, the RFM segments; a save keeps CLV / P(alive)
    split = relmark.datasets.load_cdnow_sample().split("1997-09-30", "1998-06-30", unit="W")
    calibration = split.calibration
    model = relmark.ParetoNBD.fit(calibration)
    spend = relmark.GammaGamma.fit(calibration)
    clv = relmark.customer_lifetime_value(
        model, spend, calibration, horizon=104.0, step=4.0, discount_rate=0.008, margin=0.3
    )
    alive = model.probability_alive(calibration)
    assert (alive > 0).all()
    segments = relmark.rfm_segments(relmark.rfm_scores(calibration))
    valuable = {"Champions", "Loyal", "At risk", "Can't lose them"}
    offers = [
        relmark.Offer(name="voucher", channel="email", contact_cost=0.05, offer_cost=0.25,
                      save_rate=0.08),
        relmark.Offer(name="call", channel="phone", contact_cost=2.0, save_rate=0.3,
                      eligible=valuable, capacity=100),
    ]  # fmt: skip
    plan = relmark.plan_campaign(
        calibration.customer_id, 1 - alive, clv / alive, offers, budget=150.0, segment=segments
    )
    table = {line.split()[0]: numbers(line) for line in lines if line.split()[:1] in (
        ["voucher"], ["call"], ["total"])}  # fmt: skip
    summary = plan.offers
    for row, name in enumerate(summary.offer):
        contacts, cost, kept, gain, roi = table[str(name)]
        assert contacts == summary.contacts[row]
        assert cost == pytest.approx(summary.expected_cost[row], abs=0.005)
        assert kept == pytest.approx(summary.value_kept[row], abs=0.005)
        assert gain == pytest.approx(summary.net_gain[row], abs=0.005)
        assert roi == pytest.approx(100 * summary.roi[row], abs=0.5)
        assert gain == pytest.approx(kept - cost, abs=0.011)  # net gain = value kept - cost
    contacts, cost, kept, gain, roi = table["total"]
    assert contacts == len(plan.targets) == summary.contacts.sum()
    assert cost == pytest.approx(plan.cost, abs=0.005) and cost <= 150.0
    assert gain == pytest.approx(plan.net_gain, abs=0.005)
    assert contacts == pytest.approx(sum(table[str(name)][0] for name in summary.offer))
    # the calls stay within their segments and capacity
    called = plan.targets.offer == "call"
    assert set(np.asarray(plan.targets.segment)[called]) <= valuable and called.sum() <= 100
    certificate = next(line for line in lines if "certified gap" in line)
    assert f"{plan.cost:,.2f} of the 150.00 USD budget; certified gap {plan.gap:,.2f}" in (
        certificate)  # fmt: skip
    assert f"no plan gains more than {plan.upper_bound:,.2f}" in " ".join(" ".join(lines).split())
    assert plan.gap >= 0 and plan.upper_bound >= plan.net_gain
    # the loyalty lift lines stay
    assert "+5 points of retention are worth 7.33 USD per customer at 60% retention" in report


def test_demo_retention_sets_the_sbg_and_bdw_against_kaplan_meier(report: str) -> None:
    lines = section(report, "Contract retention")
    # Fader & Hardie (2007, Table 1), the regular cohort; fitted on years 1-7 (8 counts)
    alive = np.array([1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173])
    sbg = relmark.ShiftedBetaGeo.fit_survival(alive[:8])
    bdw = relmark.BetaDiscreteWeibull.fit_survival(alive[:8])
    assert (round(sbg.alpha, 3), round(sbg.beta, 3)) == (0.704, 1.182)  # the paper's estimates
    rows = {line.split()[0]: numbers(line) for line in lines[1:3]}
    for name, model in (("sBG", sbg), ("BdW", bdw)):
        info = model.fit_info
        assert info is not None
        *cells, log_likelihood, aic = rows[name]
        expected = [v for key in model.params for v in (model.params[key], info.stderr[key])]
        np.testing.assert_allclose(cells, expected, atol=5e-4)
        assert log_likelihood == pytest.approx(info.log_likelihood, abs=0.05)
        assert aic == pytest.approx(info.aic, abs=0.05)
    assert len(rows["sBG"]) == 6 and len(rows["BdW"]) == 8  # the BdW adds c
    years = np.arange(8, 13)
    by_row = {line[:24].strip(): numbers(line[24:]) for line in lines[3:7]}
    assert by_row["year"] == years.tolist()
    np.testing.assert_allclose(by_row["sBG projected"], 1000 * sbg.survival(years), atol=0.5)
    np.testing.assert_allclose(by_row["BdW projected"], 1000 * bdw.survival(years), atol=0.5)
    assert by_row["actual survivors"] == alive[8:].tolist()
    # Kaplan-Meier at year 12: nobody is censored before it, so it is 173 / 1000
    tenure, churned = relmark.tenures_from_survivors(alive)
    curve = relmark.kaplan_meier(tenure, churned, discrete=True)
    at_12 = int(np.flatnonzero(curve.time == 12.0)[0])
    low, high = curve.lower[at_12], curve.upper[at_12]
    assert curve.survival[at_12] == pytest.approx(0.173)
    text = " ".join(" ".join(lines[7:9]).split())
    assert (
        f"Kaplan-Meier survival at year 12: 0.173 (90% band {low:.3f} to {high:.3f}); projected "
        f"by the sBG {sbg.survival(12.0):.3f} and the BdW {bdw.survival(12.0):.3f}: both inside"
    ) in text
    assert low <= sbg.survival(12.0) <= high and low <= bdw.survival(12.0) <= high


def test_main_without_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_python_dash_m_runs_the_demo() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "relmark", "demo"], capture_output=True, text=True, check=True
    )
    assert "CDNOW" in done.stdout


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def run_score(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relmark", "score", *args], capture_output=True, text=True
    )


def test_score_writes_one_row_per_customer(tmp_path: Path) -> None:
    log = relmark.datasets.load_cdnow_sample()
    source = tmp_path / "purchases.csv"
    stamps = log.timestamp.astype("datetime64[D]").astype(str)
    assert log.amount is not None
    rows = "".join(
        f"{c},{d},{a}\n" for c, d, a in zip(log.customer_id, stamps, log.amount, strict=True)
    )
    write_csv(source, "cid,day,value\n" + rows)
    out = tmp_path / "scores.csv"
    done = run_score(
        str(source), "--customer-col", "cid", "--date-col", "day", "--amount-col", "value",
        "--observation-end", "1997-09-30", "--horizon", "39", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "fitting the models" in done.stderr
    assert "read 6,919 rows: 2,357 customers" in done.stderr
    assert "BG/NBD: r 0.2426 (s.e. 0.013), alpha 4.414" in done.stderr
    assert "Gamma-Gamma: p " in done.stderr and "converged to an interior maximum" in done.stderr
    header, *lines = out.read_text().splitlines()
    assert header.split(",")[:2] == ['"customer_id"', '"frequency"']
    assert len(lines) == 2357


def sample_csv(tmp_path: Path) -> Path:
    """The CDNOW sample as a user's CSV file: customer, day, amount."""
    log = relmark.datasets.load_cdnow_sample()
    stamps = log.timestamp.astype("datetime64[D]").astype(str)
    assert log.amount is not None
    rows = "".join(
        f"{c},{d},{a}\n" for c, d, a in zip(log.customer_id, stamps, log.amount, strict=True)
    )
    return write_csv(tmp_path / "purchases.csv", "cid,day,value\n" + rows)


def test_score_chooses_the_model_by_bic_and_says_why(tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    done = run_score(
        str(sample_csv(tmp_path)), "--customer-col", "cid", "--date-col", "day",
        "--amount-col", "value", "--observation-end", "1997-09-30", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [line.removeprefix("relmark: ") for line in done.stderr.splitlines()]
    assert "choosing among BG/NBD, MBG/NBD, Pareto/NBD by BIC" in lines[1]
    for name in ("BG/NBD: r 0.2426", "MBG/NBD: r 0.5248", "Pareto/NBD: r 0.5533"):
        assert any(line.startswith(name) for line in lines), name
    assert "  MBG/NBD     4       -9,582.14  19,172.27  19,195.33" in lines
    assert "chose MBG/NBD: lowest BIC 19,195.3 vs BG/NBD 19,195.9, Pareto/NBD 19,221.0" in lines
    summary = relmark.datasets.cdnow_sample_summary()
    written = pv.read_csv(out).to_pydict()
    expected = relmark.ModifiedBetaGeo.fit(summary).probability_alive(summary)
    np.testing.assert_allclose(written["probability_alive"], expected, rtol=1e-9)


def test_score_with_a_holdout_chooses_by_the_forecast_and_refits_on_everything(
    tmp_path: Path,
) -> None:
    out = tmp_path / "scores.csv"
    done = run_score(
        str(sample_csv(tmp_path)), "--customer-col", "cid", "--date-col", "day",
        "--observation-end", "1998-06-30", "--holdout", "39", "--horizon", "26",
        "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [line.removeprefix("relmark: ") for line in done.stderr.splitlines()]
    assert "by their forecast of the last 39 W" in lines[1]
    assert sum(line.endswith("on the calibration period") for line in lines) == 3
    assert (
        "chose Pareto/NBD: lowest holdout RMSE 1.603 vs MBG/NBD 1.607, BG/NBD 1.608; "
        "refitted on the full period (2,357 customers) for scoring"
    ) in lines
    assert any(line.startswith("refitted on the full period: Pareto/NBD: r ") for line in lines)
    # the scores are those of Pareto/NBD fitted on all 78 weeks
    full = relmark.datasets.load_cdnow_sample().summarize("1998-06-30", unit="W")
    model = relmark.ParetoNBD.fit(full)
    written = pv.read_csv(out).to_pydict()
    np.testing.assert_allclose(written["probability_alive"], model.probability_alive(full))
    np.testing.assert_allclose(
        written["expected_purchases"], model.expected_purchases(full, 26.0), rtol=1e-9
    )


def test_score_chooses_only_among_the_models_asked_for(tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    done = run_score(
        str(sample_csv(tmp_path)), "--customer-col", "cid", "--date-col", "day",
        "--observation-end", "1997-09-30", "--models", "bg", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [line.removeprefix("relmark: ") for line in done.stderr.splitlines()]
    assert "choosing among BG/NBD by BIC" in lines[1]
    assert "chose BG/NBD: the only candidate (BIC 19,195.9)" in lines
    assert not any(line.startswith(("MBG/NBD", "Pareto/NBD")) for line in lines)
    summary = relmark.datasets.cdnow_sample_summary()
    written = pv.read_csv(out).to_pydict()
    expected = relmark.BetaGeo.fit(summary).probability_alive(summary)
    np.testing.assert_allclose(written["probability_alive"], expected, rtol=1e-9)
    both = run_score(
        str(sample_csv(tmp_path)), "--customer-col", "cid", "--date-col", "day",
        "--observation-end", "1997-09-30", "--models", "pareto,bg", "--out", "/dev/null",
    )  # fmt: skip
    assert "chose BG/NBD: lowest BIC 19,195.9 vs Pareto/NBD 19,221.0" in both.stderr


@pytest.mark.parametrize("models", ["bg,xx", "bg,bg", ""])
def test_bad_models_are_one_line(tmp_path: Path, models: str) -> None:
    done = run_score(str(small_log(tmp_path)), "--customer-col", "cid", "--date-col", "day",
                     "--out", "-", "--models", models)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        f"relmark score: error: argument --models: {models!r}: give one or more of bg, mbg, "
        "pareto, comma-separated, each once (see relmark score --help)"
    )


@pytest.mark.parametrize(
    ("holdout", "message"),
    [
        ("0", "relmark score: error: `holdout` must be > 0, got 0.0"),
        ("80", "relmark score: error: `holdout` (80 W) reaches back before the first purchase"),
        ("x", "relmark score: error: argument --holdout: invalid float value: 'x'"),
    ],
)
def test_a_bad_holdout_is_one_line(tmp_path: Path, holdout: str, message: str) -> None:
    done = run_score(
        str(small_log(tmp_path)), "--customer-col", "cid", "--date-col", "day", "--out", "-",
        "--holdout", holdout,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith(message), done.stderr
    assert done.stdout == ""


def test_score_rejects_bad_files_without_output(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "bad.csv", "cid,day,value\n1,1997-01-01,3\n2,1997-01-02,-4\n")
    out = tmp_path / "scores.csv"
    done = run_score(
        str(source), "--customer-col", "cid", "--date-col", "day", "--amount-col", "value",
        "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 2
    assert "line 3, column 'value'" in done.stderr
    assert len(done.stderr.strip().splitlines()[-1]) > 0 and not out.exists()
    missing = run_score(str(source), "--customer-col", "id", "--date-col", "day", "--out", "x")
    assert missing.returncode == 2
    assert missing.stderr.splitlines()[-1].endswith(
        "bad.csv: no column 'id' (customer) in the header; the columns are 'cid', 'day', 'value'"
    )


def test_score_on_the_cdnow_master_file_matches_the_api(shared_data: Path, tmp_path: Path) -> None:
    # The master file is whitespace separated; convert it to CSV as a user would.
    raw = (shared_data / "CDNOW_master.txt").read_text().split()
    table = np.array(raw[4:]).reshape(-1, 4)
    source = tmp_path / "master.csv"
    body = "\n".join(",".join(row) for row in table[:, [0, 1, 3]])
    write_csv(source, "customer_id,date,dollar_value\n" + body + "\n")
    out = tmp_path / "scores.csv"
    assert (
        main(
            [
                "score",
                str(source),
                "--customer-col",
                "customer_id",
                "--date-col",
                "date",
                "--amount-col",
                "dollar_value",
                "--date-format",  # YYYYMMDD is read as a date only when asked
                "%Y%m%d",
                "--observation-end",
                "1997-09-30",
                "--horizon",
                "39",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    written = pv.read_csv(
        out, convert_options=pv.ConvertOptions(column_types={"customer_id": "string"})
    ).to_pydict()
    assert len(written["customer_id"]) == 23_570
    log = relmark.TransactionLog.from_arrays(
        table[:, 0], [f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in table[:, 1]], table[:, 3].astype(float)
    )
    summary = log.summarize("1997-09-30", unit="W")
    # without --holdout the model with the lowest BIC scores: MBG/NBD here (190,714.2 against
    # BG/NBD's 190,777.2 and Pareto/NBD's 190,870.5)
    bic = {cls: relmark.comparison.compare([cls.fit(summary)]).rows[0].bic
           for cls in (relmark.BetaGeo, relmark.ModifiedBetaGeo, relmark.ParetoNBD)}  # fmt: skip
    assert min(bic, key=bic.__getitem__) is relmark.ModifiedBetaGeo
    model = relmark.ModifiedBetaGeo.fit(summary)
    assert written["customer_id"] == summary.customer_id.tolist()  # "00001" kept as it is
    np.testing.assert_allclose(written["probability_alive"], model.probability_alive(summary))
    np.testing.assert_allclose(
        written["expected_purchases"], model.expected_purchases(summary, 39.0), rtol=1e-9
    )
    assert summary.monetary_value is not None
    paying = summary.subset(summary.monetary_value > 0)
    spend = relmark.GammaGamma.fit(paying).expected_spend(summary)
    np.testing.assert_allclose(written["expected_spend"], spend, rtol=1e-9)


def test_score_columns_match_the_api() -> None:
    summary = relmark.datasets.cdnow_sample_summary()
    columns = scored_columns(summary, horizon=26.0, discount_rate=0.01, margin=0.3)
    model = relmark.comparison.choose_model(summary).model  # by BIC: MBG/NBD
    assert type(model) is relmark.ModifiedBetaGeo
    spend = relmark.GammaGamma.fit(summary)
    clv = relmark.customer_lifetime_value(
        model, spend, summary, horizon=26.0, discount_rate=0.01, margin=0.3
    )
    np.testing.assert_allclose(columns["clv"], clv)
    labels = relmark.rfm_segments(relmark.rfm_scores(summary))
    assert np.array_equal(columns["segment"], labels)


def test_a_large_file_chooses_on_a_sample_and_scores_with_a_fit_on_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import relmark.__main__ as cli

    monkeypatch.setattr(cli, "CHOICE_SAMPLE", 1_000)  # the CDNOW sample stands for a big file
    summary = relmark.datasets.cdnow_sample_summary()
    lines: list[str] = []
    columns = scored_columns(summary, horizon=26.0, report=lines.append)
    assert sum("on a random sample of 1,000 customers" in line for line in lines) == 3
    chosen = next(line for line in lines if line.startswith("chose "))
    assert chosen.endswith("; refitted on all 2,357 customers for scoring")
    name = chosen.removeprefix("chose ").split(":")[0]
    model = cli.CANDIDATES[name].fit(summary)  # the scores come from the fit on all
    np.testing.assert_allclose(
        columns["expected_purchases"], model.expected_purchases(summary, 26.0), rtol=1e-9
    )


def test_the_command_line_uses_public_modules_only() -> None:
    # the command line is a client of the library: no ``relmark.<...>._private`` imports
    import relmark.__main__ as cli

    tree = ast.parse(Path(cli.__file__).read_text())
    imported = [
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    ] + [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ]
    private = [name for name in imported if any(part.startswith("_") for part in name.split("."))]
    assert private == ["__future__"]


# -- output that cannot lose data ---------------------------------------------------------


def small_log(tmp_path: Path) -> Path:
    log = relmark.datasets.load_cdnow_sample()
    stamps = log.timestamp.astype("datetime64[D]").astype(str)
    rows = "".join(f"{c},{d}\n" for c, d in zip(log.customer_id[:3000], stamps[:3000], strict=True))
    return write_csv(tmp_path / "purchases.csv", "cid,day\n" + rows)


def score_to(source: Path, out: str) -> subprocess.CompletedProcess[str]:
    return run_score(str(source), "--customer-col", "cid", "--date-col", "day", "--out", out)


def test_score_refuses_to_write_onto_its_input(tmp_path: Path) -> None:
    source = small_log(tmp_path)
    before = source.read_bytes()
    link = tmp_path / "link.csv"
    link.symlink_to(source)
    for out in (str(source), str(link), str(tmp_path / "." / "purchases.csv")):
        done = score_to(source, out)
        assert done.returncode == 2
        assert (
            done.stderr.strip()
            .splitlines()[-1]
            .startswith(f"relmark score: error: --out '{out}' is the input file")
        )
        assert source.read_bytes() == before


def test_score_through_a_symlink_replaces_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    source = small_log(tmp_path)
    target = write_csv(tmp_path / "old-scores.csv", "stale\n")
    link = tmp_path / "scores.csv"
    link.symlink_to(target)
    assert score_to(source, str(link)).returncode == 0
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert target.read_text().startswith('"customer_id","frequency"')


def test_score_writes_into_a_fifo_and_a_device_without_replacing_them(tmp_path: Path) -> None:
    import os
    import stat
    import threading

    source = small_log(tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    assert score_to(source, str(fifo)).returncode == 0
    reader.join(timeout=60)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert received and received[0].startswith('"customer_id","frequency"')
    assert score_to(source, "/dev/null").returncode == 0
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)


def test_score_to_standard_output(tmp_path: Path) -> None:
    done = score_to(small_log(tmp_path), "-")
    assert done.returncode == 0
    header, *lines = done.stdout.splitlines()
    assert header.startswith('"customer_id","frequency"') and len(lines) > 100


def test_new_files_get_the_umask_permissions(tmp_path: Path) -> None:
    import os

    source = small_log(tmp_path)
    out = tmp_path / "scores.csv"
    mask = os.umask(0o027)
    try:
        assert score_to(source, str(out)).returncode == 0
    finally:
        os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o640
    out.chmod(0o604)
    assert score_to(source, str(out)).returncode == 0
    assert out.stat().st_mode & 0o777 == 0o604  # a replaced file keeps its permissions


def test_cells_a_spreadsheet_would_evaluate_are_escaped(tmp_path: Path) -> None:
    source = small_log(tmp_path)
    risky = ['=HYPERLINK("x")', "+1", "@sum", "-2"]
    with source.open("a") as file:
        for cid in risky:
            file.write(f'"{cid.replace(chr(34), 2 * chr(34))}",1997-01-01\n')
            file.write(f'"{cid.replace(chr(34), 2 * chr(34))}",1997-02-01\n')
    out = tmp_path / "scores.csv"
    assert score_to(source, str(out)).returncode == 0
    import csv

    with out.open(newline="") as file:
        ids = [row[0] for row in list(csv.reader(file))[1:]]
    assert sorted(i for i in ids if i.startswith("'")) == sorted("'" + cid for cid in risky)
    assert all(not i.startswith(("=", "+", "-", "@")) for i in ids)


def test_ctrl_c_exits_130_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import relmark.__main__ as cli

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "read_transactions", interrupted)
    out = tmp_path / "scores.csv"
    code = main(["score", str(small_log(tmp_path)), "--customer-col", "cid", "--date-col", "day",
                 "--out", str(out)])  # fmt: skip
    assert code == 130 and not out.exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "relmark score: interrupted; nothing was written"


def test_score_refuses_a_hard_link_to_its_input(tmp_path: Path) -> None:
    import os

    source = small_log(tmp_path)
    before = source.read_bytes()
    twin = tmp_path / "twin.csv"
    os.link(source, twin)
    done = score_to(source, str(twin))
    assert done.returncode == 2 and "is the input file" in done.stderr.splitlines()[-1]
    assert source.read_bytes() == before and twin.read_bytes() == before


def test_score_writes_into_a_terminal_device(tmp_path: Path) -> None:
    import os
    import pty
    import select
    import stat

    source = small_log(tmp_path)
    controller, terminal = pty.openpty()  # both kept open until the run ends
    device = os.ttyname(terminal)
    received = bytearray()
    try:
        with subprocess.Popen(
            [sys.executable, "-m", "relmark", "score", str(source), "--customer-col", "cid",
             "--date-col", "day", "--out", device],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        ) as process:  # fmt: skip
            while True:  # drain the terminal while the process writes (its buffer is small)
                ready, _, _ = select.select([controller], [], [], 0.1)
                if ready:
                    received += os.read(controller, 65536)
                elif process.poll() is not None:
                    break
            assert process.returncode == 0
        assert stat.S_ISCHR(Path(device).stat().st_mode)  # still the device, not a file
    finally:
        os.close(terminal)
        os.close(controller)
    assert received.replace(b"\r\n", b"\n").startswith(b'"customer_id","frequency"')


def test_ctrl_c_while_writing_leaves_the_old_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import pyarrow.csv

    out = tmp_path / "scores.csv"
    out.write_text("old scores\n")

    def interrupted(table: object, where: object, options: object = None) -> None:
        where.write(b"customer_id,frequency\n1,")  # type: ignore[attr-defined]
        raise KeyboardInterrupt

    monkeypatch.setattr(pyarrow.csv, "write_csv", interrupted)
    code = main(["score", str(small_log(tmp_path)), "--customer-col", "cid", "--date-col", "day",
                 "--out", str(out)])  # fmt: skip
    assert code == 130
    assert out.read_text() == "old scores\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["purchases.csv", "scores.csv"]
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "relmark score: interrupted; nothing was written"


def test_a_real_sigint_exits_130_quietly(tmp_path: Path) -> None:
    import os
    import signal

    source = small_log(tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # nobody reads it: the run blocks opening it, until interrupted
    with subprocess.Popen(
        [sys.executable, "-m", "relmark", "score", str(source), "--customer-col", "cid",
         "--date-col", "day", "--out", str(fifo)],
        stderr=subprocess.PIPE, text=True,
    ) as process:  # fmt: skip
        assert process.stderr is not None
        lines = []
        for line in process.stderr:
            lines.append(line)
            if line.startswith("relmark: writing"):
                break
        process.send_signal(signal.SIGINT)
        lines += process.stderr.readlines()
        assert process.wait(timeout=60) == 130
    assert lines[-1] == f"relmark score: interrupted; the output to {fifo} may be incomplete\n"
    assert not any("Traceback" in line or "Warning" in line for line in lines)


def test_score_writes_parquet_by_the_extension(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    source = small_log(tmp_path)
    csv_out, parquet_out = tmp_path / "scores.csv", tmp_path / "scores.parquet"
    assert score_to(source, str(csv_out)).returncode == 0
    assert score_to(source, str(parquet_out)).returncode == 0
    table = pq.read_table(parquet_out)
    assert table.to_pydict() == pv.read_csv(csv_out).to_pydict()
    assert table.schema.field("customer_id").type == "int64"
    # and reads Parquet in
    parquet_in = tmp_path / "purchases.parquet"
    pq.write_table(pv.read_csv(source), parquet_in)
    again = tmp_path / "again.parquet"
    done = run_score(str(parquet_in), "--customer-col", "cid", "--date-col", "day",
                     "--out", str(again))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert pq.read_table(again).equals(table)


def test_score_reads_what_spreadsheets_and_european_systems_write(tmp_path: Path) -> None:
    log = relmark.datasets.load_cdnow_sample()
    assert log.amount is not None
    stamps = log.timestamp.astype("datetime64[D]").astype(dt.date)
    source = tmp_path / "export.csv"
    with source.open("w", encoding="cp1252", newline="") as file:
        file.write("Kunde\tDatum\tBetrag\tNotiz\n")
        for customer, day, amount in zip(log.customer_id, stamps, log.amount, strict=True):
            file.write(f'K{customer}\t{day:%d.%m.%Y}\t{amount}\t"Größe; €"\n')
        file.write('K1\t03.02.1997\t-5.0\t"Rückgabe"\n')  # a refund
    common = ["--customer-col", "Kunde", "--date-col", "Datum", "--amount-col", "Betrag",
              "--observation-end", "1997-09-30", "--encoding", "cp1252"]  # fmt: skip
    done = run_score(str(source), *common, "--out", str(tmp_path / "x.csv"))
    assert done.returncode == 2 and "Datum" in done.stderr.splitlines()[-1]  # dates need a format
    refund = run_score(str(source), *common, "--date-format", "%d.%m.%Y", "--out", "-")
    assert refund.returncode == 2
    assert refund.stderr.splitlines()[-1].startswith(
        f"relmark score: error: {source}: line {len(log) + 2:,}, column 'Betrag'"
    )
    for policy in ("net", "drop"):
        done = run_score(str(source), *common, "--date-format", "%d.%m.%Y", "--returns", policy,
                         "--delimiter", "tab", "--out", "-")  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert len(done.stdout.splitlines()) == 2357 + 1


@pytest.mark.parametrize(
    ("args", "last_line"),
    [
        (["score"], "relmark score: error: the following arguments are required: transactions"),
        (["score", "x.csv", "--customer-col", "c", "--date-col", "d", "--out", "o",
          "--returns", "keep"], "relmark score: error: argument --returns: invalid choice"),
        (["score", "missing.csv", "--customer-col", "c", "--date-col", "d", "--out", "o"],
         "relmark score: error: [Errno 2] No such file or directory: 'missing.csv'"),
        (["score", ".", "--customer-col", "c", "--date-col", "d", "--out", "o"],
         "relmark score: error: .: not a regular file"),
        (["score", "{data}", "--customer-col", "cid", "--date-col", "day",
          "--out", "{tmp}/no/x.csv"],
         "relmark score: error: [Errno 2] No such file or directory"),
        (["score", "{data}", "--customer-col", "cid", "--date-col", "day", "--out", "-",
          "--encoding", "klingon"], "relmark score: error: `encoding` must be a text encoding"),
        (["score", "{data}", "--customer-col", "cid", "--date-col", "day", "--out", "-",
          "--observation-end", "1990-01-01"], "relmark score: error: `observation_end`"),
    ],
)  # fmt: skip
def test_every_error_is_one_line_with_exit_code_2(
    tmp_path: Path, args: list[str], last_line: str
) -> None:
    data = small_log(tmp_path)
    args = [a.replace("{data}", str(data)).replace("{tmp}", str(tmp_path)) for a in args]
    done = subprocess.run([sys.executable, "-m", "relmark", *args], capture_output=True,
                          text=True, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert lines[-1].startswith(last_line), lines
    assert not any(line.startswith("relmark score: error:") for line in lines[:-1])
    assert "Traceback" not in done.stderr and "Warning" not in done.stderr
    assert done.stdout == ""


def test_a_closed_output_pipe_is_one_line(tmp_path: Path) -> None:
    source = small_log(tmp_path)
    with subprocess.Popen(
        [sys.executable, "-m", "relmark", "score", str(source), "--customer-col", "cid",
         "--date-col", "day", "--out", "-"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as process:  # fmt: skip
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # like ``| head -0``: the reader is gone before any row
        err = process.stderr.read()
        assert process.wait(timeout=60) == 2
    assert err.splitlines()[-1] == (
        "relmark score: error: the output pipe closed before all rows were written"
    )
    assert "Traceback" not in err and "Exception ignored" not in err


def test_dev_stdout_is_written_where_it_stands_never_reopened(tmp_path: Path) -> None:
    source = small_log(tmp_path)
    log = tmp_path / "all-scores.csv"
    log.write_text("earlier run\n")
    with log.open("ab") as appended:  # like ``relmark score ... --out /dev/stdout >> file``
        done = subprocess.run(
            [sys.executable, "-m", "relmark", "score", str(source), "--customer-col", "cid",
             "--date-col", "day", "--out", "/dev/stdout"],
            stdout=appended, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    first, header, *rows = log.read_text().splitlines()
    assert first == "earlier run" and header.startswith('"customer_id","frequency"')
    piped = score_to(source, "/dev/stdout")  # a pipe: /proc/self/fd/1 names no file
    assert piped.returncode == 0 and piped.stdout.splitlines() == [header, *rows]


def test_score_uses_the_limits_when_nobody_leaves_and_spend_never_varies(tmp_path: Path) -> None:
    # every customer keeps buying to the end at a steady, gamma-distributed rate, for the same
    # amount each time: BG/NBD's dropout and Gamma-Gamma's heterogeneity run to their limits
    rng = np.random.default_rng(20261202)
    rows = []
    for customer, rate in enumerate(rng.gamma(2.0, 0.05, size=400)):
        start = int(rng.integers(0, 100))
        days = start + np.flatnonzero(rng.random(365 - start) < rate)
        rows += [f"c{customer},{dt.date(2024, 1, 1) + dt.timedelta(int(d))},20.00\n" for d in days]
    source = write_csv(tmp_path / "steady.csv", "cid,day,value\n" + "".join(rows))
    out = tmp_path / "scores.csv"
    done = run_score(
        str(source), "--customer-col", "cid", "--date-col", "day", "--amount-col", "value",
        "--observation-end", "2024-12-30", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "NBD (no dropout): r " in done.stderr
    assert "one common mean spend, 20 per transaction" in done.stderr
    table = pv.read_csv(out)
    assert np.all(table.column("probability_alive").to_numpy() == 1.0)
    spend = table.column("expected_spend").to_numpy()
    assert np.allclose(spend, 20.0, rtol=1e-12)


# -- covariates --------------------------------------------------------------------------------

SCORED = ["customer_id", "frequency", "recency", "T", "probability_alive", "expected_purchases",
          "recency_score", "frequency_score", "monetary_score", "segment", "monetary_value",
          "expected_spend", "clv"]  # fmt: skip


def members_files(tmp_path: Path, n: int = 1500) -> tuple[Path, Path]:
    """Purchases of BG/NBD customers where members buy twice as fast, and who is a member."""
    rng = np.random.default_rng(20260114)
    member = (rng.random(n) < 0.5) * 1.0
    region = np.where(rng.random(n) < 0.3, "south", "north")
    truth = relmark.BetaGeo(r=0.6, alpha=4.0, a=0.8, b=2.4).with_coefficients(
        {"purchase[member]": np.log(2.0)}
    )
    start = rng.uniform(0.0, 13.0, n)
    who = relmark.Covariates(names=("member",), values=member[:, None])
    owner, after = truth.simulate_purchase_times(n, 78.0 - start, rng=rng, covariates=who)
    ids = np.concatenate([np.arange(n), owner])
    days = np.floor(np.concatenate([start, start[owner] + after]) * 7).astype(int)
    dates = (np.datetime64("2024-01-01") + days).astype(str)
    amounts = np.round(rng.gamma(4.0, 8.0, ids.size), 2)
    rows = "".join(f"c{c},{d},{a}\n" for c, d, a in zip(ids, dates, amounts, strict=True))
    purchases = write_csv(tmp_path / "purchases.csv", "cid,day,value\n" + rows)
    table = "".join(
        f"c{c};{int(m)};{r}\n" for c, m, r in zip(range(n), member, region, strict=True)
    )
    return purchases, write_csv(tmp_path / "who.csv", "cid;member;region\n" + table)


def score_with_covariates(purchases: Path, out: Path, *more: str) -> list[str]:
    return ["score", str(purchases), "--customer-col", "cid", "--date-col", "day", "--amount-col",
            "value", "--observation-end", "2025-06-30", "--out", str(out), *more]  # fmt: skip


@pytest.mark.parametrize("holdout", [[], ["--holdout", "26"]])
def test_score_fits_every_model_with_the_covariates_and_reports_their_multipliers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], holdout: list[str]
) -> None:
    purchases, who = members_files(tmp_path)
    out = tmp_path / "scores.csv"
    assert main(score_with_covariates(purchases, out, "--covariates", str(who), *holdout)) == 0
    lines = [line.removeprefix("relmark: ") for line in capsys.readouterr().err.splitlines()]
    assert any(
        line.startswith("covariates of every customer: member, region=south") for line in lines
    )
    chosen = next(line for line in lines if line.startswith("chose "))
    name = chosen.removeprefix("chose ").split(":")[0]
    for model in ("BG/NBD", "MBG/NBD", "Pareto/NBD"):  # every candidate, with both covariates
        fits = [line for line in lines if line.startswith(f"{model}: r ")]
        assert fits and all("purchase[member] " in f and "[region=south] " in f for f in fits)
    spend_line = next(line for line in lines if line.startswith("Gamma-Gamma: p "))
    assert "spend[member] " in spend_line and "spend[region=south] " in spend_line
    # the scores are the API's: the chosen class fitted with the covariates on all customers
    table = pv.read_csv(who, parse_options=pv.ParseOptions(delimiter=";"))
    log = relmark.read_transactions(purchases, customer="cid", timestamp="day", amount="value")
    summary = log.summarize("2025-06-30", unit="W").with_covariates(table, id_column="cid")
    names = ["member", "region=south"]
    model = CANDIDATES[name].fit(summary, covariates=names)
    multiplier = model.params["purchase[member]"]
    stderr = model.fit_info.stderr["purchase[member]"]  # type: ignore[union-attr]
    assert f"purchase[member] {multiplier:.4g} (s.e. {stderr:.2g})" in "\n".join(lines)
    assert 1.6 < multiplier < 2.5  # the truth is 2
    written = pv.read_csv(out)
    assert written.column_names == SCORED and written.num_rows == 1500
    np.testing.assert_allclose(
        written.column("probability_alive").to_numpy(), model.probability_alive(summary), rtol=1e-9
    )
    spend = relmark.GammaGamma.fit(
        summary.subset((summary.frequency > 0) & (summary.monetary_value > 0)), covariates=names
    )
    np.testing.assert_allclose(
        written.column("expected_spend").to_numpy(), spend.expected_spend(summary), rtol=1e-9
    )


@pytest.mark.parametrize(
    ("change", "more", "message"),
    [
        ("drop c7", [], "who.csv: 1 of 1,500 customers of the summary are not in "),
        ("blank c3", [], "who.csv: line 5, column 'member': the value is missing"),
        ("", ["--covariate", "income"],
         "who.csv: no column 'income' (columns) in the header; the columns are 'cid', "
         "'member', 'region'"),
        ("", ["--covariates-id", "id"], "who.csv: no column 'id' (id_column) in the header"),
    ],
)  # fmt: skip
def test_a_bad_covariates_file_is_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: str, more: list[str], message: str
) -> None:
    purchases, who = members_files(tmp_path, n=1500)
    if change:
        action, customer = change.split()
        edited = "" if action == "drop" else rf"{customer};;"
        who.write_text(re.sub(rf"(?m)^{customer};[01];" + (".*\n" if edited == "" else ""),
                              edited, who.read_text()))  # fmt: skip
    out = tmp_path / "scores.csv"
    code = main(score_with_covariates(purchases, out, "--covariates", str(who), *more))
    err = capsys.readouterr().err.splitlines()
    assert code == 2 and not out.exists()
    assert err[-1].startswith("relmark score: error: ") and message in err[-1], err[-1]
    assert not any(line.startswith("relmark score: error:") for line in err[:-1])


def test_covariate_columns_without_a_covariates_file_are_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "scores.csv"
    assert main(score_with_covariates(tmp_path / "x.csv", out, "--covariate", "member")) == 2
    assert capsys.readouterr().err.strip() == (
        "relmark score: error: --covariate choose columns of --covariates FILE: give the file "
        "(see relmark score --help)"
    )


def test_the_limits_leave_the_covariates_out_and_say_so(tmp_path: Path) -> None:
    # as in the test above: nobody leaves and spend never varies, now with a covariate that
    # changes nothing; the limits (NBD, one common mean spend) take no covariates
    rng = np.random.default_rng(20261202)
    rows, members = [], []
    for customer, rate in enumerate(rng.gamma(2.0, 0.05, size=400)):
        start = int(rng.integers(0, 100))
        days = start + np.flatnonzero(rng.random(365 - start) < rate)
        rows += [f"c{customer},{dt.date(2024, 1, 1) + dt.timedelta(int(d))},20.00\n" for d in days]
        members.append(f"c{customer},{int(rng.random() < 0.5)}\n")
    source = write_csv(tmp_path / "steady.csv", "cid,day,value\n" + "".join(rows))
    who = write_csv(tmp_path / "who.csv", "cid,member\n" + "".join(members))
    out = tmp_path / "scores.csv"
    done = run_score(
        str(source), "--customer-col", "cid", "--date-col", "day", "--amount-col", "value",
        "--observation-end", "2024-12-30", "--covariates", str(who), "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    err = " ".join(done.stderr.replace("relmark: ", "").split())
    assert "NBD (no dropout): r " in err
    assert "The NBD takes no covariates: the limit leaves out member" in err
    assert "one common mean spend, 20 per transaction" in err
    assert "The common mean spend takes no covariates: it leaves out member" in err
    table = pv.read_csv(out)
    assert table.column_names == SCORED
    assert np.all(table.column("probability_alive").to_numpy() == 1.0)
    assert np.allclose(table.column("expected_spend").to_numpy(), 20.0, rtol=1e-12)


def test_covariates_read_from_parquet_keep_their_types_and_refuse_missing_values(
    tmp_path: Path,
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from relmark.io import read_covariates

    file = tmp_path / "who.parquet"
    columns = {"cid": ["a", "b", "c"], "age": [31.0, 45.5, 27.0], "vip": [True, False, True]}
    pq.write_table(pa.table(columns), file)
    table = read_covariates(file, id_column="cid", columns=["vip"])
    assert list(table) == ["cid", "vip"] and table["vip"].tolist() == [True, False, True]
    assert read_covariates(file, id_column="cid")["age"].dtype == np.float64
    pq.write_table(pa.table({**columns, "age": [31.0, None, 27.0]}), file)
    with pytest.raises(relmark.ValidationError, match=r"who.parquet: row 2, column 'age': the "
                       r"value is missing"):  # fmt: skip
        read_covariates(file, id_column="cid")
    with pytest.raises(relmark.ValidationError, match="no covariate columns besides 'cid'"):
        read_covariates(file, id_column="cid", columns=[])
