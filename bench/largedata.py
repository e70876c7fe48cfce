"""4. Large data, and how the figures grow with the rows already in the tables: the first page
of the overdue board and of a filtered search (p95), two web pages under load while intake runs
(bench/pages.py), intake, routing, the register as files (at the largest size), and a deadline
sweep."""

import asyncio
import time

import httpx

from bench.datagen import generate, make_clocks_due, open_counts
from bench.intake import intake_figures, measure_intake
from bench.load import LoadResult, median, percentile
from bench.pages import (
    INTAKE_RATE,
    PageLoad,
    generated_reference,
    measure_pages,
    measure_register,
    page_figures,
    posted_reference,
)
from bench.report import Figure, Results, at_most
from bench.routing import measure_latencies
from bench.stack import BenchStack, bench_stack, token, wait_for

QUERIES = {
    "overdue, first page": ("/api/v1/overdue", "manager"),
    "complaints filtered, first page": (
        "/api/v1/complaints?status=with_quality&severity=major&limit=50",
        "manager",
    ),
}
REQUESTS = 40


def query_p95(bench: BenchStack) -> dict[str, float]:
    """p95 in ms of each page, over ``REQUESTS`` requests one after another."""
    figures = {}
    with httpx.Client(base_url=bench.api_url, timeout=60) as client:
        headers = {"Authorization": f"Bearer {token(bench.api_url, 'manager')}"}
        for name, (path, _) in QUERIES.items():
            client.get(path, headers=headers).raise_for_status()  # warm
            times = []
            for _ in range(REQUESTS):
                began = time.perf_counter()
                client.get(path, headers=headers).raise_for_status()
                times.append((time.perf_counter() - began) * 1000)
            figures[name] = percentile(times, 95)
    return figures


def measure_sweep(results: Results, bench: BenchStack, due: int) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.sweep_deadlines import sweep_deadlines

    # Prefect read its settings when first imported: point it at this stack's server.
    with temporary_settings({PREFECT_API_URL: bench.settings.prefect_api_url}):
        _sweep(results, bench, due, sweep_deadlines)


def _sweep(results: Results, bench: BenchStack, due: int, sweep_deadlines) -> None:
    tasks, clocks = open_counts()
    idle_began = time.perf_counter()
    asyncio.run(sweep_deadlines())
    idle = time.perf_counter() - idle_began
    made_due = make_clocks_due(due)
    mails_before, reminders_before = _reminder_mails(bench), _reminders_queued()
    began = time.perf_counter()
    report = asyncio.run(sweep_deadlines())
    seconds = time.perf_counter() - began
    swept_at = time.time()
    reminders = _reminders_queued() - reminders_before
    results.add(
        Figure(
            "large data",
            f"deadline sweep, {made_due:,} clocks due among {clocks:,} running",
            seconds,
            "s",
            idle,
            "the same sweep with nothing due",
            "<= 5 s",
            at_most(seconds, 5),
            f"{tasks:,} open tasks; {report.clocks} clocks reminded, {reminders} reminders",
        )
    )
    _reminders_mailed(results, bench, mails_before, reminders, swept_at)


def _reminders_queued() -> int:
    from sqlmodel import col, func, select

    from models.notification import NoticeKind, Notification
    from workflow.db import read_session

    with read_session() as session:
        return session.exec(
            select(func.count())
            .select_from(Notification)
            .where(col(Notification.kind) == NoticeKind.reminder)
        ).one()


def _reminder_mails(bench: BenchStack) -> list[float]:
    return sorted(
        when for when, headers in bench.mails() if headers.get("Subject", "").startswith("Reminder")
    )


def _reminders_mailed(
    results: Results, bench: BenchStack, before: list[float], reminders: int, swept_at: float
) -> None:
    """Seconds from the sweep's end until the SMTP catcher holds every reminder it queued
    (the relay sends them; 0 if the sweep mailed them itself)."""
    arrived: list[float] = []

    def all_arrived() -> bool:
        arrived[:] = _reminder_mails(bench)[len(before) :]
        return len(arrived) >= reminders

    complete = wait_for(all_arrived, timeout=300, interval=0.5)
    seconds = max(0.0, (arrived[-1] if arrived else time.time()) - swept_at)
    results.add(
        Figure(
            "large data",
            f"{reminders:,} reminders at the SMTP catcher, after the sweep",
            seconds,
            "s",
            target="<= 60 s",
            met=complete and at_most(seconds, 60),
            note="" if complete else f"only {len(arrived):,} arrived within 300 s",
        )
    )


def measure_large_data(
    results: Results,
    bench: BenchStack,
    *,
    sizes: list[int],
    sweep_due: int,
    intake_seconds: float,
    pages_seconds: float,
) -> None:
    """Grow the tables to each size in turn; measure at each."""
    generated = 0
    empty: dict[str, float] = {}
    empty_intake: LoadResult | None = None
    empty_pages: dict[float, PageLoad] = {}
    for size in [0, *sizes]:
        if size > generated:
            seconds = generate(generated, size)
            print(f"  generated {size - generated:,} complaints in {seconds:.0f} s", flush=True)
            generated = size
        label = f"with {size:,} complaints" if size else "empty tables"
        pages = query_p95(bench)
        if not size:
            empty = pages
        for name, p95 in pages.items():
            results.add(
                Figure(
                    "large data",
                    f"{name}, p95, {label}",
                    p95,
                    "ms",
                    empty[name],
                    "empty tables",
                    "<= 50 ms",
                    at_most(p95, 50),
                )
            )
        reference = generated_reference(size) if size else posted_reference(bench)
        for intake_rate in (0.0, INTAKE_RATE):  # the pages' own cost, then with the machine busy
            pages_load = measure_pages(bench, reference, pages_seconds, intake_rate)
            empty_pages.setdefault(intake_rate, pages_load)
            page_figures(results, pages_load, empty_pages[intake_rate], label, reference)
        baseline_runs, product_runs = measure_intake(bench, seconds=intake_seconds, rounds=1)
        intake_figures(results, baseline_runs, product_runs, label=label)
        if empty_intake is None:
            empty_intake = product_runs[0]
        latencies, lost = measure_latencies(bench, rate=1, count=10)
        results.add(
            Figure(
                "large data",
                f"routing median at 1/s, {label}",
                median(latencies),
                "s",
                target="<= 0.3 s",
                met=at_most(median(latencies), 0.3) and not lost,
                note=f"{lost} not routed" if lost else "",
            )
        )
    measure_register(results, bench, generated)
    measure_sweep(results, bench, sweep_due)


def main() -> None:
    """``python -m bench.largedata [--complaints N] [--due N] [--out DIR]``: only the sweep,
    on tables of that size; writes DIR/sweep.json and sweep.md (never bench/results)."""
    import argparse
    import tempfile
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m bench.largedata", description=main.__doc__)
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=2_000)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    results = Results(mode=f"sweep only, {args.complaints:,} complaints")
    with bench_stack() as bench:
        seconds = generate(0, args.complaints)
        print(f"  generated {args.complaints:,} complaints in {seconds:.0f} s", flush=True)
        measure_sweep(results, bench, args.due)
    print("written:", *results.write(args.out, "sweep"))


if __name__ == "__main__":
    main()
