"""`python -m bench [--full | --smoke] [--postgres] [--only SECTION ...] [--out DIR]`: run the
benchmarks, print each figure, write <out>/latest.json and latest.md (bench/results by default).

With --postgres, a throwaway PostgreSQL cluster holds our tables and the Prefect server's
(bench/pgcluster.py), and the default sections are intake, routing, burst and scale-out."""

import argparse
import signal
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench.report import RESULTS_DIR, Results

if TYPE_CHECKING:
    from bench.pgcluster import PostgresCluster

SECTIONS = (
    "intake",
    "routing",
    "burst",
    "notifications",
    "large-data",
    "footprint",
    "calendar",
    "scale-out",
)
DEFAULT_SECTIONS = SECTIONS[:-1]  # scale-out is about PostgreSQL: SQLite has one writer
POSTGRES_SECTIONS = ("intake", "routing", "burst", "scale-out")
STACK_SECTIONS = {"intake", "routing", "burst", "notifications", "large-data", "scale-out"}


@dataclass(frozen=True)
class Sizes:
    intake_seconds: float
    intake_rounds: int
    light_count: int
    busy_count: int
    event_baseline_count: int
    burst: int
    notices: int
    large: list[int]
    sweep_due: int
    growth_intake_seconds: float
    pages_seconds: float = 15  # web pages under load, at each large-data size
    calendar_repeat: int = 300


MODES = {
    "smoke": Sizes(2, 1, 3, 10, 0, 20, 10, [2_000], 20, 1, pages_seconds=4, calendar_repeat=10),
    "quick": Sizes(8, 2, 20, 200, 4, 1_000, 300, [10_000, 100_000], 500, 4),
    "full": Sizes(
        20, 3, 60, 1_200, 8, 10_000, 1_000, [10_000, 100_000, 1_000_000], 2_000, 8, pages_seconds=30
    ),
}


def run(mode: str, only: list[str], out: Path, cluster: "PostgresCluster | None" = None) -> Results:
    from bench.burst import measure_burst
    from bench.calendar import measure_calendar
    from bench.footprint import measure_make_run
    from bench.intake import intake_figures, measure_intake
    from bench.largedata import measure_large_data
    from bench.load import median
    from bench.notify import measure_notifications
    from bench.routing import measure_event_trigger_baseline, measure_latencies, routing_figures
    from bench.scaleout import measure_intake_scaling, measure_relay_scaling
    from bench.stack import bench_stack, prefect_busy_answers

    sizes = MODES[mode]
    results = Results(mode=mode, database="PostgreSQL" if cluster else "SQLite")
    wanted = set(only or (POSTGRES_SECTIONS if cluster else DEFAULT_SECTIONS))
    environment = cluster.fresh_environment if cluster else dict

    def section(name: str, body) -> None:
        if name not in wanted:
            return
        print(f"== {name}", flush=True)
        try:
            body()
        except Exception as exc:  # a failed section is reported, the others still run
            traceback.print_exc()
            # Results are committed: no path of this machine in them (the interpreter's).
            error = str(exc).replace(sys.executable, "python")
            results.errors[name] = f"{type(exc).__name__}: {error}"

    section("calendar", lambda: measure_calendar(results, repeat=sizes.calendar_repeat))
    if not wanted & STACK_SECTIONS:
        section("footprint", lambda: measure_make_run(results))
        return _written(results, out)
    with bench_stack(environment=environment()) as bench:

        def intake() -> None:
            baseline_runs, product_runs = measure_intake(
                bench, seconds=sizes.intake_seconds, rounds=sizes.intake_rounds
            )
            intake_figures(results, baseline_runs, product_runs)

        def routing() -> None:
            baseline = None
            if sizes.event_baseline_count:
                event = measure_event_trigger_baseline(
                    bench, count=sizes.event_baseline_count, gap=2.0
                )
                baseline = median(event) if event else None
            for rate, count, limits in (
                (1, sizes.light_count, (0.3, 1)),
                (20, sizes.busy_count, (1, 2)),
            ):
                busy_before = prefect_busy_answers(bench)
                latencies, lost = measure_latencies(bench, rate=rate, count=count)
                busy = prefect_busy_answers(bench) - busy_before
                routing_figures(results, f"{rate}/s", latencies, lost, limits, baseline, busy)

        section("intake", intake)
        section("routing", routing)
        section("notifications", lambda: measure_notifications(results, bench, count=sizes.notices))
        section("burst", lambda: measure_burst(results, bench, count=sizes.burst))

        def scale_out() -> None:
            measure_intake_scaling(
                results, bench, seconds=sizes.intake_seconds, rounds=sizes.intake_rounds
            )
            measure_relay_scaling(results, bench, count=sizes.burst)

        section("scale-out", scale_out)
    if "large-data" not in wanted:
        section("footprint", lambda: measure_make_run(results))
        return _written(results, out)
    with bench_stack(environment=environment()) as bench:
        section(
            "large-data",
            lambda: measure_large_data(
                results,
                bench,
                sizes=sizes.large,
                sweep_due=sizes.sweep_due,
                intake_seconds=sizes.growth_intake_seconds,
                pages_seconds=sizes.pages_seconds,
            ),
        )
    section("footprint", lambda: measure_make_run(results))
    return _written(results, out)


def _written(results: Results, out: Path) -> Results:
    json_path, md_path = results.write(out)
    print(f"\nwritten: {json_path}, {md_path}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--full", action="store_true", help="the issue's sizes (about an hour)")
    group.add_argument("--smoke", action="store_true", help="tiny sizes: checks the harness")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="on a throwaway PostgreSQL cluster (ours and the Prefect server's tables)",
    )
    parser.add_argument("--only", nargs="*", choices=SECTIONS, default=[])
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args()
    mode = "full" if args.full else "smoke" if args.smoke else "quick"
    # A plain `kill` must also stop the processes and remove the cluster (finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.postgres:
        from bench.pgcluster import postgres_cluster

        with postgres_cluster() as cluster:
            results = run(mode, args.only, args.out, cluster)
    else:
        results = run(mode, args.only, args.out)
    if results.errors:
        raise SystemExit(f"sections failed: {', '.join(results.errors)}")


if __name__ == "__main__":
    main()
