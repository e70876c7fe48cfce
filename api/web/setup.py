"""Plug the web pages into the FastAPI app: session cookie, static files, page routes."""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from api.web.pages import WEB_DIR
from api.web.routes import (
    actions,
    admin_calendar,
    admin_history,
    admin_pages,
    admin_policies,
    assignment,
    auth,
    away,
    calls,
    catalogue,
    comments,
    company,
    complaints,
    contracts,
    corrections,
    customer,
    customer_file,
    documents,
    feedback,
    mail,
    managers,
    password_reset,
    queues,
    related,
    reviews,
    tasks,
    triage,
    users_admin,
)
from workflow.config import get_settings

SESSION_COOKIE = "cw_session"


def install_web(app: FastAPI) -> None:
    settings = get_settings()
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    for module in (
        auth,
        complaints,
        corrections,
        contracts,
        tasks,
        queues,
        managers,
        customer,
        customer_file,
        related,
        documents,
        actions,
        catalogue,
        mail,
        feedback,
        comments,
        triage,
        calls,
        reviews,
        assignment,
        away,
        company,
        admin_pages,
        admin_history,
        admin_policies,
        admin_calendar,
        users_admin,
        password_reset,
    ):
        app.include_router(module.router)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=settings.web_session_hours * 3600,
        same_site="lax",
        https_only=settings.environment == "production",
    )
