"""A multipart body from someone not signed in is refused before the server reads it: the
answer comes while most of the body has not even been sent."""

import re
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest

FORTY_MB = 40 * 1024 * 1024  # under the complaint form's limit
NINE_HUNDRED_KB = 900 * 1024  # under every other route's limit
BOUNDARY = "hostile-boundary"


def _answer_to_a_body_never_sent(
    base_url: str, path: str, size: int = FORTY_MB, cookie: str = ""
) -> tuple[str, float]:
    """Declare a multipart body of ``size`` bytes, send 64 KB of it, and read the answer: a
    server that waits for the body before answering never answers (the socket times out)."""
    address = urlsplit(base_url)
    started = time.monotonic()
    with socket.create_connection((address.hostname, address.port), timeout=15) as connection:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: {size}\r\n{cookie}\r\n"
        )
        part = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="product"\r\n\r\n'
        connection.sendall(head.encode() + part.encode() + b"x" * 64 * 1024)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer.decode("latin-1"), time.monotonic() - started


@pytest.mark.parametrize(
    ("path", "size", "status", "location"),
    [
        ("/complaints/new", FORTY_MB, "303", "/login?next=/complaints/new"),
        ("/tasks/1/assessment", NINE_HUNDRED_KB, "303", "/login?next=/tasks/1/assessment"),
        ("/api/v1/complaints", NINE_HUNDRED_KB, "401", None),
    ],
)
def test_a_large_anonymous_multipart_body_is_refused_before_it_is_read(
    base_url, path, size, status, location
):
    answer, seconds = _answer_to_a_body_never_sent(base_url, path, size)
    assert answer.startswith(f"HTTP/1.1 {status}"), answer[:300]
    if location:
        assert f"location: {location}" in answer.lower()
    assert seconds < 10


def test_a_forged_session_cookie_does_not_open_the_door(base_url):
    forged = "Cookie: cw_session=eyJ1c2VyIjogInNhbGVzIn0=.forged.signature\r\n"
    answer, _ = _answer_to_a_body_never_sent(base_url, "/complaints/new", cookie=forged)
    assert answer.startswith("HTTP/1.1 303"), answer[:300]


def test_a_signed_in_user_still_sends_forms_with_files_and_anyone_may_sign_in(base_url):
    with httpx.Client(base_url=base_url, follow_redirects=False) as browser:
        page = browser.get("/login")
        found = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
        assert found is not None
        fields = {"username": "sales", "password": "demo", "csrf_token": found.group(1)}
        signed_in = browser.post("/login", files={k: (None, v) for k, v in fields.items()})
        assert signed_in.status_code == 303  # multipart sign-in: open to everyone
        token = re.search(r'"X-CSRF-Token": "([^"]+)"', browser.get("/complaints/new").text)
        assert token is not None
        answer = browser.post(
            "/complaints/new",
            data={"csrf_token": token.group(1), "product": ""},
            files=[("attachments", ("empty.pdf", b"", "application/pdf"))],
        )
        assert answer.status_code == 422  # read and checked: the product is missing
        assert "product" in answer.text.lower()
    api = httpx.post(
        f"{base_url}/api/v1/auth/token",
        files={"username": (None, "sales"), "password": (None, "demo")},
    )
    assert api.status_code == 200, api.text
