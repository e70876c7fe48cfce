"""2. Routing latency: from the POST's answer to quality's task and the acknowledgement mail
accepted by the SMTP server; beside it, the same route through an event-triggered deployment."""

import time

import httpx
from sqlmodel import col, select

from bench.load import median, open_loop, percentile
from bench.report import Figure, Results, at_most
from bench.stack import PYTHON, BenchStack, token, wait_for
from bench.workload import complaint_body, intake_request, wait_until_idle, wait_until_routed
from models.complaint import Complaint
from models.outbox import OutboxEvent
from workflow.db import read_session

# Complaints routed and not counted before a series: the first routing after another section
# (the event-triggered deployment's runs, a burst) took 2 s where the next took 0.3 s
# (bench/README.md, "Routing"); the figures are of routing as it runs, not of that first one.
WARM_UP = 3


def measure_latencies(bench: BenchStack, *, rate: float, count: int) -> tuple[list[float], int]:
    """Post ``count`` complaints at ``rate`` per second (after ``WARM_UP`` not counted); the
    seconds each took to be routed and acknowledged, in the order they were answered, and how
    many never were (within two minutes after the last)."""
    request = intake_request(token(bench.api_url))
    wait_until_idle()
    warm = open_loop(bench.api_url, request, rate=rate, count=WARM_UP)
    wait_until_routed(bench, [body["reference"] for _, _, body in warm.answers], timeout=120)
    wait_until_idle()
    posted = open_loop(bench.api_url, request, rate=rate, count=count)
    answered = {body["reference"]: done for _, done, body in posted.answers}
    done, _, _ = wait_until_routed(bench, list(answered), timeout=120 + count / 10)
    return [done[r] - answered[r] for r in answered if r in done], count - len(done)


def routing_figures(
    results: Results,
    label: str,
    latencies: list[float],
    lost: int,
    limits: tuple[float, float],
    baseline: float | None = None,
    prefect_busy: int | None = None,
) -> None:
    med, p95 = median(latencies), percentile(latencies, 95)
    slow = [str(n) for n, latency in enumerate(latencies, 1) if latency > limits[1]]
    tail = (
        f"{len(slow)} over {limits[1]:g} s"
        + (f": #{', #'.join(slow[:8])}" if slow else "")
        + (
            f"; the Prefect server answered 503 (database busy) {prefect_busy} times meanwhile, "
            "each retried by the relay's client 2 s later"
            if prefect_busy is not None
            else ""
        )
    )
    note = f"{len(latencies)} complaints" + (f", {lost} not routed" if lost else "")
    baseline_label = "event-triggered deployment" if baseline else ""
    results.add(
        Figure(
            "routing",
            f"median at {label}",
            med,
            "s",
            target=f"<= {limits[0]:g} s",
            met=at_most(med, limits[0]) and not lost,
            note=note,
            baseline=baseline,
            baseline_label=baseline_label,
        )
    )
    results.add(
        Figure(
            "routing",
            f"p95 at {label}",
            p95,
            "s",
            target=f"<= {limits[1]:g} s",
            met=at_most(p95, limits[1]) and not lost,
            note=tail,
        )
    )


def _event_id(reference: str) -> str:
    with read_session() as session:
        return session.exec(
            select(OutboxEvent.id)
            .join(Complaint, col(Complaint.id) == OutboxEvent.case_id)
            .where(Complaint.reference == reference)
        ).one()


def _deployment_ready(bench: BenchStack) -> bool:
    from bench.event_baseline import DEPLOYMENT

    answer = httpx.post(
        f"{bench.settings.prefect_api_url}/deployments/filter",
        json={"deployments": {"name": {"any_": [DEPLOYMENT]}}},
        timeout=5,
    )
    return answer.status_code == 200 and bool(answer.json())


def measure_event_trigger_baseline(bench: BenchStack, *, count: int, gap: float) -> list[float]:
    """The same route, one event-triggered flow run per complaint (relay stopped meanwhile)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    bench.stop_process("relay")
    bench.start_process("event-baseline", [PYTHON, "-m", "bench.event_baseline"])
    with temporary_settings({PREFECT_API_URL: bench.settings.prefect_api_url}):
        return _event_run(bench, count=count, gap=gap)


def _event_run(bench: BenchStack, *, count: int, gap: float) -> list[float]:
    from prefect.events import emit_event
    from prefect.events.worker import EventsWorker

    from bench.event_baseline import EVENT, RESOURCE_PREFIX

    try:
        if not wait_for(lambda: _deployment_ready(bench), timeout=90):
            raise RuntimeError("the event-triggered deployment did not come up")
        time.sleep(3)  # the trigger is registered with the deployment; let the server load it
        client = httpx.Client(base_url=bench.api_url, timeout=30)
        headers = {"Authorization": f"Bearer {token(bench.api_url)}"}
        posted: dict[str, float] = {}
        for index in range(count):
            answer = client.post(
                "/api/v1/complaints", json=complaint_body(10**6 + index), headers=headers
            )
            answer.raise_for_status()
            reference = answer.json()["reference"]
            posted[reference] = time.time()
            emit_event(
                event=EVENT,
                resource={"prefect.resource.id": RESOURCE_PREFIX + _event_id(reference)},
            )
            EventsWorker.drain_all()
            time.sleep(gap)
        done, _, _ = wait_until_routed(bench, list(posted), timeout=180)
        return [done[r] - posted[r] for r in posted if r in done]
    finally:
        bench.stop_process("event-baseline")
        bench.start_relay()
