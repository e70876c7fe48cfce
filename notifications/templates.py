"""Notices rendered from Jinja2 templates: pure functions of the record they describe.

One template per notice: the HTML part. The plain-text part is what Apprise's e-mail plugin
derives from that HTML (``body_format=HTML`` always sends both, and cannot take ours), so the
text is derived here with the same converter: what staff and sales see is what was sent.
HTML bodies are autoescaped, so text a customer typed can never become markup.

A notice whose context names a ``language`` (the customer's) is translated through that
language's gettext catalogue and its moments are written in the customer's ``time_zone``;
staff notices name none and stay English, in UTC.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from apprise import NotifyFormat
from apprise.conversion import convert_between
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from models.notification import NoticeKind
from workflow.languages import format_day, format_moment, install_translations, shipped_language

TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedNotice:
    subject: str
    body_text: str
    body_html: str
    language: str | None = None  # the Content-Language of a customer's notice


def text_of(body_html: str) -> str:
    """The plain-text part Apprise sends along with this HTML."""
    return convert_between(NotifyFormat.HTML, NotifyFormat.TEXT, body_html)


def _lines(text: str | None) -> Markup:
    """Text a person typed, its line breaks kept in both parts (``<br>``)."""
    return Markup("<br>\n").join(escape(line) for line in (text or "").splitlines())


@pass_context
def _when(context: Context, moment: datetime | None) -> str:
    language = context.get("language")
    if language:
        return format_moment(moment, language, context.get("time_zone"))
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


@pass_context
def _day(context: Context, moment: datetime | None) -> str:
    language = context.get("language")
    if language:
        return format_day(moment, language, context.get("time_zone"))
    return moment.strftime("%Y-%m-%d") if moment else "-"


@lru_cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    install_translations(env)
    env.filters["when"] = _when
    env.filters["day"] = _day
    env.filters["lines"] = _lines
    return env


def render_company_foot(company: object) -> RenderedNotice:
    """The foot every customer mail ends with, both parts: for the admin's preview."""
    body_html = _environment().get_template("_company_foot.html").render(company=company)
    return RenderedNotice(subject="", body_text=text_of(body_html), body_html=body_html)


def render_notice(kind: NoticeKind, context: dict[str, Any]) -> RenderedNotice:
    env = _environment()
    language = shipped_language(context["language"]) if context.get("language") else None
    context = {**context, "language": language}
    subject = env.get_template(f"{kind.value}.subject.txt").render(context)
    # Without the template's last newline, which the mail's part does not carry either: what
    # is previewed and stored is the part as sent, byte for byte.
    body_html = env.get_template(f"{kind.value}.html").render(context).rstrip("\n")
    return RenderedNotice(
        subject=" ".join(subject.split())[:300],
        body_text=text_of(body_html),
        body_html=body_html,
        language=language,
    )
