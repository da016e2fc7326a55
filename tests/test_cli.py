from __future__ import annotations

import subprocess
import sys

import pytest

from relmark.__main__ import demo, main


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
