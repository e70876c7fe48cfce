"""Refuse JSON bodies holding a value no part of the system can carry (422), before FastAPI.

Python's ``json`` reads ``NaN``, ``Infinity`` and ``1e400`` (as infinity) and keeps a lone
UTF-16 surrogate (``"\\ud800"``) in a string; none of them can be written back as JSON or
UTF-8, so a validation error echoing one crashed the answer (500, and the connection reset),
and a text field accepting one failed in the database. An integer of more than 4,300 digits
is refused by Python itself with a ValueError FastAPI does not expect.
"""

import json
import math
from typing import Any

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NUMBER_MESSAGE = (
    "this number cannot be used: JSON numbers must be finite (no NaN or Infinity) and "
    "between -1.7e308 and 1.7e308"
)
LONG_NUMBER_MESSAGE = "a number in the body has more than 4,300 digits"
TEXT_MESSAGE = (
    "text must be valid Unicode: a lone surrogate (\\ud800 to \\udfff without its pair) "
    "cannot be stored"
)
MAX_PROBLEMS = 20
BODILESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Location = tuple[str | int, ...]


def is_unicode(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _problems_in(document: Any) -> list[tuple[Location, str]]:
    """Non-finite numbers and texts with lone surrogates, in document order (no recursion:
    a document may be nested as deep as the parser allows)."""
    problems: list[tuple[Location, str]] = []
    pending: list[tuple[Location, Any]] = [((), document)]
    while pending and len(problems) < MAX_PROBLEMS:
        location, value = pending.pop()
        if isinstance(value, float) and not math.isfinite(value):
            problems.append((location, NUMBER_MESSAGE))
        elif isinstance(value, str) and not is_unicode(value):
            problems.append((location, TEXT_MESSAGE))
        elif isinstance(value, dict):
            if not all(is_unicode(key) for key in value):
                problems.append((location, TEXT_MESSAGE))
            items = [((*location, key), item) for key, item in value.items() if is_unicode(key)]
            pending.extend(reversed(items))
        elif isinstance(value, list):
            pending.extend(reversed([((*location, i), item) for i, item in enumerate(value)]))
    return problems


def unstorable_values(body: bytes) -> list[dict[str, Any]]:
    """The 422 ``detail`` for ``body``, or nothing if it is fine or not JSON at all (then
    FastAPI's own answer names the syntax error)."""
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return []
    except ValueError:  # only the integer digit limit is left
        return [{"loc": ["body"], "msg": LONG_NUMBER_MESSAGE, "type": "value_error"}]
    return [
        {"loc": ["body", *location], "msg": message, "type": "value_error"}
        for location, message in _problems_in(document)
    ]


def _reads_json(scope: Scope) -> bool:
    """As FastAPI decides: a JSON media type, or no content type at all on an API path (no
    route here takes a body with GET, HEAD or OPTIONS)."""
    content_type = dict(scope.get("headers") or []).get(b"content-type")
    if content_type is None:
        return scope["path"].startswith("/api/") and scope["method"] not in BODILESS_METHODS
    media_type = content_type.split(b";")[0].strip().lower()
    return media_type == b"application/json" or (
        media_type.startswith(b"application/") and media_type.endswith(b"+json")
    )


async def _whole_body(receive: Receive) -> bytes | None:
    """The body, or None if the client went away."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


class RefuseUnstorableJson:
    """Read a JSON body whole (already capped by ``BodySizeLimit``), refuse it with 422 if it
    holds what :func:`unstorable_values` finds, else hand it on unchanged. The body is read to
    its end either way, so the connection stays usable for the next request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _reads_json(scope):
            await self.app(scope, receive, send)
            return
        try:
            body = await _whole_body(receive)
        except HTTPException as refused:  # over the size limit, or a NUL character
            answer = JSONResponse({"detail": refused.detail}, refused.status_code, refused.headers)
            await answer(scope, receive, send)
            return
        if body is None:
            return
        problems = unstorable_values(body) if body else []
        if problems:
            await JSONResponse({"detail": problems}, status_code=422)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
