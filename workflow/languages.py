"""The customer's language and time zone: which tags we accept, which catalogues we ship, and
moments written as the customer reads them (docs/architecture.md, "Languages").

Customers' mails and status page are translated through gettext catalogues compiled from
``workflow/locale/<language>/LC_MESSAGES/messages.po`` (``make translations``); staff pages
and staff mails stay English.
"""

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date, format_time
from babel.support import NullTranslations, Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from workflow.config import get_settings

LOCALE_DIR = Path(__file__).parent / "locale"
# The languages we write to customers in, as stored (BCP 47), each with its catalogue.
SHIPPED_LANGUAGES = ("en", "de", "fr", "es", "zh-Hans")
MAX_TAG_LENGTH = 35


def normalise_language(tag: str) -> str:
    """``tag`` as we store it (``de``, ``de-AT``, ``zh-Hans``); ValueError, in plain words, for
    a tag that names no language Babel knows."""
    cleaned = tag.strip().replace("_", "-")
    problem = f"'{tag[:40]}' is not a language tag we know; use one like en, de, fr, es or zh-Hans"
    if not cleaned or len(cleaned) > MAX_TAG_LENGTH:
        raise ValueError(problem)
    primary = cleaned.split("-")[0].lower()
    if not (primary.isascii() and primary.isalpha() and len(primary) in (2, 3)):
        raise ValueError(problem)
    try:
        locale = Locale.parse(cleaned, sep="-")
    except (ValueError, TypeError, UnknownLocaleError) as exc:
        raise ValueError(problem) from exc
    if locale.language != primary:
        # Babel reads some codes as aliases of others (``est`` as Estonian, ``und`` as en-US).
        raise ValueError(problem)
    return str(locale).replace("_", "-")


def validate_time_zone(name: str) -> str:
    """An IANA time zone name (``Europe/Berlin``); ValueError in plain words otherwise."""
    cleaned = name.strip()
    problem = f"'{name[:60]}' is not a time zone we know; use an IANA name like Europe/Berlin"
    if not cleaned or len(cleaned) > 64 or cleaned.startswith(("/", ".")):
        raise ValueError(problem)
    try:
        ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(problem) from exc
    return cleaned


def default_language() -> str:
    return normalise_language(get_settings().default_language)


def default_time_zone() -> str:
    return get_settings().business_timezone


def _likely_script(language: str) -> str | None:
    """CLDR's likely script of a bare language: ``zh`` is written in ``Hans``."""
    likely = str(get_global("likely_subtags").get(language, ""))
    return next((part for part in likely.split("_")[1:] if len(part) == 4), None)


def closest_shipped(tag: str) -> str | None:
    """The shipped language ``tag`` is a form of (``de-AT`` -> ``de``, ``zh-CN`` ->
    ``zh-Hans``), or None."""
    try:
        wanted = Locale.parse(normalise_language(tag), sep="-")
    except ValueError:
        return None
    for shipped in SHIPPED_LANGUAGES:
        have = Locale.parse(shipped, sep="-")
        script = wanted.script or _likely_script(wanted.language)
        if wanted.language == have.language and (have.script is None or have.script == script):
            return shipped
    return None


def shipped_language(tag: str | None) -> str:
    """The shipped language closest to ``tag``, else the company's default."""
    found = closest_shipped(tag) if tag else None
    if found:
        return found
    fallback = closest_shipped(get_settings().default_language)
    return fallback or "en"


def babel_locale(language: str | None) -> Locale:
    return Locale.parse(shipped_language(language), sep="-")


@lru_cache(maxsize=16)
def translations(language: str | None) -> NullTranslations:
    """The compiled catalogue of the shipped language closest to ``language``; none (the
    templates' English) for staff, who name no language."""
    if not language:
        return NullTranslations()
    locale = babel_locale(language)
    return Translations.load(LOCALE_DIR, [str(locale)])


def format_moment(moment: datetime | None, language: str | None, time_zone: str | None) -> str:
    """A moment as the customer reads it: their language's date and time, in their zone."""
    if moment is None:
        return "-"
    locale = babel_locale(language)
    zone = ZoneInfo(validate_time_zone(time_zone or default_time_zone()))
    local = moment.astimezone(zone)
    date = format_date(local, "long", locale=locale)
    time = format_time(local, "short", tzinfo=zone, locale=locale)
    zone_name = format_time(local, "zzzz", tzinfo=zone, locale=locale)
    return f"{locale.datetime_formats['long'].format(time, date)} ({zone_name})"


def format_day(moment: datetime | None, language: str | None, time_zone: str | None) -> str:
    """The customer's calendar day of a moment, in their language (``3. Dezember 2026``)."""
    if moment is None:
        return "-"
    zone = ZoneInfo(validate_time_zone(time_zone or default_time_zone()))
    return format_date(moment.astimezone(zone), "long", locale=babel_locale(language))


def language_name(language: str) -> str:
    """A language's name in that language (``Deutsch``), for the switch between them."""
    name = Locale.parse(language, sep="-").get_display_name(Locale.parse(language, sep="-"))
    return (name or language)[:1].upper() + (name or language)[1:]


@pass_context
def _gettext(context: Context, message: str) -> str:
    return translations(context.get("language")).ugettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, count: int) -> str:
    return translations(context.get("language")).ungettext(singular, plural, count)


def install_translations(env: Environment) -> None:
    """Templates of ``env`` (with ``jinja2.ext.i18n``) translate into the language their
    context names (``language``); without one, into none: the English of the template."""
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True
    )


def language_for_staff(language: str) -> str:
    """A customer's language as staff read it: ``German (de)``; and the shipped language the
    customer is written in, where it is another (``Italian (it), written to in English``)."""
    english = Locale.parse("en")
    try:
        name = Locale.parse(language, sep="-").get_display_name(english) or language
    except (ValueError, UnknownLocaleError):
        name = language
    shipped = shipped_language(language)
    if shipped == language:
        return f"{name} ({language})"
    written = Locale.parse(shipped, sep="-").get_display_name(english)
    return f"{name} ({language}), written to in {written}"


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogues (``pybabel extract -k gettext_noop``); translated
    where it is shown."""
    return message
