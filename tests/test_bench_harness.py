"""`make bench` still works: the harness runs end to end at tiny sizes and writes its results.

Times are not asserted (benchmarks are not timed tests); only that every section produced its
figures, each with a target verdict, and the Markdown table.
"""

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
SECTIONS = {"intake", "routing", "notifications", "burst", "large data", "footprint", "calendar"}


def run_bench(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """``python -m bench`` as a user runs it: none of this test run's settings."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CW_", "PREFECT_"))}
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.skipif(
    bool(os.environ.get("CW_TEST_DATABASE_URL")),
    reason="the benchmarks run on their own SQLite database; checked in the SQLite run",
)
def test_the_benchmark_harness_writes_every_section(tmp_path):
    finished = run_bench("--smoke", "--out", str(tmp_path), timeout=900)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    results = json.loads((tmp_path / "latest.json").read_text())
    assert results["mode"] == "smoke"
    assert results["errors"] == {}
    assert {f["section"] for f in results["figures"]} == SECTIONS
    for figure in results["figures"]:
        assert figure["value"] is not None, figure
        assert figure["target"], figure
        assert figure["met"] in (True, False), figure
    table = (tmp_path / "latest.md").read_text()
    assert table.count("\n| ") == len(results["figures"]) + 2  # header, rule, a row each
    names = [f["name"] for f in results["figures"] if f["section"] == "large data"]
    for figure in (
        "quality queue page alone, p95, empty tables",
        "complaint page alone, p95, with ",
        "quality queue page under load, p95, empty tables",
        "complaint page under load, p95, empty tables",
        "quality queue page under load, p95, with ",
        "complaint page under load, p95, with ",
        "register as PDF, ",
        "register as XLSX, ",
    ):
        assert any(name.startswith(figure) for name in names), (figure, names)
    burst = {f["name"]: f["value"] for f in results["figures"] if f["section"] == "burst"}
    assert burst["lost (no task or no acknowledgement)"] == 0
    assert burst["duplicate mails at the SMTP server"] == 0


def _postgres_installed() -> bool:
    from bench.pgcluster import postgres_installed

    return postgres_installed()


def _accepts_connections(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(not _postgres_installed(), reason="needs PostgreSQL's binaries (initdb)")
def test_a_postgres_run_says_so_in_its_results_and_removes_its_cluster(tmp_path):
    finished = run_bench(
        "--postgres", "--smoke", "--only", "calendar", "--out", str(tmp_path), timeout=300
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    started = re.search(r"PostgreSQL cluster in (\S+) on port (\d+)", finished.stdout)
    assert started, finished.stdout
    assert not Path(started[1]).exists()
    assert not _accepts_connections(int(started[2]))
    results = json.loads((tmp_path / "latest.json").read_text())
    assert results["database"] == "PostgreSQL"
    assert "on PostgreSQL" in (tmp_path / "latest.md").read_text()
