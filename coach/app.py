"""create_app(settings) -> Litestar."""

from __future__ import annotations

from litestar import Litestar, Router
from litestar.exceptions import HTTPException
from litestar.plugins.htmx import HTMXPlugin
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from coach import offline, piccolo_app, pwa
from coach.admin import routes as admin_routes
from coach.assessments.care import load_help_contacts
from coach.assessments.instruments import load_instruments
from coach.audit import routes as audit_routes
from coach.auth import participant_routes as invite_routes
from coach.auth import routes as auth_routes
from coach.auth.middleware import AuthenticationMiddleware
from coach.auth.protection import csrf_config, security_headers_middleware
from coach.db import make_engine
from coach.errors import http_exception_handler, internal_error_handler
from coach.export import routes as export_routes
from coach.flash import flash_middleware
from coach.groups import routes as group_routes
from coach.health import healthz
from coach.home import routes as home_routes
from coach.i18n import AccountLanguageMiddleware, choose_language, language_middleware
from coach.input_guard import InputGuardMiddleware
from coach.limits import refuse_ids_out_of_range
from coach.logs import configure_logging, request_log_middleware
from coach.meetings import routes as meeting_routes
from coach.openapi import openapi_config
from coach.page_compression import page_compression_middleware
from coach.participant_portal import routes as portal_routes
from coach.participants import erasure_routes
from coach.participants import routes as participant_routes
from coach.reports import funder_routes
from coach.reports import routes as report_routes
from coach.settings import Settings, load_settings
from coach.web import template_config


def bind_tables(settings: Settings) -> Engine:
    """Point every table at the configured database and return its engine."""
    engine = make_engine(settings.database)
    for table in piccolo_app.TABLES:
        table._meta.db = engine
    return engine


def connection_pool_hooks(engine: Engine, size: int) -> tuple[list, list]:
    """Return start-up and shut-down hooks that keep a PostgreSQL connection pool.

    Without a pool every query would open a new connection. SQLite needs none, and a
    size of 0 turns it off (the tests do: their lifespan runs on another event loop).
    """
    if not isinstance(engine, PostgresEngine) or size == 0:
        return [], []

    async def open_pool() -> None:
        await engine.start_connection_pool(
            min_size=1, max_size=size, server_settings={"application_name": "coach"}
        )

    async def close_pool() -> None:
        await engine.close_connection_pool()

    return [open_pool], [close_pool]


def route_handlers() -> list:
    """Every route of every feature."""
    return [
        # For scripts: in the OpenAPI document, with every answer each gives (coach/openapi.py).
        healthz,
        *export_routes.API_ROUTES,
        *funder_routes.API_ROUTES,
        choose_language,
        *pwa.ROUTES,
        *offline.ROUTES,
        # HTML pages for people stay out of the OpenAPI document: it describes what a script
        # may rely on, and pages were listed there as JSON (tests/test_api_schema_fuzz.py).
        Router(path="/", include_in_schema=False, route_handlers=[
            *auth_routes.ROUTES,
            *invite_routes.ROUTES,
            *admin_routes.ROUTES,
            *audit_routes.ROUTES,
            *home_routes.ROUTES,
            *group_routes.ROUTES,
            *meeting_routes.ROUTES,
            *participant_routes.ROUTES,
            *portal_routes.ROUTES,
            *erasure_routes.ROUTES,
            *funder_routes.ROUTES,
            *report_routes.ROUTES,
            *export_routes.ROUTES,
        ]),
    ]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    configure_logging()
    engine = bind_tables(settings)
    on_startup, on_shutdown = connection_pool_hooks(engine, settings.db_pool_size)
    load_instruments()  # a malformed instrument file stops start-up here
    load_help_contacts()  # so does a malformed help_contacts.toml
    app = Litestar(
        route_handlers=route_handlers(),
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        template_config=template_config(),
        plugins=[HTMXPlugin()],
        # Keep AccountLanguageMiddleware after the authentication middleware: it reads the user.
        # InputGuardMiddleware comes after both, so its refusal is in the user's language.
        middleware=[AuthenticationMiddleware(), AccountLanguageMiddleware(),
                    InputGuardMiddleware()],
        csrf_config=csrf_config(settings),
        # An id in a path beyond the database's integer range is a 404 before any query.
        before_request=refuse_ids_out_of_range,
        exception_handlers={
            HTTPException: http_exception_handler,
            Exception: internal_error_handler,
        },
        openapi_config=openapi_config(),
        request_max_body_size=settings.max_body_bytes,
        debug=False,
        state={"settings": settings},
    )
    # Wrapped outside Litestar's router so that unmatched paths are logged too.
    app.asgi_handler = flash_middleware(app.asgi_handler, settings.secret_key, settings.production)
    app.asgi_handler = language_middleware(app.asgi_handler)
    app.asgi_handler = page_compression_middleware(app.asgi_handler)
    app.asgi_handler = security_headers_middleware(app.asgi_handler, settings.production)
    app.asgi_handler = request_log_middleware(app.asgi_handler)
    return app
