"""An HTTP load generator (asyncio + httpx, keep-alive connections): closed loop for
throughput, open loop at a fixed rate for latency. The same client drives the baseline and
the product, in the same run."""

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

RequestFor = Callable[[int], dict[str, Any]]  # index -> httpx.request kwargs


@dataclass
class LoadResult:
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    answers: list[tuple[int, float, Any]] = field(default_factory=list)  # (index, t_done, json)

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        return percentile(self.latencies, p)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _client(base_url: str, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60)


async def _closed_loop(
    base_url: str, request_for: RequestFor, *, concurrency: int, seconds: float, keep: bool
) -> LoadResult:
    result = LoadResult(seconds=seconds)
    counter = iter(range(10**9))
    async with _client(base_url, concurrency) as client:
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < stop:
                index = next(counter)
                started = time.perf_counter()
                try:
                    answer = await client.request(**request_for(index))
                except httpx.HTTPError:
                    result.errors += 1
                    continue
                if answer.status_code >= 300:
                    result.errors += 1
                    continue
                result.latencies.append(time.perf_counter() - started)
                if keep:
                    result.answers.append((index, time.time(), answer.json()))

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.seconds = time.perf_counter() - began
    return result


def closed_loop(
    base_url: str, request_for: RequestFor, *, concurrency: int, seconds: float, keep: bool = False
) -> LoadResult:
    """As many requests as ``concurrency`` connections get answered in ``seconds``."""
    return asyncio.run(
        _closed_loop(base_url, request_for, concurrency=concurrency, seconds=seconds, keep=keep)
    )


async def _open_loop(
    base_url: str, request_for: RequestFor, *, rate: float, count: int
) -> LoadResult:
    result = LoadResult(seconds=0)
    async with _client(base_url, 64) as client:

        async def one(index: int) -> None:
            started = time.perf_counter()
            try:
                answer = await client.request(**request_for(index))
            except httpx.HTTPError:
                result.errors += 1
                return
            if answer.status_code >= 300:
                result.errors += 1
                return
            result.latencies.append(time.perf_counter() - started)
            result.answers.append((index, time.time(), answer.json()))

        began = time.perf_counter()
        pending = []
        for index in range(count):
            delay = began + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            pending.append(asyncio.create_task(one(index)))
        await asyncio.gather(*pending)
        result.seconds = time.perf_counter() - began
    return result


def open_loop(base_url: str, request_for: RequestFor, *, rate: float, count: int) -> LoadResult:
    """``count`` requests started at ``rate`` per second, whatever the answers take."""
    return asyncio.run(_open_loop(base_url, request_for, rate=rate, count=count))


RETRIES = 5


async def _with_retries(
    client: httpx.AsyncClient, request: dict[str, Any]
) -> httpx.Response | None:
    """As a careful client does: a 503 (database busy, nothing saved) is tried again after its
    Retry-After; the burst's "lost" counts only what was accepted and then not delivered."""
    for _ in range(RETRIES):
        try:
            answer = await client.request(**request)
        except httpx.HTTPError:
            return None
        if answer.status_code != 503:
            return answer
        await asyncio.sleep(float(answer.headers.get("Retry-After", "1")))
    return answer


async def _post_all(
    base_url: str, request_for: RequestFor, *, count: int, concurrency: int
) -> LoadResult:
    result = LoadResult(seconds=0)
    indexes = iter(range(count))
    async with _client(base_url, concurrency) as client:

        async def worker() -> None:
            for index in indexes:
                started = time.perf_counter()
                answer = await _with_retries(client, request_for(index))
                if answer is None or answer.status_code >= 300:
                    result.errors += 1
                    continue
                result.latencies.append(time.perf_counter() - started)
                result.answers.append((index, time.time(), answer.json()))

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.seconds = time.perf_counter() - began
    return result


def post_all(base_url: str, request_for: RequestFor, *, count: int, concurrency: int) -> LoadResult:
    """Exactly ``count`` requests, as fast as ``concurrency`` connections get answers."""
    return asyncio.run(_post_all(base_url, request_for, count=count, concurrency=concurrency))
