"""Request rate limits (the ``limits`` library, moving window, in process memory).

Each API process counts on its own: behind several workers the effective limit is the
per-process limit times the number of workers (see docs/reliability.md).
"""

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import HTTPException, Request, status
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from workflow.config import get_settings
from workflow.transitions import Actor

_storage = MemoryStorage()
_limiter = MovingWindowRateLimiter(_storage)

# Sign-in attempts still being checked, per limit key: they count as failures until they
# succeed, so concurrent guesses cannot all pass a check made before any was counted.
_sign_ins_in_flight: Counter[tuple[str, ...]] = Counter()
_sign_in_lock = threading.Lock()


def reset_rate_limits() -> None:
    _storage.reset()


def _refuse(rate: RateLimitItem, what: str, *keys: str) -> None:
    reset_at, _ = _limiter.get_window_stats(rate, *keys)
    raise HTTPException(
        status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        detail=f"too many {what}; try again later",
        headers={"Retry-After": str(max(1, int(reset_at - time.time())))},
    )


def _client(request: Request) -> str:
    """The peer's address; a proxy's ``X-Forwarded-For`` only counts when the server trusts
    that proxy (``CW_TRUSTED_PROXIES``, passed to uvicorn's ``--forwarded-allow-ips``)."""
    return request.client.host if request.client else "?"


@dataclass
class SignInAttempt:
    succeeded: bool = False


def _sign_in_limits(
    request: Request, username: str
) -> list[tuple[RateLimitItem, str, tuple[str, ...]]]:
    settings = get_settings()
    address = _client(request)
    return [
        (
            parse(settings.failed_login_rate),
            "failed sign-ins",
            ("login", username.lower(), address),
        ),
        (
            parse(settings.failed_login_address_rate),
            "failed sign-ins from this address",
            ("login-address", address),
        ),
    ]


@contextmanager
def sign_in_attempt(request: Request, username: str) -> Iterator[SignInAttempt]:
    """Admit one sign-in attempt, or refuse it with 429 before the password is checked.

    Checked and counted in one step under a lock: per username and address, and per address
    across usernames (a spray of many usernames). The attempt counts as a failure until the
    caller sets ``succeeded``; a successful sign-in is not counted.
    """
    limits = _sign_in_limits(request, username)
    with _sign_in_lock:
        for rate, what, keys in limits:
            if not _limiter.test(rate, *keys, cost=_sign_ins_in_flight[keys] + 1):
                _refuse(rate, what, *keys)
        _sign_ins_in_flight.update(keys for _, _, keys in limits)
    attempt = SignInAttempt()
    try:
        yield attempt
    finally:
        with _sign_in_lock:
            _sign_ins_in_flight.subtract(keys for _, _, keys in limits)
            for rate, _, keys in limits:
                if _sign_ins_in_flight[keys] <= 0:
                    del _sign_ins_in_flight[keys]
                if not attempt.succeeded:
                    _limiter.hit(rate, *keys)


def check_intake_rate(actor: Actor) -> None:
    rate = parse(get_settings().intake_rate)
    if not _limiter.hit(rate, "intake", actor.name):
        _refuse(rate, "complaints logged", "intake", actor.name)
