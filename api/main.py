"""The FastAPI application."""

from fastapi import FastAPI, status
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import COMMON_RESPONSES, PUBLIC_RESPONSES, install_error_handlers
from api.routes import admin, auth, complaints, health, overdue, policies, reports, tasks
from api.web.setup import install_web
from workflow.config import get_settings

DESCRIPTION = """
Customer complaints and feedback, from intake to the customer's resolution notice.

Sign in at `POST /api/v1/auth/token` and send the token as `Authorization: Bearer ...`.
Sales log complaints and review quality's results; quality and the other departments work
their task queues; managers read everything and see what is overdue.
"""

HTTP_413 = status.HTTP_413_CONTENT_TOO_LARGE
UPLOAD_PATH = "/complaints/new"  # the complaint form, with its photos and PDFs


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
        max_bytes = self.upload_paths.get(scope["path"], self.max_bytes)
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


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="Complaint workflow",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    for router in (
        auth.router,
        complaints.router,
        tasks.router,
        overdue.router,
        policies.router,
        reports.router,
        admin.router,
    ):
        app.include_router(router, prefix="/api/v1", responses=COMMON_RESPONSES)
    app.include_router(health.router, prefix="/api/v1", responses=PUBLIC_RESPONSES)
    install_error_handlers(app)
    install_web(app)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        upload_paths={UPLOAD_PATH: settings.max_upload_body_bytes},
    )
    return app


app = create_app()
