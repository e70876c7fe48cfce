"""Domain errors to HTTP answers, in one place."""

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.web.session import SignInRequired
from workflow.errors import IdempotencyKeyReused, InvalidInput, NotAllowed, NotFound, RuleViolation

logger = logging.getLogger(__name__)


class Problem(BaseModel):
    detail: str | list[dict[str, Any]] = Field(description="What went wrong; for 422, per field.")


def _answer(description: str) -> dict[str, Any]:
    return {"description": description, "model": Problem}


# Answers any route may give; routes add their own 404 and 409.
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _answer("The body could not be read (not UTF-8 or not JSON)"),
    401: _answer("No token, or a bad or expired one"),
    403: _answer("The role may not do this"),
    413: _answer("The request body is over the size limit"),
    422: _answer(
        "Invalid data; `detail` names each field and says why, also for the input rules of "
        "the API description and the field descriptions"
    ),
    503: _answer("The database is busy or unreachable; nothing was saved, retry later"),
}
PUBLIC_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: COMMON_RESPONSES[code] for code in (400, 413, 422, 503)
}


TRANSIENT_DATABASE_ERRORS = (
    "database is locked",
    "database or disk is full",
    "disk i/o error",
    "could not connect",
    "connection refused",
    "server closed the connection",
    "timeout",
    "too many connections",
)


def is_transient(exc: OperationalError) -> bool:
    """Locks, full disks and lost connections pass; a schema or SQL error is a bug."""
    message = str(exc.orig).lower()
    return any(marker in message for marker in TRANSIENT_DATABASE_ERRORS)


def is_web_request(request: Request | None) -> bool:
    """Pages (everything outside /api/) answer errors with a page, the API with JSON."""
    return request is not None and not request.url.path.startswith("/api/")


def _problem(
    code: int,
    detail: object,
    headers: Mapping[str, str] | None = None,
    request: Request | None = None,
) -> Response:
    if is_web_request(request):
        from api.web.pages import error_page

        assert request is not None
        page = error_page(request, code, detail)
        page.headers.update(headers or {})
        return page
    return JSONResponse(status_code=code, content={"detail": detail}, headers=headers)


def _encodable(value: object) -> bool:
    try:
        json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (ValueError, TypeError):  # NaN, Infinity, a lone surrogate
        return False
    return True


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def encodable_errors(errors: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors that can always be answered: an ``input`` or ``ctx`` that JSON or
    UTF-8 cannot carry (NaN, Infinity, a lone surrogate) is left out, never echoed; a name in
    ``loc`` or the message is escaped instead (``\\ud800``)."""
    safe = []
    for error in errors:
        item = {}
        for key, value in error.items():
            encoded = jsonable_encoder(value)
            if _encodable(encoded):
                item[key] = encoded
            elif key in ("loc", "msg", "type"):
                item[key] = jsonable_encoder(value, custom_encoder={str: _printable})
        safe.append(item)
    return safe


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return _problem(status.HTTP_404_NOT_FOUND, str(exc), request=request)

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, exc: NotAllowed) -> Response:
        return _problem(status.HTTP_403_FORBIDDEN, str(exc), request=request)

    @app.exception_handler(RuleViolation)
    async def conflict(request: Request, exc: RuleViolation) -> Response:
        return _problem(status.HTTP_409_CONFLICT, str(exc), request=request)

    @app.exception_handler(IdempotencyKeyReused)
    async def key_reused(_: Request, exc: IdempotencyKeyReused) -> Response:
        detail = [{"loc": ["header", "Idempotency-Key"], "msg": str(exc), "type": "value_error"}]
        return _problem(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)

    @app.exception_handler(InvalidInput)
    async def invalid_input(request: Request, exc: InvalidInput) -> Response:
        detail = [{"loc": [exc.location, exc.field], "msg": str(exc), "type": "value_error"}]
        return _problem(status.HTTP_422_UNPROCESSABLE_CONTENT, detail, request=request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if is_web_request(request):
            return _problem(exc.status_code, exc.detail, exc.headers, request)
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = encodable_errors(exc.errors())
        if is_web_request(request):
            return _problem(status.HTTP_422_UNPROCESSABLE_CONTENT, errors, request=request)
        return await request_validation_exception_handler(
            request, RequestValidationError(errors, body=exc.body)
        )

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, _: SignInRequired) -> Response:
        target = f"/login?next={quote(request.url.path)}"
        if request.headers.get("hx-request"):
            return Response(status_code=status.HTTP_204_NO_CONTENT, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)

    @app.exception_handler(OperationalError)
    async def database_busy(request: Request, exc: OperationalError) -> Response:
        if not is_transient(exc):
            logger.error("database error on %s", request.url.path, exc_info=exc)
            return _problem(
                status.HTTP_500_INTERNAL_SERVER_ERROR, "internal error", request=request
            )
        # Locked, full or unreachable database: nothing was committed; the client may retry.
        logger.warning("database unavailable: %s", exc.orig)
        return _problem(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the database is busy or unavailable; nothing was saved, retry shortly",
            headers={"Retry-After": "5"},
            request=request,
        )
