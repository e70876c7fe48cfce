"""1. Intake: POST /api/v1/complaints against a bare insert endpoint, same engine and server."""

from bench.load import LoadResult, closed_loop, median
from bench.report import Figure, Results, at_least, at_most
from bench.stack import BenchStack, free_port, token
from bench.workload import complaint_body, intake_request, wait_until_idle

CONCURRENCY = 16


def _baseline_request(index: int) -> dict:
    body = complaint_body(index)
    return {
        "method": "POST",
        "url": "/items",
        "json": {"product": body["product"], "description": body["description"]},
    }


def measure_intake(
    bench: BenchStack, *, seconds: float, rounds: int = 2
) -> tuple[list[LoadResult], list[LoadResult]]:
    """Alternate baseline and product, ``rounds`` times each, so drift hits both alike.

    The relay is stopped meanwhile: this is the intake path alone (what routing costs on top
    is the burst's figure); the backlog is routed before the next measurement."""
    bench.stop_process("relay")
    baseline_url = bench.start_api("bench.baseline_app:app", name="baseline", port=free_port())
    request_for = intake_request(token(bench.api_url))
    closed_loop(baseline_url, _baseline_request, concurrency=CONCURRENCY, seconds=1)  # warm up
    closed_loop(bench.api_url, request_for, concurrency=CONCURRENCY, seconds=1)
    baseline_runs, product_runs = [], []
    for _ in range(rounds):
        baseline_runs.append(
            closed_loop(baseline_url, _baseline_request, concurrency=CONCURRENCY, seconds=seconds)
        )
        product_runs.append(
            closed_loop(bench.api_url, request_for, concurrency=CONCURRENCY, seconds=seconds)
        )
    bench.stop_process("baseline")
    bench.start_relay()
    wait_until_idle()
    return baseline_runs, product_runs


def intake_figures(
    results: Results,
    baseline_runs: list[LoadResult],
    product_runs: list[LoadResult],
    label: str = "",
) -> None:
    base_rps = median([r.per_second for r in baseline_runs])
    ours_rps = median([r.per_second for r in product_runs])
    base_p99 = median([r.percentile(99) for r in baseline_runs]) * 1000
    ours_p99 = median([r.percentile(99) for r in product_runs]) * 1000
    errors = sum(r.errors for r in product_runs)
    suffix = f" {label}" if label else ""
    results.add(
        Figure(
            "intake",
            f"throughput{suffix}",
            ours_rps,
            "req/s",
            base_rps,
            "bare insert endpoint",
            ">= 1.0x baseline",
            at_least(ours_rps / base_rps, 1.0),
            f"{CONCURRENCY} connections; {errors} errors",
        )
    )
    results.add(
        Figure(
            "intake",
            f"p99 latency{suffix}",
            ours_p99,
            "ms",
            base_p99,
            "bare insert endpoint",
            "<= 1.2x baseline",
            at_most(ours_p99 / base_p99, 1.2),
        )
    )
