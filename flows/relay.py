"""The event delivery process started with the stack: ``complaints relay``.

It watches the outbox (a cheap indexed query every ``relay_poll_seconds``), claims what is
pending and runs the delivery flow in-process on that batch: no deployment start-up on the
hot path. If the Prefect server is unreachable the claimed events are given back and the
relay waits; nothing is lost, since the outbox is the source of truth.
"""

import asyncio
import contextlib
import logging
import signal
from concurrent.futures import ThreadPoolExecutor

from flows.deliver_events import as_refs, deliver_events
from notifications.ledger import due_notice_ids, expired_sends_exist
from workflow.config import get_settings
from workflow.heartbeat import keep_beating
from workflow.outbox import claim_events, release_events

logger = logging.getLogger("relay")
MAX_BACKOFF_SECONDS = 30.0


async def _claim() -> list:
    settings = get_settings()
    return await asyncio.to_thread(
        claim_events, settings.outbox_batch_size, settings.outbox_lease_seconds
    )


def _notices_need_attention() -> bool:
    return bool(due_notice_ids(1)) or expired_sends_exist()


async def relay_once() -> bool:
    """One round: deliver what is waiting. True if there was anything to do."""
    claimed = await _claim()
    if not claimed and not await asyncio.to_thread(_notices_need_attention):
        return False
    try:
        await deliver_events(events=as_refs(claimed))
    except Exception:
        await asyncio.to_thread(release_events, [e.id for e in claimed], 1.0)
        raise
    return True


async def run_relay(stop: asyncio.Event) -> None:
    poll = get_settings().relay_poll_seconds
    backoff = 1.0
    logger.info("relay started")
    while not stop.is_set():
        try:
            busy = await relay_once()
            backoff = 1.0
        except Exception as exc:
            logger.warning("delivery failed (%s); retrying in %.0f s", exc, backoff)
            busy = False
            await _sleep(stop, backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            continue
        if not busy:
            await _sleep(stop, poll)
    logger.info("relay stopped")


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s relay %(levelname)s %(message)s")
    stop = asyncio.Event()

    async def runner() -> None:
        loop = asyncio.get_running_loop()
        # Sending mail is mostly waiting on the SMTP server: more threads than the default
        # (cores + 4) keep it busy; database writes still go one at a time (workflow.db).
        loop.set_default_executor(
            ThreadPoolExecutor(get_settings().relay_threads, thread_name_prefix="relay")
        )
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await asyncio.gather(run_relay(stop), keep_beating(stop))

    asyncio.run(runner())


if __name__ == "__main__":
    main()
