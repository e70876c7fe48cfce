"""Rendering pages: the Jinja2 environment, its filters, flash messages, error pages."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from api.web.session import csrf_token, signed_in_user
from workflow.calendar import company_calendar
from workflow.clock import utcnow
from workflow.company import current_company
from workflow.languages import (
    format_moment,
    gettext_noop,
    install_translations,
    language_for_staff,
    translations,
)
from workflow.queries import describe_lateness
from workflow.rules import Action, is_finished, is_open, may, may_administer

WEB_DIR = Path(__file__).parent
templates = Jinja2Templates(directory=WEB_DIR / "templates")
# The customer's status page is translated (its context names a ``language``); staff pages
# name none and stay English.
templates.env.add_extension("jinja2.ext.i18n")
install_translations(templates.env)
DUE_SOON = timedelta(hours=8)
NONE = "\u2013"  # an en dash: no value
PAGE_HEADERS = {
    # Only our own scripts and styles; no framing; a status link's token never leaks in a
    # Referer header.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def when(moment: datetime | None) -> str:
    """A moment in the company's time zone, as people read it."""
    if moment is None:
        return NONE
    local = moment.astimezone(company_calendar().zone)
    return local.strftime("%a %d %b %Y, %H:%M %Z")


def due_state(due_at: datetime | None, done: bool = False) -> dict[str, str]:
    """How a due date stands now: a CSS class and words (the colour is never the only cue)."""
    if due_at is None or done:
        return {"css": "due-none", "text": NONE if due_at is None else "done"}
    left = due_at - utcnow()
    if left < timedelta(0):
        return {"css": "due-late", "text": f"late by {describe_lateness(-left)}"}
    text = f"{describe_lateness(left)} left"
    return {"css": "due-soon" if left < DUE_SOON else "due-ok", "text": text}


def label(value: object) -> str:
    text = str(getattr(value, "value", value) or NONE)
    return text.replace("_", " ")


@pass_context
def customer_when(context: Context, moment: datetime | None) -> str:
    """A moment in the page's language and the customer's time zone."""
    customer = context.get("customer")
    return format_moment(moment, context.get("language"), getattr(customer, "time_zone", None))


templates.env.filters.update(when=when, label=label, customer_when=customer_when)
templates.env.globals.update(
    due_state=due_state,
    Action=Action,
    may=may,
    may_administer=may_administer,
    is_open=is_open,
    is_finished=is_finished,
    language_for_staff=language_for_staff,
)


def flash(request: Request, message: str, level: str = "success") -> None:
    request.session.setdefault("flash", []).append({"level": level, "text": message})


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    user = signed_in_user(request)
    company = current_company()
    base = {
        "user": user,
        "csrf_token": csrf_token(request),
        "flashes": request.session.pop("flash", []),
        "company": company,
        "company_name": company.name,
    }
    response = templates.TemplateResponse(
        request, name, {**base, **(context or {})}, status_code=status_code
    )
    response.headers.update(PAGE_HEADERS)
    return response


# Marked for the catalogues: on a customer's status page they are shown in their language.
ERROR_TITLES = {
    400: gettext_noop("The request could not be read"),
    401: gettext_noop("Please sign in"),
    403: gettext_noop("Not for your role"),
    404: gettext_noop("Not found"),
    409: gettext_noop("That cannot be done now"),
    413: gettext_noop("Too large"),
    422: gettext_noop("Please check what you entered"),
    429: gettext_noop("Too many attempts"),
    503: gettext_noop("Busy, please try again"),
}
SOMETHING_WENT_WRONG = gettext_noop("Something went wrong")


@dataclass(frozen=True)
class CustomerPage:
    """Set on ``request.state.customer_page`` by the status page's routes: an error there is
    shown in the page's language, with the way back to the customer's complaint."""

    language: str
    back_url: str


def error_page(request: Request, status_code: int, detail: object) -> HTMLResponse:
    items = detail if isinstance(detail, list | tuple) else [detail]
    message = (
        detail
        if isinstance(detail, str)
        else "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in items)
    )
    title = ERROR_TITLES.get(status_code, SOMETHING_WENT_WRONG)
    context: dict[str, Any] = {"title": title, "message": message}
    customer_page = getattr(request.state, "customer_page", None)
    if isinstance(customer_page, CustomerPage):
        words = translations(customer_page.language).ugettext
        context.update(
            title=words(title),
            language=customer_page.language,
            back_url=customer_page.back_url,
            customer_view=True,
        )
    return render(request, "error.html", context, status_code=status_code)
