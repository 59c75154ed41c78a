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


@lru_cache
def get_settings() -> Settings:
    return Settings()
