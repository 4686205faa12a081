"""Runtime settings, read from ``SHOPLABEL_*`` environment variables (and a ``.env`` file).

Every field is documented in ``docs/configuration.md``; ``tests/test_docs.py`` fails when one is
not. Reading settings performs no I/O beyond the environment: directories and secrets are created
by ``bootstrap``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """ShopLabel configuration."""

    model_config = SettingsConfigDict(
        env_prefix="SHOPLABEL_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = Field(
        default=Path("shoplabel-data"),
        description="Directory for the SQLite database, uploads, exports and the secret key.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; empty means SQLite at DATA_DIR/shoplabel.db. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/db",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key signing session cookies and CSRF tokens; empty means a random key "
        "kept in DATA_DIR/secret.key.",
    )
    host: str = Field(default="127.0.0.1", description="Address `shoplabel serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `shoplabel serve` binds to.")
    workers: int = Field(default=1, ge=1, le=64, description="Uvicorn worker processes.")
    session_hours: int = Field(default=12, ge=1, description="Lifetime of a login session.")
    cookie_secure: bool = Field(
        default=False, description="Send the session cookie only over HTTPS (set in production)."
    )
    max_upload_mb: int = Field(default=512, ge=1, description="Largest accepted import upload.")
    import_batch_size: int = Field(
        default=5000, ge=1, le=100_000, description="Rows written per import transaction."
    )
    run_jobs: bool = Field(
        default=True, description="Run the background job worker inside `shoplabel serve`."
    )
    job_poll_seconds: float = Field(
        default=0.5, gt=0, description="How often the job worker polls the outbox."
    )
    db_pool_size: int = Field(default=20, ge=1, description="Connection pool size (PostgreSQL).")
    data_keys: SecretStr | None = Field(
        default=None,
        description="AES-256-GCM keys sealing the originals of masked fields: comma-separated "
        "`key_id:base64key` (32 random bytes each; `shoplabel keys generate`).",
    )
    data_key_id: str | None = Field(
        default=None,
        description="Id of the data key that seals new data; empty means the first of DATA_KEYS.",
    )
    pii_key: SecretStr | None = Field(
        default=None,
        description="HMAC key of the `hash` mask style and of fingerprint ids of masked rows; "
        "empty means one derived from the secret key.",
    )
    pay_run_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How often the job worker seals the audit trail and accrues pay (0: never).",
    )
    schedule_seconds: float = Field(
        default=300.0,
        ge=0,
        description="How often the job worker queues the projects' periodic jobs that are due "
        "(relabelling samples, project settings `relabel_*`; 0: never).",
    )
    payout_minimum: int = Field(
        default=1000,
        ge=1,
        description="Default payout minimum in minor units (`shoplabel payout create`).",
    )
    auth_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        le=300,
        description="How long a server process trusts a token it has just authenticated "
        "without reading the database again (0 turns the cache off). A revoke, logout, role or "
        "status change applies at once in the process that made it, within this time elsewhere.",
    )

    def resolved_database_url(self) -> str:
        """Return the database URL, defaulting to SQLite in ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'shoplabel.db').resolve()}"
