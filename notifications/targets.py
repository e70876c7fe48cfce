"""Where notices may go.

Staff and customer e-mail goes through the configured SMTP server (settings, trusted); its
Apprise URL is built here at send time, so no credential is ever stored with a notice.
A customer's extra Apprise targets are untrusted: checked on input (scheme, no port, no
parameter naming a server, file or credential, no private literal) and again at send time,
when every address their host names resolve to must be public.
"""

import ipaddress
import socket
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from workflow.config import get_settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
# The only query parameters a customer target may carry: recipients and a display name.
# Everything else Apprise reads can name a server (smtp=), a port, credentials (user=, pass=),
# a local file (pgpkey=) or a mail header (+X-...): refused.
SAFE_PARAMS = {"to", "cc", "bcc", "name"}
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeTarget(ValueError):
    """A notification target that may not be used; the message is safe to show staff."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IPAddress) -> bool:
    """Globally routable, and none of the special ranges (CGNAT 100.64.0.0/10 included)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and not is_public_address(embedded):
            return False
    special = (
        address.is_private,
        address.is_loopback,
        address.is_link_local,
        address.is_multicast,
        address.is_reserved,
        address.is_unspecified,
    )
    return address.is_global and not any(special)


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` names as a literal, in any form the resolver takes (``127.1``,
    ``2130706433``, ``0x7f000001``), or None for a host name."""
    try:
        return ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, UnicodeError, ValueError):
        return None


def _is_local_name(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    return host in LOCAL_NAMES or host.endswith((".localhost", ".local", ".internal"))


def check_host_literal(host: str) -> None:
    """Refuse a host that is local by its name or its literal address (no DNS asked)."""
    address = literal_address(host.strip("[]").rstrip("."))
    if _is_local_name(host) or (address is not None and not is_public_address(address)):
        raise UnsafeTarget("notification target points at a non-public address")


def resolve_public(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to, all of them public; UnsafeTarget otherwise."""
    check_host_literal(host)
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget("notification target's host does not resolve") from exc
    addresses = [literal_address(str(info[4][0])) for info in answers]
    if not addresses or any(a is None or not is_public_address(a) for a in addresses):
        raise UnsafeTarget("notification target points at a non-public address")
    return [a for a in addresses if a is not None]


def validate_target(url: str) -> str:
    """The URL itself if it may be a customer's extra target; UnsafeTarget naming the problem.

    Checked on input and again before every send (the settings may have changed since)."""
    settings = get_settings()
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in settings.allowed_target_schemes:
        allowed = ", ".join(settings.allowed_target_schemes)
        raise UnsafeTarget(
            f"notification target scheme {scheme or '(none)'!r} not allowed ({allowed})"
        )
    try:
        host, port = parts.hostname or "", parts.port
    except ValueError as exc:
        raise UnsafeTarget("notification target has an invalid host or port") from exc
    if not host:
        raise UnsafeTarget("notification target has no host")
    if port is not None or parts.netloc.rstrip("]").endswith(":"):
        raise UnsafeTarget("notification target may not name a port")
    if parts.password is not None:
        raise UnsafeTarget("notification target may not carry a password")
    names = {k.strip().lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    refused = sorted(names - SAFE_PARAMS)
    if refused:
        raise UnsafeTarget(
            f"notification target may not carry the parameter(s) {', '.join(refused)} "
            f"(allowed: {', '.join(sorted(SAFE_PARAMS))})"
        )
    if not settings.allow_private_targets:
        check_host_literal(host)
    return url


def email_target_url(address: str, *, from_name: str | None = None) -> str:
    """The Apprise URL that mails ``address`` through the configured SMTP server, as
    ``from_name`` (the caller's: the company profile's display name) or the settings' name.

    Built at send time from the settings in force, credentials included: never stored."""
    settings = get_settings()
    credentials = ""
    if settings.smtp_user:
        user, password = quote(settings.smtp_user, safe=""), quote(settings.smtp_password, safe="")
        credentials = f"{user}:{password}@"
    query = urlencode(
        {
            "from": settings.mail_from,
            "name": from_name or settings.mail_from_name or settings.company_name,
            "to": address,
            "mode": settings.smtp_mode,
            "cto": settings.smtp_timeout_seconds,
        },
        quote_via=quote,  # Apprise reads "+" as itself, not as a space
    )
    return f"mailto://{credentials}{settings.smtp_host}:{settings.smtp_port}?{query}"
