"""The FastAPI application."""

import json
import re
from base64 import b64decode
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast
from urllib.parse import quote

import itsdangerous
from fastapi import FastAPI, status
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.contract import INPUT_RULES, AnswerOptions, document_input_rules
from api.errors import COMMON_RESPONSES, PUBLIC_RESPONSES, install_error_handlers
from api.json_guard import RefuseUnstorableJson
from api.routes import (
    actions,
    admin,
    auth,
    calendar,
    codes,
    comments,
    company,
    complaints,
    contracts,
    corrections,
    customers,
    documents,
    eight_d,
    feedback,
    health,
    mail,
    overdue,
    policies,
    products,
    recurrence,
    reports,
    review_documents,
    reviews,
    tasks,
    users,
)
from api.web.session import OPENED_STATUS_PAGE, SESSION_ID
from api.web.setup import SESSION_COOKIE, install_web
from workflow.config import get_settings
from workflow.db import read_session
from workflow.users import refuse_demo_logins_in_production

DESCRIPTION = """
Customer complaints and feedback, from intake to the customer's resolution notice.

Sign in at `POST /api/v1/auth/token` and send the token as `Authorization: Bearer ...`.
Sales log complaints and review quality's results; quality and the other departments work
their task queues; managers read everything and see what is overdue.
"""

HTTP_413 = status.HTTP_413_CONTENT_TOO_LARGE
UPLOAD_PATH = "/complaints/new"  # the complaint form, with its photos and PDFs
# The customer's answer on their status page, with photos: open to the visitor whose signed
# session opened that page (``OPENED_STATUS_PAGE`` in the session), not to anyone.
STATUS_ANSWER_PATH = re.compile(r"^/status/([A-Za-z0-9_-]{20,64})/reply$")


class BodySizeLimit:
    """Refuse request bodies over the configured size (413).

    A declared Content-Length over the limit is refused before reading; a body without one
    (chunked) is counted as it arrives and refused once it passes the limit.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, upload_paths: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_paths = upload_paths or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        max_bytes = self.upload_paths.get(path, self.max_bytes)
        if STATUS_ANSWER_PATH.match(path):
            max_bytes = self.upload_paths.get(UPLOAD_PATH, max_bytes)
        detail = f"request body over {max_bytes} bytes"
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > max_bytes):
            response = JSONResponse({"detail": detail}, status_code=HTTP_413)
            await response(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    # FastAPI re-raises an HTTPException met while reading the body.
                    raise HTTPException(status_code=HTTP_413, detail=detail)
            return message

        await self.app(scope, counted_receive, send)


NUL_IN_JSON = re.compile(rb"(?<!\\)\\u0000", re.IGNORECASE)
NUL_MESSAGE = "text must not contain NUL (\\u0000) characters"


def nul_detail(location: str) -> list[dict[str, object]]:
    return [{"loc": [location], "msg": NUL_MESSAGE, "type": "value_error"}]


class RefuseNulCharacters:
    """Refuse NUL characters in the path, the query and JSON or form bodies (422).

    PostgreSQL cannot store them in text (SQLite can): refusing them at the door keeps the two
    backends alike and turns what would be a driver error into a clear answer. Multipart
    bodies are left alone: attachments are binary, and the form's text fields are checked by
    the form (``api/web/routes/complaints.py``).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        for location, nul in (("path", "\x00" in scope["path"]), ("query", b"%00" in query)):
            if nul:
                answer = JSONResponse({"detail": nul_detail(location)}, status_code=422)
                await answer(scope, receive, send)
                return
        content_type = dict(scope.get("headers") or []).get(b"content-type", b"").lower()
        if b"json" in content_type:
            pattern = NUL_IN_JSON
        elif b"x-www-form-urlencoded" in content_type:
            pattern = re.compile(rb"%00")
        else:
            await self.app(scope, receive, send)
            return
        tail = b""

        async def checked_receive() -> Message:
            nonlocal tail
            message = await receive()
            if message["type"] == "http.request":
                chunk = tail + message.get("body", b"")
                if pattern.search(chunk):
                    # FastAPI answers an HTTPException met while reading the body as it is;
                    # the detail is the list of field errors a 422 always carries.
                    raise HTTPException(status_code=422, detail=cast(str, nul_detail("body")))
                tail = chunk[-7:]
            return message

        await self.app(scope, checked_receive, send)


