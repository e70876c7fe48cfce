"""HTML documents to PDF: Jinja2 templates (autoescaped, like the pages) and WeasyPrint.

Dates are printed in the company's time zone (``CW_BUSINESS_TIMEZONE``) with its abbreviation,
so an auditor reads the times the staff saw. WeasyPrint fetches nothing but the ``data:`` URLs
the templates embed (attachments' thumbnails): text a customer typed is escaped, and even markup
that slipped through could not make the server fetch a URL. New documents (the 8D report) add a
template here and call ``pdf_document``."""

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from workflow.calendar import company_calendar

TEMPLATES = Path(__file__).parent / "templates"
NONE = "\u2013"  # an en dash: no value
LOCAL_FORMAT = "%Y-%m-%d %H:%M %Z"


def local_time(moment: datetime | None) -> str:
    """A moment in the company's time zone: ``2026-11-24 09:05 CET``."""
    if moment is None:
        return NONE
    return moment.astimezone(company_calendar().zone).strftime(LOCAL_FORMAT)


def local_day(moment: datetime | None) -> str:
    if moment is None:
        return NONE
    return company_calendar().local_date(moment).isoformat()


def label(value: object) -> str:
    if value is None or value == "":
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(getattr(value, "value", value)).replace("_", " ")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(local=local_time, day=local_day, label=label)
    return env


def html_document(template: str, context: dict[str, Any]) -> str:
    return environment().get_template(template).render(**context)


def pdf_document(template: str, context: dict[str, Any]) -> bytes:
    """The template rendered to PDF with the print stylesheet (page N of M in the footer)."""
    from weasyprint import CSS, HTML  # imported on use: loading Pango costs about a second
    from weasyprint.urls import URLFetcher

    embedded_only = URLFetcher(allowed_protocols={"data"})
    html = HTML(string=html_document(template, context), url_fetcher=embedded_only)
    stylesheet = CSS(filename=str(TEMPLATES / "print.css"))
    return html.write_pdf(stylesheets=[stylesheet])
