"""Configuration from the environment (prefix RELATE_), with defaults for a laptop."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RELATE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./relate.db"
    broadcast_url: str = "memory://"
    file_store_dir: str = "./var/files"
    # Query limits (R-API-3).
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    default_page_size: int = 50
    max_page_size: int = 500
    # Page sizes multiplied along nested lists, summed (schema/cost.py); 0 turns it off.
    max_cost: int = 20_000
    introspection: bool = True
    graphiql: bool = True
    # HTTP limits (server/limits.py): JSON request bodies (multipart uploads have their own
    # ceiling from the attachment policy) and requests per token (a token bucket per
    # process: with N processes a client gets up to N times this). 0 turns a limit off.
    max_body_bytes: int = 20 * 1024 * 1024
    rate_limit_per_second: float = 100.0
    rate_limit_burst: int = 1000
    # Default attachment policy (R-ATT-1); administrators change it at run time.
    attachment_max_bytes: int = 10 * 1024 * 1024
    attachment_blocked_extensions: list[str] = [
        "ade", "adp", "app", "bat", "chm", "cmd", "com", "cpl", "exe", "hta", "inf", "ins",
        "isp", "jar", "js", "jse", "lnk", "msc", "msi", "msp", "mst", "pif", "reg", "scr",
        "sct", "shb", "sys", "vb", "vbe", "vbs", "vxd", "wsc", "wsf", "wsh",
    ]
    ws_allowed_origins: list[str] = []
    log_level: str = "INFO"
    # PostgreSQL schema to use (search_path) when Relate shares a database with others.
    database_schema: str | None = None
    # Live updates (R-LIVE-*, docs/live-updates.md).
    broadcast_channel: str = "relate_events"
    ws_init_timeout_seconds: float = 10.0
    ws_max_subscriptions: int = 20
    # A websocket whose unread data keeps one message waiting this long is a slow consumer:
    # its subscriptions end with SLOW_CONSUMER and their cursors, then it is closed.
    ws_send_timeout_seconds: float = 10.0
    live_poll_seconds: float = 1.0
    # Events held in memory per subscription; one further behind reads the outbox instead.
    live_queue_size: int = 4096
    live_page_size: int = 200
    live_retention_hours: float = 7 * 24
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
    tracing_enabled: bool = False
    webhook_timeout_seconds: float = 10.0
    webhook_backoff_base_seconds: float = 1.0
    webhook_backoff_max_seconds: float = 300.0
    webhook_poll_seconds: float = 1.0
    webhook_batch_size: int = 100
    webhook_lease_seconds: float = 30.0
    webhook_allow_http: bool = False


@lru_cache
def get_settings() -> Settings:
    return Settings()
