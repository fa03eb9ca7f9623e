"""Every setting of the platform, read from `EDUPLAN_*` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """One place for configuration; each service reads the fields it needs."""

    model_config = SettingsConfigDict(env_prefix="EDUPLAN_", frozen=True)

    nats_url: str | None = Field(
        None, description="NATS server; unset means 127.0.0.1:4222 if it answers, else embedded."
    )
    nats_tls_ca: Path | None = Field(
        None, description="CA file that signed the NATS server's certificate (TLS on)."
    )
    nats_tls_cert: Path | None = Field(
        None, description="Client certificate for NATS, when the server asks for one."
    )
    nats_tls_key: Path | None = Field(None, description="Key of the NATS client certificate.")
    jurisdiction: str = Field(
        "610000",
        pattern=r"^\d{6}$",
        description="Administrative code the CLI acts for: a county, a city or the province; "
        "the NATS identity must be allowed it.",
    )
    actor: str | None = Field(
        None,
        description="Actor of CLI commands when NATS has no user (development); with a user "
        "in the NATS URL, the user is the actor.",
    )
    max_request_bytes: int = Field(
        512 * 1024, ge=1024, le=900 * 1024, description="Largest command request, in bytes."
    )
    max_event_bytes: int = Field(
        256 * 1024,
        ge=1024,
        le=900 * 1024,
        description="Largest event a command may record, in bytes (below NATS's max payload).",
    )
    max_nesting: int = Field(32, ge=4, le=200, description="Deepest nesting of a request.")
    database_url: str | None = Field(
        None, description="PostgreSQL DSN; unset means 127.0.0.1:5432 if it answers, else embedded."
    )
    namespace: str = Field(
        "",
        pattern=r"^[a-z0-9_]*$",
        description="Prefix for streams and subjects, so several deployments share one NATS.",
    )
    state_dir: Path = Field(
        Path(".eduplan"), description="Where embedded servers keep their data and logs."
    )
    http_host: str = Field("127.0.0.1", description="Projection service HTTP bind address.")
    http_port: int = Field(8080, description="Projection service HTTP port.")
    reporting_url: str = Field(
        "http://127.0.0.1:8080", description="Where the CLI finds the projection service."
    )
    reporting_token: SecretStr | None = Field(
        None, description="Bearer token the CLI sends to the reporting API (users token NAME)."
    )
    reporting_ca_file: Path | None = Field(
        None, description="CA certificates the CLI trusts for an https reporting_url."
    )
    http_certfile: Path | None = Field(
        None, description="Certificate chain (PEM) of the reporting API; with http_keyfile: HTTPS."
    )
    http_keyfile: Path | None = Field(None, description="Private key (PEM) of http_certfile.")
    http_origin: str | None = Field(
        None,
        pattern=r"^https?://[^/?#]+$",
        description="Public origin of the dashboard behind a proxy (accepted by the CSRF check).",
    )
    session_hours: float = Field(
        12.0, gt=0, le=24 * 30, description="Hours a dashboard login lasts (server-side session)."
    )
    log_level: str = Field("INFO", description="structlog level: DEBUG, INFO, WARNING, ERROR.")
    log_json: bool | None = Field(
        None, description="JSON logs; unset means JSON unless stderr is a terminal."
    )
    command_timeout: float = Field(30.0, gt=0, description="Seconds a CLI waits for a reply.")
    report_wait: float = Field(
        60.0,
        ge=0,
        description="Seconds a CLI command that recorded events waits until the reports "
        "include them (read your writes); 0: no wait.",
    )
    projection_batch_size: int = Field(
        2000, ge=1, le=10_000, description="Events a projection applies per transaction."
    )
    reporting_database_url: str | None = Field(
        None,
        description="Where reports are read: the read models' database, or a read-only "
        "replica of it (the alerts service, and the projection's reporting API); unset: same.",
    )
    projection_partition: str = Field(
        "",
        description="Name of the counties this projection instance keeps (with "
        "projection_counties); unset: every county.",
    )
    projection_counties: str = Field(
        "",
        description="Comma-separated county codes of projection_partition (shared/partitions.py).",
    )
    alerts_interval: float = Field(
        60.0, gt=0, description="Seconds between two sweeps of the alert rules."
    )
    stream_replicas: int = Field(
        1, ge=1, le=5, description="Copies JetStream keeps of each service's stream (cluster)."
    )
    duplicate_window: float = Field(
        2 * 3600.0, gt=0, description="JetStream de-duplication window, seconds."
    )
    # --- personal data: envelope encryption (shared/personal_data.py) ---
    master_key: SecretStr | None = Field(
        None,
        description="Master keys wrapping the per-person data keys: `id:base64` (32 bytes), "
        "comma-separated, the first wraps new keys (rotation: put the new one first, run "
        "`eduplan privacy rotate-master-key`, then drop the old one); unset: master_key_file.",
    )
    master_key_file: Path | None = Field(
        None,
        description="File holding master_key (one `id:base64` per line, the first current); "
        "unset with master_key unset: state_dir/master.key, made once (development only).",
    )
    # --- operations: pools, metrics ---
    pool_size: int = Field(
        2,
        ge=1,
        le=100,
        description="Most PostgreSQL connections a domain service's pool opens; its outbox "
        "relay holds one more.",
    )
    projection_pool_size: int = Field(
        4,
        ge=1,
        le=100,
        description="Most PostgreSQL connections the projection's pool opens; its read-model "
        "locks hold one more.",
    )
    reporting_pool_size: int = Field(
        1,
        ge=1,
        le=100,
        description="Pool the alerts service and the projection's reporting API open on "
        "EDUPLAN_REPORTING_DATABASE_URL, when set (otherwise they read through their own pool).",
    )
    metrics_host: str = Field("127.0.0.1", description="Bind address of a service's /metrics.")
    metrics_port: int | None = Field(
        None, description="Port of a domain service's /metrics (Prometheus); unset: not served."
    )
    alerts_quiet_seconds: float = Field(
        40.0,
        ge=0,
        description="Seconds without a new event a work stream needs before alert rules judge "
        "it: a batch of commands in progress pauses between requests, longer when its service "
        "restarts (the CLI resends after EDUPLAN_COMMAND_TIMEOUT).",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
