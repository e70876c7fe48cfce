"""Request rate limits (the ``limits`` library, moving window, in process memory).

Each API process counts on its own: behind several workers the effective limit is the
per-process limit times the number of workers (see docs/reliability.md).
"""

import time

from fastapi import HTTPException, Request, status
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from workflow.config import get_settings
from workflow.transitions import Actor

_storage = MemoryStorage()
_limiter = MovingWindowRateLimiter(_storage)


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
    return request.client.host if request.client else "?"


def check_sign_in_allowed(request: Request, username: str) -> None:
    rate = parse(get_settings().failed_login_rate)
    keys = ("login", username.lower(), _client(request))
    if not _limiter.test(rate, *keys):
        _refuse(rate, "failed sign-ins", *keys)


def count_failed_sign_in(request: Request, username: str) -> None:
    _limiter.hit(
        parse(get_settings().failed_login_rate), "login", username.lower(), _client(request)
    )


def check_intake_rate(actor: Actor) -> None:
    rate = parse(get_settings().intake_rate)
    if not _limiter.hit(rate, "intake", actor.name):
        _refuse(rate, "complaints logged", "intake", actor.name)
