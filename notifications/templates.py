"""Notices rendered from Jinja2 templates: pure functions of the record they describe.

HTML bodies are autoescaped, so text a customer typed can never become markup.
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from models.notification import NoticeKind

TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedNotice:
    subject: str
    body_text: str
    body_html: str


@lru_cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["when"] = lambda d: d.strftime("%Y-%m-%d %H:%M UTC") if d else "-"
    return env


def render_notice(kind: NoticeKind, context: dict[str, Any]) -> RenderedNotice:
    env = _environment()
    subject = env.get_template(f"{kind.value}.subject.txt").render(context)
    return RenderedNotice(
        subject=" ".join(subject.split())[:300],
        body_text=env.get_template(f"{kind.value}.txt").render(context),
        body_html=env.get_template(f"{kind.value}.html").render(context),
    )
