"""One place for settings: environment variables (prefix ``CW_``) or a ``.env`` file."""

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development-only defaults, clearly marked: refused outside ENVIRONMENT=development.
DEV_SECRET_KEY = "dev-only-secret-change-me-0123456789abcdef"  # noqa: S105
DEV_DEMO_PASSWORD = "demo"  # noqa: S105
MIN_KEY_BYTES = 32
MIN_KEY_CHARACTERS = 10  # distinct ones: "aaaa..." or "0101..." is not a key
GENERATE_KEY = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
DEV_HISTORY_KEY = "dev-only-history-key-change-me-0123456789abcdef"

DEFAULT_DEPARTMENT_EMAILS = {
    "sales": ["sales@example.com"],
    "quality": ["quality@example.com"],
    "technical": ["technical@example.com"],
    "production": ["production@example.com"],
    "procurement": ["procurement@example.com"],
}

# How long a healthy run of each flow takes at most; past it the run is taken for dead and
# crashed, which releases its deployment concurrency slot (flows/stale_runs.py).
DEFAULT_FLOW_EXPECTED_SECONDS = {
    "deliver-events": 300,
    "send-notices": 300,
    "sweep-deadlines": 600,
    "send-digests": 900,
    "checkpoint-history": 600,
    "read-mailbox": 300,
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CW_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    environment: Literal["development", "test", "production"] = "development"
    var_dir: Path = Path("var")
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means SQLite in var/complaints.db"
    )
    sqlite_busy_timeout_ms: int = 5000
    sqlite_max_page_count: int = Field(
        default=0, description="Cap the SQLite file at this many pages (0: no cap); a quota"
    )

    secret_key: str = DEV_SECRET_KEY
    access_token_minutes: int = 30
    web_session_hours: int = Field(default=10, description="Sign-in lifetime of the web pages")
    password_link_hours: int = Field(
        default=24, ge=1, le=168, description="How long a one-time password link works"
    )

    prefect_api_url: str = "http://127.0.0.1:4200/api"
    api_host: str = "127.0.0.1"
    api_port: int = 8000

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_mode: Literal["insecure", "starttls", "ssl"] = "insecure"
    smtp_user: str = ""
    smtp_password: str = ""
    mail_from: str = "complaints@example.com"
    company_name: str = Field(
        default="Example Manufacturing",
        description="The company customers deal with: on their documents (8D), at the top of "
        "their status page, and the display name in From: unless mail_from_name is set",
    )
    mail_from_name: str = Field(default="", description="From: display name; empty: company_name")
    smtp_timeout_seconds: int = 15
    department_emails: dict[str, list[str]] = Field(
        default_factory=lambda: dict(DEFAULT_DEPARTMENT_EMAILS)
    )
    review_currency: str = Field(
        default="CNY", description="The currency of the contract review's thresholds"
    )
    review_special_value: Decimal = Field(
        default=Decimal(1_000_000),
        gt=0,
        description="A contract or order of this value or more is special: review meeting "
        "and the general manager's approval",
    )
    review_confirmation_value: Decimal = Field(
        default=Decimal(10_000),
        ge=0,
        description="Below this value the delivery note confirms a phone, oral or fax order",
    )
    review_exchange_rates: dict[str, Decimal] = Field(
        default_factory=lambda: {"CNY": Decimal(1)},
        description="Value of one unit of each currency a review may be in, in review_currency",
    )
    allowed_target_schemes: list[str] = Field(default_factory=lambda: ["mailto", "mailtos"])
    allow_private_targets: bool = False
    notice_max_attempts: int = 8
    notice_retry_base_seconds: float = 5.0
    notice_lease_seconds: int = 120
    public_base_url: str = "http://127.0.0.1:8000"

    outbox_batch_size: int = 500
    outbox_lease_seconds: int = Field(
        default=30, ge=3, description="Lease on a claimed event; renewed every third of it"
    )
    relay_poll_seconds: float = 0.2
    relay_threads: int = Field(default=16, ge=1, le=64, description="Relay's worker threads")
    relay_heartbeat_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often a relay records it is alive; health calls "
        "it down after three intervals without a beat",
    )
    stack_startup_timeout_seconds: float = Field(
        default=90.0,
        gt=0,
        description="`complaints run`: how long the Prefect server and the "
        "API each have to answer before the start-up is given up",
    )
    relay_send_concurrency: int = Field(
        default=16, ge=1, le=64, description="Notices the relay sends at once, own threads"
    )
    event_max_attempts: int = Field(
        default=8, ge=1, description="Attempts at an event before it is parked as failed"
    )
    event_retry_base_seconds: float = Field(
        default=5.0, gt=0, description="Wait after an event's first failure, doubled each time"
    )
    flow_expected_seconds: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_FLOW_EXPECTED_SECONDS),
        description="Longest a run of each flow may hold its slot before it is crashed",
    )
    flow_pending_seconds: int = Field(
        default=90, ge=10, description="Longest a run may wait Pending for its worker"
    )
    flow_heartbeat_seconds: int = Field(
        default=30, ge=30, description="Flow runs' heartbeat (PREFECT_FLOWS_HEARTBEAT_FREQUENCY)"
    )
    stale_run_check_seconds: float = Field(
        default=60.0, gt=0, description="How often the relay looks for runs that hold a slot"
    )

    business_timezone: str = "Europe/Berlin"
    default_language: str = Field(
        default="en",
        description="Language of a customer who names none (BCP 47: en, de, fr, es, zh-Hans); "
        "the time zone of one who names none is business_timezone",
    )
    holiday_country: str = "DE"
    workday_start_hour: int = 8
    workday_end_hour: int = 17

    max_page_size: int = 100
    max_body_bytes: int = 1_000_000
    max_upload_body_bytes: int = Field(
        default=52_000_000, description="Body limit of the complaint form (attachments)"
    )
    failed_login_rate: str = Field(
        default="5/minute", description="Failed sign-ins allowed per username and address"
    )
    failed_login_address_rate: str = Field(
        default="20/minute", description="Failed sign-ins allowed per address, all usernames"
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses (or networks) of reverse proxies whose X-Forwarded-For is "
        "believed; none by default, so a client cannot choose the address it is counted as",
    )
    intake_rate: str = Field(default="20/second", description="Complaints logged per user")
    max_received_age_days: int = Field(
        default=365, ge=1, le=3650, description="Oldest received_at a complaint may be logged with"
    )
    reopen_window_days: int = Field(
        default=30,
        ge=0,
        le=365,
        description="Calendar days a complaint closed for lack of an answer can be reopened",
    )

    history_key: str = Field(
        default=DEV_HISTORY_KEY,
        description="HMAC key sealing the history (at least 32 bytes), kept outside the database",
    )
    history_retired_keys: list[str] = Field(
        default_factory=list,
        description="Earlier history keys (JSON list): entries sealed with them still verify",
    )
    history_checkpoint_file: Path | None = Field(
        default=None, description="Append-only log of checkpoints; empty: var/checkpoints/"
    )
    # Mail intake (docs/architecture.md, "Mail intake"): empty host = no IMAP reading.
    imap_host: str = Field(default="", description="IMAP server of the complaints mailbox")
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_user: str = ""
    imap_password: str = ""
    imap_folder: str = "INBOX"
    imap_tls: bool = Field(default=True, description="IMAP over TLS (port 993); false: plain")
    imap_batch: int = Field(default=50, ge=1, le=500, description="Mails read per run at most")
    inbound_smtp_port: int = Field(
        default=2525, ge=0, le=65535, description="Development inbound mail listener; 0: off"
    )

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, language: str) -> str:
        from workflow.languages import normalise_language  # it reads these settings

        return normalise_language(language)

    @field_validator("business_timezone")
    @classmethod
    def _known_time_zone(cls, time_zone: str) -> str:
        from workflow.languages import validate_time_zone

        return validate_time_zone(time_zone)

    @model_validator(mode="after")
    def _refuse_weak_keys(self) -> "Settings":
        """The keys signing tokens and sealing the history: never empty; in production never
        a development key, short, or of few different characters. The key is never echoed."""
        production = self.environment == "production"
        keys = [
            ("CW_SECRET_KEY", self.secret_key, DEV_SECRET_KEY),
            ("CW_HISTORY_KEY", self.history_key, DEV_HISTORY_KEY),
            *(("CW_HISTORY_RETIRED_KEYS", k, DEV_HISTORY_KEY) for k in self.history_retired_keys),
        ]
        for name, key, development_key in keys:
            problem = key_problem(name, key, development_key=development_key, production=production)
            if problem:
                raise ValueError(f"{problem}; {GENERATE_KEY}")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'complaints.db'}"

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    @property
    def history_checkpoint_path(self) -> Path:
        return self.history_checkpoint_file or self.var_dir / "checkpoints" / "history.log"


def key_problem(name: str, key: str, *, development_key: str, production: bool) -> str | None:
    """Why ``key`` may not be used; None if it may."""
    if not key.strip():
        return f"{name} is empty"
    if not production:
        return None
    if key == development_key:
        return f"{name} is the development key, refused in production"
    if len(key.encode()) < MIN_KEY_BYTES:
        return f"{name} has {len(key.encode())} bytes; production needs at least {MIN_KEY_BYTES}"
    if len(set(key)) < MIN_KEY_CHARACTERS:
        return (
            f"{name} has only {len(set(key))} different characters; production needs a random "
            f"key (at least {MIN_KEY_CHARACTERS})"
        )
    return None


@lru_cache
def get_settings() -> Settings:
    return Settings()
