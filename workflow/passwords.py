"""What a staff password must be (NIST SP 800-63B): long enough, not a common one, not the
username; no composition rules. The development-only demo password is set around this."""

from functools import lru_cache
from pathlib import Path

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common_passwords.txt"
SERVICE_WORDS = ("complaint",)


@lru_cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def password_problem(password: str, *, username: str = "") -> str | None:
    """Why ``password`` may not be used, in words for the person choosing it; None if fine."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password must have at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"password must have at most {MAX_PASSWORD_LENGTH} characters"
    lowered = password.lower()
    if lowered in common_passwords():
        return "password is one of the most common passwords; choose another"
    if len(set(lowered)) < 4:
        return "password repeats too few characters; choose another"
    words = [*SERVICE_WORDS, username.lower()] if len(username) >= 3 else SERVICE_WORDS
    if any(word in lowered for word in words):
        return "password must not contain the username or the name of this service"
    return None
