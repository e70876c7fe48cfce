"""6. Footprint: the whole stack of `make run` (its launcher, `complaints run`, already
installed), from start to healthy, and its resident memory once up."""

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from bench.report import Figure, Results, at_most
from bench.stack import PYTHON, process_tree_rss_mb, use_environment

PROJECT_DIR = Path(__file__).resolve().parent.parent


def measure_make_run(results: Results) -> None:
    directory = Path(tempfile.mkdtemp(prefix="cw-bench-run-"))
    use_environment(directory, PREFECT_UI_ENABLED="true")
    began = time.perf_counter()
    launcher = subprocess.Popen(
        [PYTHON, "-m", "workflow.cli", "run"],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        up = None
        assert launcher.stdout is not None
        for line in launcher.stdout:
            if line.startswith("Stack up"):
                up = time.perf_counter() - began
                break
        if up is None:
            raise RuntimeError("`complaints run` ended before the stack was up")
        time.sleep(5)  # let the worker and the first scheduled runs settle
        rss = process_tree_rss_mb(launcher.pid)
        results.add(
            Figure(
                "footprint",
                "`make run` (installed) to healthy",
                up,
                "s",
                target="<= 30 s",
                met=at_most(up, 30),
                note="migrate, seed, SMTP, Prefect server + UI, relay, API, worker",
            )
        )
        results.add(
            Figure(
                "footprint",
                "whole `make run` stack, resident memory",
                rss,
                "MB",
                target="<= 1,536 MB",
                met=at_most(rss, 1536),
            )
        )
    finally:
        os.killpg(launcher.pid, signal.SIGTERM)
        try:
            launcher.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)
        shutil.rmtree(directory, ignore_errors=True)
