"""create_app(settings) -> Litestar."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router

from coach import piccolo_app
from coach.db import make_engine
from coach.errors import http_exception_handler, internal_error_handler
from coach.health import healthz
from coach.logs import configure_logging, request_log_middleware
from coach.settings import FRONTEND_DIR, Settings, load_settings
from coach.web import template_config


def bind_tables(settings: Settings) -> None:
    """Point every table at the configured database."""
    engine = make_engine(settings.database)
    for table in piccolo_app.TABLES:
        table._meta.db = engine


def route_handlers() -> list:
    """Every route of every feature."""
    return [
        healthz,
        create_static_files_router(
            path="/static",
            directories=[Path(FRONTEND_DIR / "static")],
            name="static",
            opt={"public": True},
            include_in_schema=False,
        ),
    ]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    configure_logging()
    bind_tables(settings)
    app = Litestar(
        route_handlers=route_handlers(),
        template_config=template_config(),
        plugins=[HTMXPlugin()],
        exception_handlers={
            HTTPException: http_exception_handler,
            Exception: internal_error_handler,
        },
        openapi_config=OpenAPIConfig(title="Coach", version="0.1.0", path="/schema"),
        request_max_body_size=settings.max_body_bytes,
        debug=False,
        state={"settings": settings},
    )
    # Wrapped outside Litestar's router so that unmatched paths are logged too.
    app.asgi_handler = request_log_middleware(app.asgi_handler)
    return app
