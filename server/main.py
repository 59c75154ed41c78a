"""The ASGI entry point for uvicorn: `server.main:app`."""

from server.app import create_app
from server.logs import configure_logging

configure_logging()
app = create_app()
