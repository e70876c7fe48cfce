"""Scale-out: intake with one and two API worker processes, the burst with one and two relays.

Meant for PostgreSQL (``python -m bench --postgres``), where writers do not share one lock.
Intake is measured as in ``bench/intake.py`` (16 keep-alive connections, closed loop,
alternating rounds against the bare insert endpoint with as many workers, relay stopped);
the burst as in ``bench/burst.py`` (every complaint routed and acknowledged, lost and duplicate
mails counted at the SMTP server). The machine's cores and how busy they were are recorded, so
a ratio can be read against what the cores allowed.
"""

import os
import time
from dataclasses import dataclass

import psutil

from bench.burst import TARGET_COUNT, TARGET_SECONDS
from bench.intake import CONCURRENCY, _baseline_request
from bench.load import closed_loop, median, post_all
from bench.report import Figure, Results, at_least, at_most
from bench.stack import BenchStack, free_port, token
from bench.workload import intake_request, wait_until_idle, wait_until_routed

INTAKE_SPEED_UP = 1.7  # two API workers against one (issue 16)
BURST_TIME_RATIO = 0.6  # two relays against one


@dataclass
class Busy:
    """Cores in use over a measurement: the whole machine's, and one process tree's."""

    machine_cores: float
    tree_cores: float


def _machine_busy_seconds() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


class CpuMeter:
    """``with CpuMeter(pids) as meter: ...``, then ``meter.busy``: cores used meanwhile by the
    process trees of ``pids`` together, and by the whole machine."""

    def __init__(self, pids: list[int]) -> None:
        self.roots = [psutil.Process(pid) for pid in pids]

    def _trees_seconds(self) -> float:
        total = 0.0
        for root in self.roots:
            for process in [root, *root.children(recursive=True)]:
                try:
                    times = process.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                total += times.user + times.system
        return total

    def __enter__(self) -> "CpuMeter":
        self.began = time.perf_counter()
        self.trees_began, self.machine_began = self._trees_seconds(), _machine_busy_seconds()
        return self

    def __exit__(self, *_: object) -> None:
        seconds = time.perf_counter() - self.began
        self.busy = Busy(
            machine_cores=(_machine_busy_seconds() - self.machine_began) / seconds,
            tree_cores=(self._trees_seconds() - self.trees_began) / seconds,
        )


@dataclass
class IntakeRun:
    product_rps: float
    baseline_rps: float
    product_p99_ms: float
    errors: int
    busy: Busy


def _intake_with(bench: BenchStack, workers: int, *, seconds: float, rounds: int) -> IntakeRun:
    name = f"api-{workers}w"
    baseline_url = bench.start_api(
        "bench.baseline_app:app", name=f"baseline-{workers}w", port=free_port(), workers=workers
    )
    api_url = bench.start_api(name=name, port=free_port(), workers=workers)
    request_for = intake_request(token(api_url))
    closed_loop(baseline_url, _baseline_request, concurrency=CONCURRENCY, seconds=2)  # warm up
    closed_loop(api_url, request_for, concurrency=CONCURRENCY, seconds=2)
    baseline, product, busy = [], [], []
    for _ in range(rounds):
        baseline.append(
            closed_loop(baseline_url, _baseline_request, concurrency=CONCURRENCY, seconds=seconds)
        )
        with CpuMeter([bench.stack.processes[name].pid]) as meter:
            product.append(
                closed_loop(api_url, request_for, concurrency=CONCURRENCY, seconds=seconds)
            )
        busy.append(meter.busy)
    bench.stop_process(f"baseline-{workers}w")
    bench.stop_process(name)
    return IntakeRun(
        product_rps=median([r.per_second for r in product]),
        baseline_rps=median([r.per_second for r in baseline]),
        product_p99_ms=median([r.percentile(99) for r in product]) * 1000,
        errors=sum(r.errors for r in product),
        busy=Busy(median([b.machine_cores for b in busy]), median([b.tree_cores for b in busy])),
    )


