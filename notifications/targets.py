"""Where notices may go. Targets from the API are checked; e-mail URLs are built here."""

import ipaddress
import socket
from urllib.parse import parse_qsl, urlencode, urlsplit

from workflow.config import get_settings

LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
SERVER_PARAMS = {"smtp"}  # query parameters that name the server Apprise connects to


def _ip_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address ``host`` names as a literal, in any form the resolver takes (``127.1``,
    ``2130706433``, ``0x7f000001``), or None for a host name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, UnicodeError, ValueError):
        return None


def _host_is_private(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if host in LOCAL_NAMES or host.endswith(".localhost") or host.endswith(".local"):
        return True
    address = _ip_address(host)
    if address is None:
        return False
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def validate_target(url: str) -> str:
    """The URL itself if it is an allowed Apprise target; ValueError naming the problem if not."""
    settings = get_settings()
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in settings.allowed_target_schemes:
        allowed = ", ".join(settings.allowed_target_schemes)
        raise ValueError(
            f"notification target scheme {scheme or '(none)'!r} not allowed ({allowed})"
        )
    try:
        host = parts.hostname or ""
    except ValueError as exc:
        raise ValueError("notification target has an invalid host") from exc
    if not host:
        raise ValueError("notification target has no host")
    if not settings.allow_private_targets:
        # Apprise's ``smtp=`` parameter names the server it connects to, whatever the host.
        servers = [v for k, v in parse_qsl(parts.query) if k.strip().lower() in SERVER_PARAMS]
        if any(_host_is_private(h) for h in [host, *map(_server_host, servers)]):
            raise ValueError("notification target points at a loopback, private or link-local host")
    return url


def _server_host(value: str) -> str:
    """The host of a ``host[:port]`` parameter; ``localhost`` (refused) if it cannot be read."""
    try:
        return urlsplit(f"//{value.strip()}").hostname or "localhost"
    except ValueError:
        return "localhost"


def email_target_url(address: str) -> str:
    """The Apprise URL that mails ``address`` through the configured SMTP server."""
    settings = get_settings()
    credentials = ""
    if settings.smtp_user:
        credentials = f"{settings.smtp_user}:{settings.smtp_password}@"
    query = urlencode(
        {
            "from": settings.mail_from,
            "to": address,
            "mode": settings.smtp_mode,
            "cto": settings.smtp_timeout_seconds,
        }
    )
    return f"mailto://{credentials}{settings.smtp_host}:{settings.smtp_port}?{query}"
