"""The event delivery process started with the stack: ``complaints relay``.

Three loops in one process, none waiting on another for long:

- routing watches the outbox (a cheap indexed query every ``relay_poll_seconds``), claims what
  is pending and runs the delivery flow in-process on that batch (no deployment start-up on
  the hot path). The flow commits the routing, starts the sends and waits for them at most
  half a second; the batch's leases are renewed from the claim until the run ends;
- sending runs the sending flow on the notices that are due (retries, a dead relay's,
  released ones), never on one this process is already sending;
- the guard crashes runs that hold a deployment's slot for good and cancels superseded late
  runs (``flows/stale_runs.py``) every ``stale_run_check_seconds``, so the schedules of
  prefect.yaml never jam, even while the reconciler's own slot is the one held.

Sends run in ``relay_send_concurrency`` threads of their own, so a slow mail server delays
mail and never takes the threads routing needs. If the Prefect server is unreachable the
claimed events are given back and the relay waits; nothing is lost, since the outbox is the
source of truth.
"""

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flows.deliver_events import as_refs, deliver_events, renewing_leases
from flows.send_notices import finish_sends, send_notices, sending_now, use_send_threads
from flows.stale_runs import guard_runs
from notifications.ledger import due_notice_ids, expired_sends_exist
from workflow.config import get_settings
from workflow.heartbeat import keep_beating
from workflow.outbox import claim_events, release_events

logger = logging.getLogger("relay")
MAX_BACKOFF_SECONDS = 30.0
STOP_GRACE_SECONDS = 8.0  # in-flight sends may finish; the stack kills after 10 s
DUE_POLL_SECONDS = 1.0  # retries wait seconds anyway; routing sends fresh notices itself
# Measured with the bench stack: a Prefect server on SQLite answers 503 when a flow run is
# created while another run of this process writes (a deferred transaction cannot take the
# write lock) and the client retries after 2 s, so a routing run that overlapped a sending
# run took 2.3 s instead of 0.3 s. Routing and sending runs take turns; a sending run gives
# the turn back after this long at most, so a slow mail server never holds routing up longer.
SENDING_TURN_SECONDS = 1.0
# A sending run hands its threads this many notices each (they send them in turn), so a run's
# Prefect overhead is shared by more mails: with one per thread, the 2,000 reminders a sweep
# queued took 131 s to reach the SMTP catcher (bench/README.md, the sweep paragraph).
NOTICES_PER_SEND_THREAD = 4


async def _claim() -> list:
    settings = get_settings()
    return await asyncio.to_thread(
        claim_events, settings.outbox_batch_size, settings.outbox_lease_seconds
    )


def _notices_need_attention() -> bool:
    return bool(due_notice_ids(1)) or expired_sends_exist()


async def route_once() -> bool:
    """Route one claimed batch. True if there was anything to route."""
    claimed = await _claim()
    if not claimed:
        return False
    try:
        async with renewing_leases([e.id for e in claimed]):
            await deliver_events(events=as_refs(claimed))
    except Exception:
        await asyncio.to_thread(release_events, [e.id for e in claimed], 1.0)
        raise
    return True


async def send_once() -> bool:
    """Send what is due, waiting for the outcome. True if there was anything to send."""
    if not await asyncio.to_thread(_notices_need_attention):
        return False
    await send_notices()
    return True


async def relay_once() -> bool:
    """One round, waiting for every send: route what is waiting, then send what is due (how
    tests drive delivery)."""
    routed = await route_once()
    await finish_sends()
    sent = await send_once()
    return routed or sent


class Sender:
    """Starts a sending flow run for the notices that are due whenever there is room, without
    waiting for the runs already in flight; a notice this process is sending already is never
    started again. At most ``NOTICES_PER_SEND_THREAD`` per thread are handed out at once."""

    def __init__(self, threads: int, turn: asyncio.Lock) -> None:
        self.turn = turn
        self.capacity = threads * NOTICES_PER_SEND_THREAD
        self.in_flight: set[int] = set()
        self.runs: set[asyncio.Task[None]] = set()
        self.backoff = 1.0
        self.paused_until = 0.0
        self.room_made = asyncio.Event()  # a sending run ended: its notices' room is free

    def resume(self) -> None:
        """Routing just ran a flow, so Prefect answers again: no more waiting."""
        self.backoff, self.paused_until = 1.0, 0.0

    async def start_due(self) -> bool:
        room = self.capacity - len(self.in_flight)
        if room <= 0 or time.monotonic() < self.paused_until:
            return False
        busy = self.in_flight | sending_now()
        due = await asyncio.to_thread(due_notice_ids, self.capacity + len(busy))
        fresh = [n for n in due if n not in busy][:room]
        if not fresh and not await asyncio.to_thread(expired_sends_exist):
            return False
        self.in_flight.update(fresh)
        run = asyncio.create_task(self._send(fresh))
        self.runs.add(run)
        run.add_done_callback(self.runs.discard)
        return True

    async def _send(self, notice_ids: list[int]) -> None:
        await self.turn.acquire()
        give_back = _once(self.turn.release)
        asyncio.get_running_loop().call_later(SENDING_TURN_SECONDS, give_back)
        try:
            await send_notices(notice_ids=notice_ids)
            self.backoff = 1.0
        except Exception as exc:
            logger.warning("sending failed (%s); retrying in %.0f s", exc, self.backoff)
            self.paused_until = time.monotonic() + self.backoff
            self.backoff = min(self.backoff * 2, MAX_BACKOFF_SECONDS)
        finally:
            give_back()
            self.in_flight.difference_update(notice_ids)
            self.room_made.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.room_made.clear()
            try:
                started = await self.start_due()
            except Exception as exc:
                logger.warning("could not look for due notices (%s)", exc)
                started = False
            if not started:
                # Idle, or full: look again in a second, or as soon as a run makes room (a
                # sweep's 2,000 reminders otherwise waited up to a second after every run).
                await _sleep_until_set(stop, self.room_made, DUE_POLL_SECONDS)
        if self.runs:
            await asyncio.wait(self.runs, timeout=STOP_GRACE_SECONDS)


