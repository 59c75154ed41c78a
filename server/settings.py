"""Configuration from the environment (prefix RELATE_), with defaults for a laptop."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RELATE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./relate.db"
    broadcast_url: str = "memory://"
    file_store_dir: str = "./var/files"
    # Query limits (R-API-3).
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    # Field selections once fragments are expanded (schema/shape.py): bounds fragment bombs.
    max_selections: int = 10_000
    default_page_size: int = 50
    max_page_size: int = 500
    # Page sizes multiplied along nested lists, summed (schema/cost.py); 0 turns it off.
    max_cost: int = 20_000
    introspection: bool = True
    graphiql: bool = True
    # HTTP limits (server/limits.py): JSON request bodies (multipart uploads have their own
    # ceiling from the attachment policy) and requests per token (`burst` in any window of
    # burst/per_second seconds). 0 turns a limit off. The counts are shared by every process
    # through Redis when the storage URL (by default the broadcast URL) is redis://.
    max_body_bytes: int = 20 * 1024 * 1024
    # Deepest nesting of a JSON request body (variables included), checked before parsing.
    max_json_depth: int = 64
    # Longest email body (characters, HTML included); other text fields: graph/rules/text_limits.py.
    max_email_body_chars: int = 1_000_000
    rate_limit_per_second: float = 100.0
    rate_limit_burst: int = 1000
    rate_limit_storage_url: str | None = None
    # Default attachment policy (R-ATT-1); administrators change it at run time.
    attachment_max_bytes: int = 10 * 1024 * 1024
    attachment_blocked_extensions: list[str] = [
        "ade", "adp", "app", "bat", "chm", "cmd", "com", "cpl", "exe", "hta", "inf", "ins",
        "isp", "jar", "js", "jse", "lnk", "msc", "msi", "msp", "mst", "pif", "reg", "scr",
        "sct", "shb", "sys", "vb", "vbe", "vbs", "vxd", "wsc", "wsf", "wsh",
    ]
    ws_allowed_origins: list[str] = []
    # Browser apps on other origins (R-WEB-1, server/browsers.py): comma-separated origins
    # that get CORS answers and may open the websocket; empty means same-origin only.
    cors_origins: Annotated[list[str], NoDecode] = []
    # GraphQL over HTTP (R-WEB-3, server/graphql_http.py): operations one batched request
    # (a JSON array) may hold, 0 turns batching off; persisted-query hashes kept per process.
    batch_max: int = 10
    persisted_queries_max: int = 10_000
    log_level: str = "INFO"
    # SQLite: longest a write waits for its turn behind this process's other writes before
    # it is answered UNAVAILABLE with Retry-After (graph/db.py).
    sqlite_write_wait_seconds: float = 5.0
    # PostgreSQL schema to use (search_path) when Relate shares a database with others.
    database_schema: str | None = None
    # Live updates (R-LIVE-*, docs/live-updates.md).
    broadcast_channel: str = "relate_events"
    ws_init_timeout_seconds: float = 10.0
    ws_max_subscriptions: int = 20
    # A websocket whose unread data keeps one message waiting this long is a slow consumer:
    # its subscriptions end with SLOW_CONSUMER and their cursors, then it is closed.
    ws_send_timeout_seconds: float = 10.0
    # permessage-deflate costs every websocket ~50 KB of compressor state and each message
    # a compression of its own; live events are small JSON messages (issue 22).
    ws_per_message_deflate: bool = False
    live_poll_seconds: float = 1.0
    # Events held in memory per subscription; one further behind reads the outbox instead.
    live_queue_size: int = 4096
    live_page_size: int = 200
    live_retention_hours: float = 7 * 24
    # Recycle bin (R-QRY-4, docs/records.md): days a deleted record or activity stays restorable.
    recycle_bin_days: float = 30
    live_sweep_seconds: float = 3600.0
    live_broker_backoff_max_seconds: float = 10.0
    live_broker_health_seconds: float = 15.0
    # Operations (docs/operations.md): log format, metrics, tracing, webhooks (R-LIVE-6).
    log_format: str = "json"  # or "text"
    metrics_enabled: bool = True
    # Response cache for read queries (server/response_cache.py): entries (0 turns it off),
    # bytes in all, and seconds an entry may live at most.
    response_cache_entries: int = 2048
    response_cache_max_bytes: int = 64 * 1024 * 1024
    response_cache_seconds: float = 60.0
    # The compiled read path for hot read queries (server/compiled_reads.py, docs/compiled-reads.md).
    compiled_reads: bool = True
    tracing_enabled: bool = False
    webhook_timeout_seconds: float = 10.0
    webhook_backoff_base_seconds: float = 1.0
    webhook_backoff_max_seconds: float = 300.0
    webhook_poll_seconds: float = 1.0
    webhook_batch_size: int = 100
    webhook_lease_seconds: float = 30.0
    webhook_allow_http: bool = False
    # Deliver to loopback, private, link-local… addresses (receivers on your own network).
    webhook_allow_private: bool = False

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """`https://a.example, https://b.example` from the environment; a list as it is."""
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value
    # Sign-in with the organisation's identity provider (R-AUTH-1, docs/administration.md):
    # OpenID Connect access tokens (JWT) are accepted when issuer, audience and JWKS URL are
    # all set. The user is the active user whose email equals the `oidc_user_claim` claim;
    # with `oidc_jit_business_unit` set, an unknown one is created there with `oidc_jit_role`.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_user_claim: str = "email"
    oidc_algorithms: list[str] = ["RS256", "ES256"]
    oidc_jwks_cache_seconds: float = 300.0
    oidc_jwks_min_refresh_seconds: float = 10.0
    oidc_leeway_seconds: float = 30.0
    oidc_jit_business_unit: str | None = None
    oidc_jit_role: str | None = None


@lru_cache
def get_settings() -> Settings:
    return Settings()
