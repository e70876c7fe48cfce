"""The event delivery process started with the stack: ``complaints relay``.

Three loops in one process, none waiting on another:

- routing watches the outbox (a cheap indexed query every ``relay_poll_seconds``), claims what
  is pending and runs the delivery flow in-process on that batch (no deployment start-up on
  the hot path); the flow commits the routing, and the batch's leases are renewed from the
  claim until the run ends;
- sending runs the sending flow on the notices routing hands over as soon as a batch is
  routed, and on the others that are due, with at most ``relay_send_concurrency`` being sent
  at once in threads of their own: a slow mail server delays mail, never the next claim;
- the guard crashes runs that hold a deployment's slot for good and cancels superseded late
  runs (``flows/stale_runs.py``) every ``stale_run_check_seconds``, so the schedules of
  prefect.yaml never jam, even while the reconciler's own slot is the one held.

If the Prefect server is unreachable the claimed events are given back and the relay waits;
nothing is lost, since the outbox is the source of truth.
"""

import asyncio
import contextlib
import logging
import signal
import time
from concurrent.futures import ThreadPoolExecutor

from flows.deliver_events import as_refs, deliver_events, renewing_leases
from flows.send_notices import send_notices, use_send_threads
from flows.stale_runs import guard_runs
from notifications.ledger import due_notice_ids, expired_sends_exist
from workflow.config import get_settings
from workflow.outbox import claim_events, release_events

logger = logging.getLogger("relay")
MAX_BACKOFF_SECONDS = 30.0
STOP_GRACE_SECONDS = 8.0  # in-flight sends may finish; the stack kills after 10 s
DUE_POLL_SECONDS = 1.0  # retries wait seconds anyway; fresh notices are handed over at once


async def _claim() -> list:
    settings = get_settings()
    return await asyncio.to_thread(
        claim_events, settings.outbox_batch_size, settings.outbox_lease_seconds
    )


def _notices_need_attention() -> bool:
    return bool(due_notice_ids(1)) or expired_sends_exist()


async def route_once() -> list[int] | None:
    """Route one claimed batch: the notices it queued, or None if nothing was waiting."""
    claimed = await _claim()
    if not claimed:
        return None
    try:
        async with renewing_leases([e.id for e in claimed]):
            report = await deliver_events(events=as_refs(claimed))
    except Exception:
        await asyncio.to_thread(release_events, [e.id for e in claimed], 1.0)
        raise
    return report.queued_notice_ids


async def send_once() -> bool:
    """Send what is due, waiting for the outcome. True if there was anything to send."""
    if not await asyncio.to_thread(_notices_need_attention):
        return False
    await send_notices()
    return True


async def relay_once() -> bool:
    """One round: route what is waiting, then send what is due (how tests drive delivery)."""
    routed = await route_once()
    sent = await send_once()
    return routed is not None or sent


class Sender:
    """Starts a sending flow run whenever there is room, without waiting for the runs already
    in flight: first for the notices this relay just routed (handed over, so two relays rarely
    try the same notice), then for the others that are due (retries, notices of the sweep,
    released ones, a dead relay's), looked up every ``DUE_POLL_SECONDS``. A notice is never
    in two of this relay's runs at once. At most ``threads`` notices are being sent at any
    moment (the send threads); a few times that are handed out, so a new run starts while
    the last sends of another finish."""

    def __init__(self, threads: int) -> None:
        self.batch = threads
        self.capacity = 4 * threads
        self.handed_over: list[int] = []
        self.in_flight: set[int] = set()
        self.runs: set[asyncio.Task[None]] = set()
        self.wake = asyncio.Event()
        self.backoff = 1.0
        self.paused_until = 0.0
        self.next_poll = 0.0

    def hand_over(self, notice_ids: list[int]) -> None:
        """Notices routing just queued; routing just ran a flow, so Prefect answers again."""
        self.handed_over.extend(notice_ids)
        self.backoff, self.paused_until = 1.0, 0.0
        self.wake.set()

    async def _pick(self, room: int) -> tuple[list[int], bool]:
        """Notices to send now, and whether sends whose sender died need holding."""
        fresh = [n for n in dict.fromkeys(self.handed_over) if n not in self.in_flight][:room]
        self.handed_over = [n for n in self.handed_over if n not in fresh]
        if fresh or time.monotonic() < self.next_poll:
            return fresh, False
        self.next_poll = time.monotonic() + DUE_POLL_SECONDS
        due = await asyncio.to_thread(due_notice_ids, self.capacity + len(self.in_flight))
        fresh = [n for n in due if n not in self.in_flight][:room]
        return fresh, not fresh and await asyncio.to_thread(expired_sends_exist)

    async def start_due(self) -> bool:
        room = min(self.capacity - len(self.in_flight), self.batch)
        if room <= 0 or time.monotonic() < self.paused_until:
            return False
        fresh, hold_expired = await self._pick(room)
        if not fresh and not hold_expired:
            return False
        self.in_flight.update(fresh)
        run = asyncio.create_task(self._send(fresh))
        self.runs.add(run)
        run.add_done_callback(self.runs.discard)
        return True

    async def _send(self, notice_ids: list[int]) -> None:
        try:
            await send_notices(notice_ids=notice_ids)
            self.backoff = 1.0
        except Exception as exc:
            logger.warning("sending failed (%s); retrying in %.0f s", exc, self.backoff)
            self.paused_until = time.monotonic() + self.backoff
            self.backoff = min(self.backoff * 2, MAX_BACKOFF_SECONDS)
        finally:
            self.in_flight.difference_update(notice_ids)
            self.wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                started = await self.start_due()
            except Exception as exc:
                logger.warning("could not look for due notices (%s)", exc)
                started = False
            if not started:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=DUE_POLL_SECONDS)
                self.wake.clear()
        if self.runs:
            await asyncio.wait(self.runs, timeout=STOP_GRACE_SECONDS)


async def route_events(stop: asyncio.Event, sender: Sender) -> None:
    poll = get_settings().relay_poll_seconds
    backoff = 1.0
    while not stop.is_set():
        try:
            queued = await route_once()
            backoff = 1.0
        except Exception as exc:
            logger.warning("delivery failed (%s); retrying in %.0f s", exc, backoff)
            await _sleep(stop, backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            continue
        if queued is None:
            await _sleep(stop, poll)
        else:
            sender.hand_over(queued)


async def guard_schedules(stop: asyncio.Event) -> None:
    every = get_settings().stale_run_check_seconds
    while not stop.is_set():
        try:
            await guard_runs()
        except Exception as exc:
            logger.warning("could not check for stale runs (%s)", exc)
        await _sleep(stop, every)


async def run_relay(stop: asyncio.Event) -> None:
    sender = Sender(get_settings().relay_send_concurrency)
    logger.info("relay started")
    await asyncio.gather(route_events(stop, sender), sender.run(stop), guard_schedules(stop))
    logger.info("relay stopped")


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s relay %(levelname)s %(message)s")
    stop = asyncio.Event()
    settings = get_settings()

    async def runner() -> None:
        loop = asyncio.get_running_loop()
        # Routing's database calls run in the default threads; sends wait on the SMTP server
        # in threads of their own, so a slow mail server cannot take the threads routing needs.
        loop.set_default_executor(
            ThreadPoolExecutor(settings.relay_threads, thread_name_prefix="relay")
        )
        use_send_threads(
            ThreadPoolExecutor(settings.relay_send_concurrency, thread_name_prefix="send")
        )
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_relay(stop)

    asyncio.run(runner())


if __name__ == "__main__":
    main()
