"""SSRF through a customer's notification targets: refused on input, and every address a
target would connect to is checked again when it is sent (a host name that resolves to the
relay's own machine included). Staff see a generic reason, never a connection error.

The only thing faked is the DNS answer for one name we control (``socket.getaddrinfo``);
the SMTP server, the relay, Prefect and the database are real.
"""

import ipaddress
import json
import socket

import pytest
from sqlmodel import select

from models.customer import Customer
from models.notification import NoticeChannel, NoticeStatus, Notification
from notifications.sender import NOT_DELIVERED, TARGET_REFUSED
from notifications.targets import is_public_address
from tests.support import complaint_payload, drain_outbox, free_port
from workflow.config import get_settings
from workflow.db import read_session, write_session

CONTROLLED_NAME = "mx.customer-mail.example"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("100.64.0.1", False),  # CGNAT (is_private says False for it)
        ("100.127.255.254", False),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("224.0.0.1", False),  # multicast: is_global says True for it
        ("240.0.0.1", False),
        ("0.0.0.0", False),
        ("192.0.2.1", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("8.8.8.8", True),
        ("93.184.215.14", True),
        ("2001:4860:4860::8888", True),
        ("::ffff:8.8.8.8", False),  # IPv4-mapped: refused whatever it maps to
    ],
)
def test_only_globally_routable_addresses_are_public(address, public):
    assert is_public_address(ipaddress.ip_address(address)) is public


REFUSED_ON_INPUT = [
    "mailto://ops@100.64.1.2",  # CGNAT literal
    "mailto://ops@[64:ff9b::7f00:1]",
    "mailto://ops@[2002:7f00:1::]",
    "mailto://ops@example.com:2525",  # port override
    "mailto://ops@example.com:",
    "mailto://ops@example.com?smtp=smtp.example.org",  # server override, even a public one
    "mailto://ops@example.com?SMTP=",
    "mailto://ops@example.com?user=relay&pass=secret",
    "mailto://ops:secret@example.com",  # credentials in the URL
    "mailto://ops@example.com?pgpkey=/etc/passwd",
    "mailto://ops@example.com?%2BX-Forwarded-To=evil@example.net",
    "mailto://ops@printer.internal",
]


@pytest.mark.parametrize("target", REFUSED_ON_INPUT)
def test_a_target_naming_a_port_server_credential_or_non_public_address_is_refused(as_user, target):
    customer = complaint_payload()["customer"] | {"notification_targets": [target]}
    answer = as_user("sales").post("/complaints", json=complaint_payload(customer=customer))
    assert answer.status_code == 422, answer.text
    (detail,) = answer.json()["detail"]
    assert detail["loc"] == ["body", "customer", "notification_targets"]
    assert "notification target" in detail["msg"]


@pytest.fixture
def dns(monkeypatch):
    """Answer for CONTROLLED_NAME with the given addresses in turn (the last one repeats);
    its port 25 stands for the test's own SMTP server, a mail server on this machine."""
    real = socket.getaddrinfo
    answers: list[tuple[str, int]] = []
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if str(host).rstrip(".").lower() != CONTROLLED_NAME:
            return real(host, port, *args, **kwargs)
        ip, mapped_port = answers[min(len(asked), len(answers) - 1)]
        asked.append(ip)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, mapped_port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def answer(*addresses: tuple[str, int]) -> list[str]:
        answers.extend(addresses)
        return asked

    return answer


def _customer_target_notices() -> list[Notification]:
    with read_session() as session:
        return list(
            session.exec(select(Notification).where(Notification.channel == NoticeChannel.apprise))
        )


def _log_with_target(as_user, target: str) -> str:
    customer = complaint_payload()["customer"] | {"notification_targets": [target]}
    return as_user("sales").log_complaint(customer=customer)["reference"]


def _assert_refused_and_never_connected(as_user, reference, mailbox):
    (notice,) = _customer_target_notices()
    assert notice.status is NoticeStatus.failed
    assert notice.next_attempt_at is None  # given up at once: retrying cannot help
    assert notice.last_error == TARGET_REFUSED
    assert not [m for m in mailbox.snapshot() if m["X-Notice-Id"] == str(notice.id)]
    record = as_user("admin").record(reference)
    assert "notice_failed" in [h["action"] for h in record["history"]]
    held = as_user("admin").get("/admin/notices/held").json()
    assert notice.id in [h["id"] for h in held]


def test_a_target_whose_name_resolves_to_loopback_is_never_connected(
    as_user, mailbox, smtp_server, dns
):
    asked = dns(("127.0.0.1", smtp_server.port))
    reference = _log_with_target(as_user, f"mailto://ops@{CONTROLLED_NAME}")
    drain_outbox()
    assert asked  # the name was resolved at send time
    _assert_refused_and_never_connected(as_user, reference, mailbox)
    assert len(mailbox.snapshot()) >= 1  # the customer's own e-mail still went out


def test_a_name_that_rebinds_to_loopback_after_the_check_is_refused_at_connect(
    as_user, mailbox, smtp_server, dns
):
    asked = dns(("93.184.215.14", 25), ("127.0.0.1", smtp_server.port))
    reference = _log_with_target(as_user, f"mailto://ops@{CONTROLLED_NAME}")
    drain_outbox()
    assert asked[:2] == ["93.184.215.14", "127.0.0.1"]
    _assert_refused_and_never_connected(as_user, reference, mailbox)


def test_a_target_stored_before_the_checks_is_checked_again_when_sent(
    as_user, mailbox, smtp_server
):
    reference = _log_with_target(as_user, "mailto://ops@example.com")
    legacy = (
        f"mailto://ops@example.com:{smtp_server.port}?smtp=127.0.0.1&mode=insecure"
        "&from=ops@example.com"
    )
    with write_session() as session:
        for customer in session.exec(select(Customer)):
            customer.notification_targets = [legacy]
            session.add(customer)
        session.commit()
    drain_outbox()
    _assert_refused_and_never_connected(as_user, reference, mailbox)


def test_staff_see_a_generic_reason_and_the_detail_goes_to_the_server_log(
    as_user, settings, monkeypatch, caplog
):
    closed_port = free_port()
    monkeypatch.setenv("CW_SMTP_PORT", str(closed_port))
    get_settings.cache_clear()
    reference = as_user("sales").log_complaint()["reference"]
    with caplog.at_level("WARNING", logger="notifications.sender"):
        drain_outbox()
    record = as_user("quality").record(reference)
    assert record["notifications"]
    assert {n["last_error"] for n in record["notifications"]} == {NOT_DELIVERED}
    text = json.dumps(record)
    for detail in ("Errno", "Connection refused", f":{closed_port}"):
        assert detail not in text
    logged = [r.getMessage() for r in caplog.records if r.name == "notifications.sender"]
    assert any("not delivered" in m and "refused" in m.lower() for m in logged), logged
