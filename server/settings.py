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
    introspection: bool = True
    graphiql: bool = True
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
    live_poll_seconds: float = 1.0
    live_queue_size: int = 256
    live_page_size: int = 200
    live_retention_hours: float = 7 * 24
    live_sweep_seconds: float = 3600.0
    live_broker_backoff_max_seconds: float = 10.0
    live_broker_health_seconds: float = 15.0


@lru_cache
def get_settings() -> Settings:
    return Settings()