def _once(action: Callable[[], None]) -> Callable[[], None]:
    done = False

    def run() -> None:
        nonlocal done
        if not done:
            done = True
            action()

    return run


async def route_events(stop: asyncio.Event, sender: Sender) -> None:
    poll = get_settings().relay_poll_seconds
    backoff = 1.0
    while not stop.is_set():
        try:
            async with sender.turn:
                busy = await route_once()
            backoff = 1.0
        except Exception as exc:
            logger.warning("delivery failed (%s); retrying in %.0f s", exc, backoff)
            await _sleep(stop, backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            continue
        if busy:
            sender.resume()
        else:
            await _sleep(stop, poll)


async def guard_schedules(stop: asyncio.Event) -> None:
    every = get_settings().stale_run_check_seconds
    while not stop.is_set():
        try:
            await guard_runs()
        except Exception as exc:
            logger.warning("could not check for stale runs (%s)", exc)
        await _sleep(stop, every)


async def run_relay(stop: asyncio.Event) -> None:
    sender = Sender(get_settings().relay_send_concurrency, turn=asyncio.Lock())
    logger.info("relay started")
    await asyncio.gather(route_events(stop, sender), sender.run(stop), guard_schedules(stop))
    logger.info("relay stopped")


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def _sleep_until_set(stop: asyncio.Event, event: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds`` at most, less if ``stop`` or ``event`` is set meanwhile."""
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(event.wait())]
    await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for wait in waits:
        wait.cancel()


def main() -> None:
    """Runs the relay's loop in a thread of its own and waits for a stop signal on the main
    thread. Prefect's flow engine puts its own SIGTERM handler in place while a flow runs on the
    main thread, so a stop asked for then was raised in whatever the loop was doing: swallowed
    in a callback (the relay ran on until killed) or a crash. Off the main thread the engine
    leaves signals alone."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s relay %(levelname)s %(message)s")
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    relay_loop = threading.Thread(
        target=loop.run_until_complete, args=(_run(stop),), name="relay-loop"
    )

    def ask_to_stop(*_: object) -> None:
        loop.call_soon_threadsafe(stop.set)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, ask_to_stop)
    relay_loop.start()
    while relay_loop.is_alive():
        relay_loop.join(timeout=0.5)
    loop.close()


async def _run(stop: asyncio.Event) -> None:
    settings = get_settings()
    loop = asyncio.get_running_loop()
    # Routing's database calls run in the default threads; sends wait on the SMTP server in
    # threads of their own, so a slow mail server cannot take the threads routing needs.
    loop.set_default_executor(
        ThreadPoolExecutor(settings.relay_threads, thread_name_prefix="relay")
    )
    use_send_threads(ThreadPoolExecutor(settings.relay_send_concurrency, thread_name_prefix="send"))
    work = asyncio.gather(run_relay(stop), keep_beating(stop))
    await _until_stopped(stop, work)


async def _until_stopped(stop: asyncio.Event, work: "asyncio.Future[tuple[None, None]]") -> None:
    """The relay's work until it ends, or until ``STOP_GRACE_SECONDS`` after a stop: a batch
    whose flow hangs (its Prefect server gone, every call retried for minutes) is abandoned.
    Nothing is lost: each event routed so far is committed, and the others' leases run out
    and give them to the next relay."""
    stopping: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
    either: set[asyncio.Future[Any]] = {work, stopping}
    await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if work.done():
        work.result()
        return
    finished, _ = await asyncio.wait({work}, timeout=STOP_GRACE_SECONDS)
    if not finished:
        logger.warning("stopping with work in hand: its leases give it to the next relay")
        work.cancel()
        await asyncio.wait({work}, timeout=1.0)


if __name__ == "__main__":
    main()
