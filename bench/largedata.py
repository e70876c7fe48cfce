"""4. Large data, and how the figures grow with the rows already in the tables: the first page
of the overdue board and of a filtered search (p95), intake, routing, and a deadline sweep."""

import asyncio
import time

import httpx

from bench.datagen import generate, make_clocks_due, open_counts
from bench.intake import intake_figures, measure_intake
from bench.load import LoadResult, median, percentile
from bench.report import Figure, Results, at_most
from bench.routing import measure_latencies
from bench.stack import BenchStack, token

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
        _sweep(results, due, sweep_deadlines)


def _sweep(results: Results, due: int, sweep_deadlines) -> None:

    tasks, clocks = open_counts()
    idle_began = time.perf_counter()
    asyncio.run(sweep_deadlines())
    idle = time.perf_counter() - idle_began
    made_due = make_clocks_due(due)
    began = time.perf_counter()
    report = asyncio.run(sweep_deadlines())
    seconds = time.perf_counter() - began
    results.add(
        Figure(
            "large data",
            f"deadline sweep, {made_due:,} clocks due among {clocks:,} running",
            seconds,
            "s",
            idle,
            "the same sweep with nothing due",
            "<= 10 s",
            at_most(seconds, 10),
            f"{tasks:,} open tasks; {report.clocks} clocks reminded, "
            f"{report.notices_sent} mails sent",
        )
    )


def measure_large_data(
    results: Results, bench: BenchStack, *, sizes: list[int], sweep_due: int, intake_seconds: float
) -> None:
    """Grow the tables to each size in turn; measure at each."""
    generated = 0
    empty: dict[str, float] = {}
    empty_intake: LoadResult | None = None
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
                target="<= 1 s",
                met=at_most(median(latencies), 1) and not lost,
                note=f"{lost} not routed" if lost else "",
            )
        )
    measure_sweep(results, bench, sweep_due)
