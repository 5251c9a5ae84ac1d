"""All configuration, read once from environment variables prefixed ``PRACTICE_``."""

from __future__ import annotations

import ipaddress
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from practice_api.core.secretbox import SecretBox

# What accounting and audit work exchanges: documents, spreadsheets, scans, mail, archives.
DEFAULT_UPLOAD_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/tiff",
    "image/webp",
    "image/heic",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.ms-outlook",
    "application/rtf",
    "application/zip",
    "text/plain",
    "text/csv",
    "application/xml",
    "application/json",
    "message/rfc822",
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRACTICE_", env_file=".env", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default is a SQLite file in the data folder.",
    )
    secret_key: str | None = Field(
        default=None,
        description="JWT signing key. Generated and kept in the data folder when unset "
        "(refused in production).",
    )
    previous_secret_keys: list[str] = Field(
        default_factory=list,
        description="Former secret keys, still accepted to decrypt stored webhook secrets "
        "while rotating (see practice_api.core.secretbox).",
    )
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    access_token_ttl_seconds: int = Field(default=900, gt=0)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, gt=0)
    cors_origins: list[str] = Field(default_factory=list)
    smtp_url: str | None = None
    mail_from: str = "practice-api <no-reply@practice-api.local>"
    signup_allowed: bool = True
    seed_demo: bool = Field(default=True, description="Create a demo firm on an empty database.")
    password_hash_rounds: int | None = Field(
        default=None,
        description="argon2 time cost; unset keeps argon2's own parameters. Tests lower it.",
    )
    password_hash_concurrency: int | None = Field(
        default=None,
        ge=1,
        description="Password hashes run at once (in threads, off the event loop); unset: one per "
        "core but one (left to the event loop), at most a quarter of the free memory at 64 MiB "
        "each.",
    )
    database_pool_size: int = Field(
        default=20,
        ge=1,
        description="Connections each process keeps open (PostgreSQL); sized so one worker's "
        "concurrent requests do not open and close overflow connections.",
    )
    database_max_overflow: int = Field(default=10, ge=0)
    database_connect_timeout_seconds: float = Field(
        default=5, gt=0, description="Opening a PostgreSQL connection gives up after this."
    )
    database_pool_timeout_seconds: float = Field(
        default=5, gt=0, description="Waiting for a free pooled connection gives up after this."
    )
    database_statement_timeout_seconds: float = Field(
        default=5,
        gt=0,
        description="PostgreSQL cancels a statement running longer (the driver gives up 2 s "
        "later if the server does not answer at all); the request answers 503.",
    )
    login_failures_per_account: int = Field(
        default=5,
        ge=1,
        description="Sign-in attempts per account and client address before growing delays "
        "(1 s, 2 s, 4 s ... up to login_delay_cap_seconds) slow further attempts down.",
    )
    login_failure_window_seconds: int = Field(
        default=900, gt=0, description="An account and address's attempts are forgotten after."
    )
    login_delay_cap_seconds: int = Field(default=900, ge=1)
    docs_enabled: bool | None = Field(
        default=None,
        description="Serve Swagger UI at /docs; unset: on except when "
        "PRACTICE_ENVIRONMENT=production.",
    )
    rate_limit_requests: int = Field(
        default=6000,
        ge=1,
        description="Requests each signed-in caller may make per rate_limit_window_seconds.",
    )
    rate_limit_window_seconds: int = Field(default=60, ge=1)
    rate_limit_share_seconds: float = Field(
        default=1.0,
        ge=0,
        description="On PostgreSQL each process counts callers' requests in memory and adds "
        "its counts to the shared counter at most this often per caller (and learns the other "
        "processes' counts): across processes a caller may go past the limit by what the "
        "others served in this time.",
    )
    rate_limit_per_firm: dict[str, int] = Field(
        default_factory=dict,
        description="A firm's own per-caller limit: JSON object of firm id to requests.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For is "
        "believed; none by default.",
    )
    login_attempts_per_address: int = 30
    login_address_window_seconds: int = 300
    idempotency_ttl_seconds: int = 24 * 3600
    portal_link_url: str | None = Field(
        default=None,
        description="The frontend's portal base URL. Invitation links are "
        "{base}/activate?token=... and reset links {base}/reset?token=...; "
        "default base: {public_base_url}/portal.",
    )
    app_link_url: str | None = Field(
        default=None,
        description="The staff frontend's base URL; every staff notification links to a page "
        "under it (default {public_base_url}/app). Pages per kind: PRACTICE_APP_LINK_PATHS.",
    )
    app_link_paths: dict[str, str] = Field(
        default_factory=dict,
        description='Override the staff page of a link kind, e.g. {"file": '
        '"/clients/{entity_id}/documents/{subject_id}"} (see docs/events.md, Links).',
    )
    portal_link_paths: dict[str, str] = Field(
        default_factory=dict,
        description="Override the portal page of a link kind (contacts' links, under the portal "
        "URL).",
    )
    digest_interval_seconds: float = Field(
        default=60,
        ge=0,
        description="How often the dispatcher looks for daily digests that are due (0: never).",
    )
    portal_invitation_ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    portal_reset_ttl_seconds: int = Field(default=3600, gt=0)
    portal_attempts_per_address: int = 20
    portal_address_window_seconds: int = 300
    # Client requests answered by guests (a secret link, no account).
    guest_requests_per_token: int = Field(
        default=120,
        ge=1,
        description="Requests one guest link may make per guest_window_seconds (autosave "
        "included).",
    )
    guest_requests_per_address: int = Field(
        default=300,
        ge=1,
        description="Requests to the guest routes from one address per guest_window_seconds, "
        "whatever the link (wrong links included).",
    )
    guest_window_seconds: int = Field(default=60, ge=1)
    guest_codes_per_link: int = Field(
        default=5, ge=1, description="One-time codes one link may have e-mailed per 15 minutes."
    )
    guest_code_ttl_seconds: int = Field(
        default=600, gt=0, description="How long an e-mailed one-time code can be used."
    )
    guest_code_attempts: int = Field(
        default=5, ge=1, description="Wrong entries after which a one-time code is void."
    )
    guest_session_ttl_seconds: int = Field(
        default=3600,
        gt=0,
        description="How long a verified one-time code opens the questionnaire (the "
        "X-Guest-Session value).",
    )
    run_dispatcher: bool = Field(
        default=True,
        description="Run an outbox dispatcher inside the API process (off when workers run).",
    )
    public_base_url: str = "http://127.0.0.1:8000"
    smtp_timeout_seconds: float = Field(default=30, gt=0)
    outbox_poll_seconds: float = Field(
        default=5, gt=0, description="How often an idle dispatcher looks for due deliveries."
    )
    outbox_batch_size: int = Field(default=50, ge=1, le=1000)
    outbox_concurrency: int = Field(default=10, ge=1, le=200)
    outbox_lease_seconds: float = Field(
        default=120,
        gt=0,
        description="A claimed delivery returns to the queue after this long without an outcome "
        "(its dispatcher died); must exceed the webhook and SMTP timeouts.",
    )
    outbox_max_attempts: int = Field(default=10, ge=1)
    outbox_backoff_base_seconds: float = Field(default=10, ge=0)
    outbox_backoff_cap_seconds: float = Field(default=3600, ge=0)
    webhook_timeout_seconds: float = Field(default=10, gt=0)
    webhook_allow_private_targets: bool | None = Field(
        default=None,
        description="Allow webhook URLs on private, loopback or link-local addresses; "
        "unset: allowed except when PRACTICE_ENVIRONMENT=production.",
    )
    webhook_secret_grace_seconds: int = Field(
        default=24 * 3600,
        ge=0,
        description="After a secret rotation the old secret also signs for this long.",
    )

    # Files (see practice_api.core.storage for the storage URL forms).
    storage_url: str | None = Field(
        default=None,
        description="Where uploaded files are kept: unset for the `files` folder inside the data "
        "folder, `file:///abs/path` for another folder, or "
        "`s3://bucket[/prefix]?endpoint=https://host:port&region=eu-west-1` for any "
        "S3-compatible store.",
    )
    storage_access_key: str | None = Field(
        default=None,
        description="S3 access key; unset uses the AWS default chain (AWS_* variables, roles).",
    )
    storage_secret_key: str | None = Field(default=None, description="S3 secret key.")
    max_body_bytes: int = Field(
        default=1024 * 1024,
        gt=0,
        description="Largest request body, in bytes, except multipart bodies sent to upload "
        "routes (those may be as large as an upload); 413 above, refused while reading.",
    )
    max_upload_bytes: int = Field(
        default=256 * 1024 * 1024, gt=0, description="Largest accepted file, in bytes (413 above)."
    )
    upload_allowed_types: list[str] = Field(
        default_factory=lambda: list(DEFAULT_UPLOAD_TYPES),
        description="Content types accepted for upload (sniffed from the bytes); `type/*` "
        "accepts a whole family, `*` everything (415 otherwise).",
    )
    upload_allow_empty: bool = Field(default=False, description="Accept zero-byte files.")
    file_retention_days: int = Field(
        default=3650,
        ge=0,
        description="How long a deleted file's versions and bytes are kept before purge.",
    )

    reminder_interval_seconds: float = Field(
        default=300,
        ge=0,
        description="How often the dispatcher (in the API process or `practice-api worker`) "
        "looks for due reminder slots; 0 turns automatic reminders off.",
    )
    file_purge_interval_seconds: float = Field(
        default=3600,
        ge=0,
        description="How often the dispatcher (in the API process or `practice-api worker`) "
        "purges deleted files past their retention; 0 turns purging off.",
    )
    task_generation_interval_seconds: float = Field(
        default=3600,
        ge=0,
        description="How often the dispatcher (in the API process or `practice-api worker`) "
        "generates the tasks of recurring task types; 0 turns it off (run "
        "`practice-api generate-tasks` from a scheduler instead).",
    )

    @model_validator(mode="after")
    def _production_needs_secret(self) -> Settings:
        for entry in self.trusted_proxies:
            ipaddress.ip_network(entry.strip(), strict=False)  # ValueError: refused at start
        if self.environment == "production" and not self.secret_key:
            raise ValueError("PRACTICE_SECRET_KEY must be set when PRACTICE_ENVIRONMENT=production")
        if self.environment == "production" and not self.database_url:
            raise ValueError(
                "PRACTICE_DATABASE_URL must be set when PRACTICE_ENVIRONMENT=production"
            )
        if self.outbox_lease_seconds <= max(
            self.webhook_timeout_seconds, self.smtp_timeout_seconds
        ):
            raise ValueError(
                "PRACTICE_OUTBOX_LEASE_SECONDS must exceed the webhook and SMTP timeouts"
            )
        return self

    @property
    def app_base_url(self) -> str:
        return (self.app_link_url or self.public_base_url.rstrip("/") + "/app").rstrip("/")

    @property
    def portal_base_url(self) -> str:
        return (self.portal_link_url or self.public_base_url.rstrip("/") + "/portal").rstrip("/")

    @property
    def docs_available(self) -> bool:
        if self.docs_enabled is not None:
            return self.docs_enabled
        return self.environment != "production"

    @property
    def private_webhook_targets_allowed(self) -> bool:
        if self.webhook_allow_private_targets is not None:
            return self.webhook_allow_private_targets
        return self.environment != "production"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'practice.db').resolve()}"

    @cached_property
    def secret_box(self) -> SecretBox:
        """Encrypts secrets kept for reading back (webhook signing secrets)."""
        return SecretBox(self.signing_key, self.previous_secret_keys)

    @cached_property
    def signing_key(self) -> str:
        """The configured key, or one generated once and kept in the data folder."""
        if self.secret_key:
            return self.secret_key
        key_file = self.data_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key


def normalise_database_url(url: str) -> str:
    """Accept the plain URLs people paste (postgres://, postgresql://, sqlite://)."""
    for plain, asynchronous in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return asynchronous + url[len(plain) :]
    return url
