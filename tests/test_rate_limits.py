"""Failed sign-ins and intake are rate-limited (429 with Retry-After)."""

import pytest

from api.ratelimit import reset_rate_limits
from tests.support import complaint_payload
from workflow.config import get_settings


@pytest.fixture
def limits(monkeypatch, settings):
    monkeypatch.setenv("CW_FAILED_LOGIN_RATE", "3/minute")
    monkeypatch.setenv("CW_INTAKE_RATE", "5/minute")
    get_settings.cache_clear()
    reset_rate_limits()
    yield
    reset_rate_limits()


def test_failed_sign_ins_are_limited_per_user_and_address(as_user, base_url, limits):
    import httpx

    def sign_in(username: str, password: str) -> httpx.Response:
        return httpx.post(
            f"{base_url}/api/v1/auth/token", data={"username": username, "password": password}
        )

    assert [sign_in("sales", "wrong").status_code for _ in range(3)] == [401, 401, 401]
    refused = sign_in("sales", "demo")  # even the right password, until the window passes
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert sign_in("quality", "demo").status_code == 200  # other users are not affected


def test_intake_is_limited_per_user(as_user, limits):
    sales, admin = as_user("sales"), as_user("admin")
    answers = [sales.post("/complaints", json=complaint_payload()).status_code for _ in range(6)]
    assert answers == [201] * 5 + [429]
    assert admin.post("/complaints", json=complaint_payload()).status_code == 201


def test_sign_in_takes_as_long_for_an_unknown_user_as_for_a_wrong_password(base_url, settings):
    import statistics
    import time

    import httpx

    def timed(username: str) -> float:
        started = time.perf_counter()
        answer = httpx.post(
            f"{base_url}/api/v1/auth/token", data={"username": username, "password": "wrong"}
        )
        assert answer.status_code == 401
        return time.perf_counter() - started

    timed("sales")  # warm up
    known = statistics.median(timed("sales") for _ in range(7))
    unknown = statistics.median(timed("nobody-by-this-name") for _ in range(7))
    assert 0.5 < unknown / known < 2.0, (known, unknown)