@asynccontextmanager
async def _refuse_unsafe_start(_app: FastAPI) -> AsyncIterator[None]:
    if get_settings().environment == "production":
        with read_session() as session:
            refuse_demo_logins_in_production(session)
    yield


SIGN_IN_PATHS = frozenset({"/login", "/api/v1/auth/token"})


class RefuseAnonymousMultipart:
    """Answer a multipart request without a signed-in session before its body is read.

    Multipart bodies are the large ones (the complaint form takes 52 MB) and are parsed, and
    their files spooled, before a route's dependencies check who is asking: without this, anyone
    could make the server read and parse them. Only the sign-in forms are open; a page gets a
    303 to the sign-in, the API a 401. The session is checked as Starlette's SessionMiddleware
    reads it (signature and age); whether the account is still active is the route's business.
    """

    def __init__(self, app: ASGIApp, secret_key: str, max_age: int) -> None:
        self.app = app
        self.signer = itsdangerous.TimestampSigner(secret_key)
        self.max_age = max_age

    def _session(self, headers: dict[bytes, bytes]) -> dict[str, object]:
        cookies = cookie_parser(headers.get(b"cookie", b"").decode("latin-1"))
        cookie = cookies.get(SESSION_COOKIE)
        if not cookie:
            return {}
        try:
            data = self.signer.unsign(cookie.encode("utf-8"), max_age=self.max_age)
            session = json.loads(b64decode(data))
        except (itsdangerous.BadSignature, ValueError):
            return {}
        return session if isinstance(session, dict) else {}

    def _may_upload(self, path: str, headers: dict[bytes, bytes]) -> bool:
        session = self._session(headers)
        if isinstance(session.get(SESSION_ID), str):
            return True
        answer = STATUS_ANSWER_PATH.match(path)
        opened = session.get(OPENED_STATUS_PAGE)
        return answer is not None and isinstance(opened, list) and answer.group(1) in opened

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in SIGN_IN_PATHS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").lower()
        if not content_type.startswith(b"multipart/") or self._may_upload(scope["path"], headers):
            await self.app(scope, receive, send)
            return
        await _sign_in_first(scope, headers)(scope, receive, send)


def _sign_in_first(scope: Scope, headers: dict[bytes, bytes]) -> Response:
    path = scope["path"]
    if path.startswith("/api/"):
        detail = "sign in first: forms with files are taken from signed-in users only"
        return JSONResponse({"detail": detail}, status_code=status.HTTP_401_UNAUTHORIZED)
    target = f"/login?next={quote(path)}"
    if headers.get(b"hx-request"):
        return Response(status_code=status.HTTP_204_NO_CONTENT, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        lifespan=_refuse_unsafe_start,
        title="Complaint workflow",
        version="0.1.0",
        description=DESCRIPTION + INPUT_RULES,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    for router in (
        auth.router,
        complaints.router,
        corrections.router,
        customers.router,
        eight_d.router,
        tasks.router,
        overdue.router,
        policies.router,
        calendar.router,
        reports.router,
        documents.router,
        admin.router,
        recurrence.router,
        actions.router,
        mail.router,
        products.router,
        codes.router,
        feedback.router,
        comments.router,
        company.router,
        users.router,
        reviews.router,
        review_documents.router,
        contracts.router,
    ):
        app.include_router(router, prefix="/api/v1", responses=COMMON_RESPONSES)
    app.include_router(health.router, prefix="/api/v1", responses=PUBLIC_RESPONSES)
    install_error_handlers(app)
    install_web(app)
    document_input_rules(app)
    app.add_middleware(AnswerOptions, api=app)
    app.add_middleware(RefuseUnstorableJson)  # inside the two below: reads a capped body
    app.add_middleware(RefuseNulCharacters)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        upload_paths={UPLOAD_PATH: settings.max_upload_body_bytes},
    )
    app.add_middleware(  # outermost: nothing has read the body yet
        RefuseAnonymousMultipart,
        secret_key=settings.secret_key,
        max_age=settings.web_session_hours * 3600,
    )
    return app


app = create_app()