def measure_intake_scaling(
    results: Results, bench: BenchStack, *, seconds: float, rounds: int
) -> None:
    """One API worker, then two, each beside the bare endpoint with as many workers."""
    from bench.baseline_app import create_table

    create_table()
    bench.stop_process("relay")  # intake alone; the backlog is routed afterwards
    runs = {w: _intake_with(bench, w, seconds=seconds, rounds=rounds) for w in (1, 2)}
    bench.start_relay()
    wait_until_idle()
    cores = os.cpu_count() or 1
    for workers, run in runs.items():
        results.add(
            Figure(
                "scale-out",
                f"intake, {workers} API worker{'s' if workers > 1 else ''}",
                run.product_rps,
                "req/s",
                run.baseline_rps,
                f"bare insert endpoint, {workers} worker{'s' if workers > 1 else ''}",
                ">= 1.0x baseline",
                at_least(run.product_rps / run.baseline_rps, 1.0),
                f"p99 {run.product_p99_ms:.0f} ms; {run.errors} errors; API workers used "
                f"{run.busy.tree_cores:.2f} cores, the machine {run.busy.machine_cores:.2f} "
                f"of {cores}",
            )
        )
    one, two = runs[1], runs[2]
    results.add(
        Figure(
            "scale-out",
            "intake, two API workers against one",
            two.product_rps,
            "req/s",
            one.product_rps,
            "one API worker",
            f">= {INTAKE_SPEED_UP}x one worker",
            at_least(two.product_rps / one.product_rps, INTAKE_SPEED_UP),
            f"the bare endpoint: {two.baseline_rps / one.baseline_rps:.2f}x; machine "
            f"{two.busy.machine_cores:.2f} of {cores} cores busy with two workers",
        )
    )


@dataclass
class BurstRun:
    seconds: float
    lost: int  # not routed and acknowledged, refused at the POST included
    refused: int
    duplicates: int
    relay_cores: float
    machine_cores: float


def _burst(bench: BenchStack, relays: list[str], *, count: int) -> BurstRun:
    wait_until_idle()
    duplicates_before = _duplicates(bench)
    began = time.time()
    with CpuMeter([bench.stack.processes[r].pid for r in relays]) as meter:
        posted = post_all(
            bench.api_url,
            intake_request(token(bench.api_url)),
            count=count,
            concurrency=CONCURRENCY,
        )
        references = [body["reference"] for _, _, body in posted.answers]
        done, per_notice, ended = wait_until_routed(bench, references, timeout=900)
    seconds = max(done.values(), default=ended) - began
    return BurstRun(
        seconds=seconds,
        lost=count - len(done),
        refused=posted.errors,
        duplicates=sum(n - 1 for n in per_notice.values() if n > 1) - duplicates_before,
        relay_cores=meter.busy.tree_cores,
        machine_cores=meter.busy.machine_cores,
    )


def _duplicates(bench: BenchStack) -> int:
    from bench.workload import acknowledgement_times

    _, per_notice = acknowledgement_times(bench)
    return sum(n - 1 for n in per_notice.values() if n > 1)


def measure_relay_scaling(results: Results, bench: BenchStack, *, count: int) -> None:
    """The same burst with the stack's relay alone, then with a second relay process."""
    one = _burst(bench, ["relay"], count=count)
    bench.start_relay("relay-2")
    try:
        two = _burst(bench, ["relay", "relay-2"], count=count)
    finally:
        bench.stop_process("relay-2")
    cores = os.cpu_count() or 1
    needed = TARGET_COUNT / TARGET_SECONDS
    for relays, run in ((1, one), (2, two)):
        rate = (count - run.lost) / run.seconds if run.seconds else 0.0
        results.add(
            Figure(
                "scale-out",
                f"burst, {relays} relay{'s' if relays > 1 else ''}: routed and acknowledged "
                "per second",
                rate,
                "complaints/s",
                target=f">= {needed:.1f}/s (10,000 in {TARGET_SECONDS:.0f} s)",
                met=at_least(rate, needed),
            )
        )
        results.add(
            Figure(
                "scale-out",
                f"burst of {count:,}, {relays} relay{'s' if relays > 1 else ''}: "
                "lost / duplicate mails",
                run.lost + run.duplicates,
                "complaints + mails",
                target="0",
                met=run.lost == 0 and run.duplicates == 0,
                note=f"{run.lost} lost ({run.refused} refused at the POST after 5 tries), "
                f"{run.duplicates} duplicates; routed and acknowledged "
                f"in {run.seconds:.1f} s; relays used {run.relay_cores:.2f} cores, the machine "
                f"{run.machine_cores:.2f} of {cores}",
            )
        )
    results.add(
        Figure(
            "scale-out",
            f"burst of {count:,} routed and acknowledged, two relays against one",
            two.seconds,
            "s",
            one.seconds,
            "one relay",
            f"<= {BURST_TIME_RATIO}x one relay",
            at_most(two.seconds / one.seconds, BURST_TIME_RATIO),
        )
    )
