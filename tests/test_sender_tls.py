"""The shortcut around Apprise's per-message SSL context applies only to plain SMTP."""

import ssl

import apprise.plugins.email.base as apprise_email
import pytest

from notifications.sender import _plain_smtp, install, is_plain_smtp


@pytest.fixture(autouse=True)
def _installed():
    install()


@pytest.mark.parametrize(
    ("url", "plain"),
    [
        ("mailto://127.0.0.1:1025?from=a@x.example&to=b@x.example&mode=insecure", True),
        ("mailto://smtp.example:587?to=b@x.example&mode=starttls", False),
        ("mailto://smtp.example:465?to=b@x.example&mode=ssl", False),
        ("mailtos://smtp.example?to=b@x.example&mode=insecure", False),
        ("mailto://smtp.example?to=b@x.example", False),
    ],
)
def test_only_plain_smtp_targets_are_plain(url, plain):
    assert is_plain_smtp(url) is plain


def test_tls_sends_keep_the_verifying_context():
    token = _plain_smtp.set(False)
    try:
        context = apprise_email.ssl.create_default_context()
    finally:
        _plain_smtp.reset(token)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0  # the CA bundle is loaded


def test_plain_sends_get_a_bare_context_that_still_would_verify():
    token = _plain_smtp.set(True)
    try:
        context = apprise_email.ssl.create_default_context()
    finally:
        _plain_smtp.reset(token)
    assert context.cert_store_stats()["x509_ca"] == 0  # nothing loaded: cheap
    assert context.verify_mode == ssl.CERT_REQUIRED  # never an accidental "accept any"
    assert apprise_email.ssl.PROTOCOL_TLS_CLIENT is ssl.PROTOCOL_TLS_CLIENT
