"""Optional OpenTelemetry tracing of GraphQL operations (`RELATE_TRACING_ENABLED=true`).

Off by default. When on, Strawberry's `OpenTelemetryExtensionSync` opens a span per
operation (with parse and validation spans) and one per resolver that is not a plain
attribute read. The *synchronous* variant is used on purpose: the async one wraps every
field in a coroutine, which costs 4–5× on our pages (DESIGN §2).

Spans go to the global tracer provider. Relate only needs `opentelemetry-api` (the
`tracing` extra installs it with the SDK); which exporter to use (OTLP, console …) is
configured the standard OpenTelemetry way, e.g. with the `opentelemetry-instrument`
launcher and `OTEL_*` variables, or by setting a provider before the app starts.
Resolver arguments are not recorded: they can hold personal data (names, emails).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from strawberry.extensions import SchemaExtension

from server.settings import Settings

log = logging.getLogger("relate.tracing")


def _no_arguments(_args: dict[str, Any], _info: Any) -> dict[str, Any]:
    return {}


def tracing_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """The tracing extension when enabled and OpenTelemetry is installed; else nothing."""
    if not settings.tracing_enabled:
        return []
    try:
        from strawberry.extensions.tracing import OpenTelemetryExtensionSync
    except ImportError:
        log.warning("RELATE_TRACING_ENABLED is set but opentelemetry-api is not installed "
                    "(pip install 'relate[tracing]'); tracing stays off")
        return []
    return [partial(OpenTelemetryExtensionSync, arg_filter=_no_arguments)]
