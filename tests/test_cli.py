from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import relmark
import relmark.datasets
from relmark.__main__ import demo, main, scored_columns


def test_demo_report_fits_in_80_columns() -> None:
    report = demo()
    assert "2,357" in report and "6,919" in report
    assert max(len(line) for line in report.splitlines()) <= 80


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
    header, *lines = out.read_text().splitlines()
    assert header.split(",")[:2] == ["customer_id", "frequency"]
    assert len(lines) == 2357


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
    assert missing.returncode == 2 and "'id' (from --customer-col)" in missing.stderr


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
    written = np.genfromtxt(out, delimiter=",", names=True, dtype=None, encoding="utf-8")
    assert written.size == 23_570
    log = relmark.TransactionLog.from_arrays(
        table[:, 0], [f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in table[:, 1]], table[:, 3].astype(float)
    )
    summary = log.summarize("1997-09-30", unit="W")
    model = relmark.BetaGeo.fit(summary)
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
    model = relmark.BetaGeo.fit(summary)
    spend = relmark.GammaGamma.fit(summary)
    clv = relmark.customer_lifetime_value(
        model, spend, summary, horizon=26.0, discount_rate=0.01, margin=0.3
    )
    np.testing.assert_allclose(columns["clv"], clv)
    labels = relmark.rfm_segments(relmark.rfm_scores(summary))
    assert np.array_equal(columns["segment"], labels)


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
