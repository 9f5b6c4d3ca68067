"""The OpenAPI document at /schema/openapi.json: the routes a script may rely on.

Only routes meant for programs are in it (coach/app.py keeps pages for people out):
GET /healthz, the anonymised data package and the funder's indicators as CSV. Each one
states every answer it can give, because tests/test_api_schema_fuzz.py holds the app to
the document: a status, media type or body it does not list is a failure there.

Litestar derives a route's answers from its return type, which cannot say "a zip", "JSON
or a page, as the Accept header asks" or "401 with WWW-Authenticate". So a documented
route passes its answers here (operation_class=documented({...})) and they replace
the derived ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import (
    Components,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Schema,
    SecurityScheme,
)

from coach.auth.sessions import SESSION_COOKIE

API_TOKEN = "apiToken"  # noqa: S105 (the name of a security scheme, not a secret)
SESSION = "session"
BY_TOKEN_OR_SESSION: list[dict[str, list[str]]] = [{API_TOKEN: []}, {SESSION: []}]
BY_SESSION: list[dict[str, list[str]]] = [{SESSION: []}]

ERROR = Schema(
    type=OpenAPIType.OBJECT,
    required=["status_code", "detail"],
    properties={
        "status_code": Schema(type=OpenAPIType.INTEGER, minimum=400, maximum=599),
        "detail": Schema(type=OpenAPIType.STRING, min_length=1, description="The reason, in the "
                         "language of the account, the language cookie or Accept-Language."),
    },
)
PAGE = Schema(type=OpenAPIType.STRING, description="An HTML page that says the same.")
TEXT = Schema(type=OpenAPIType.STRING)


def openapi_config() -> OpenAPIConfig:
    """Return the document's settings: where it is served, and how a caller signs in."""
    return OpenAPIConfig(
        title="Coach", version="0.1.0", path="/schema",
        description=(
            "The routes of Coach meant for scripts. Pages for people are not listed; they "
            "work in any browser, also without JavaScript."),
        components=Components(security_schemes={
            API_TOKEN: SecurityScheme(
                type="http", scheme="bearer", bearer_format="coach_...",
                description=(
                    "An API token, created by an evaluator or admin on the exports page "
                    "(/exports) and shown once: `Authorization: Bearer coach_...`. Only "
                    "routes that say so accept it; revoking it on the same page stops it.")),
            SESSION: SecurityScheme(
                type="apiKey", name=SESSION_COOKIE, security_scheme_in="cookie",
                description="The session cookie of a browser signed in at /login."),
        }),
    )


def refusal(description: str, *, headers: dict[str, OpenAPIHeader] | None = None,
            detail: Schema | None = None) -> OpenAPIResponse:
    """Return a refusal: JSON when the caller asks for JSON only, otherwise an HTML page.

    JSON means an Accept header with application/json and without text/html.
    """
    body = ERROR
    if detail is not None:
        body = Schema(type=OpenAPIType.OBJECT, required=ERROR.required,
                      properties={**(ERROR.properties or {}), "detail": detail})
    return OpenAPIResponse(description=description, headers=headers, content={
        "application/json": OpenAPIMediaType(schema=body),
        "text/html": OpenAPIMediaType(schema=PAGE),
    })


def json_refusal(description: str, *, headers: dict[str, OpenAPIHeader] | None = None,
                 detail: Schema | None = None) -> OpenAPIResponse:
    """Return a refusal that is JSON whatever the caller accepts."""
    response = refusal(description, headers=headers, detail=detail)
    response.content = {"application/json": (response.content or {})["application/json"]}
    return response


def header(description: str) -> OpenAPIHeader:
    return OpenAPIHeader(schema=TEXT, description=description)


def redirect(description: str) -> OpenAPIResponse:
    """Return a 303 that sends the caller to a page."""
    return OpenAPIResponse(description=description,
                           headers={"location": header("/login?next=..., or /password")})


INPUT_REFUSED = refusal(
    "The query string holds a character no text can be stored with (NUL, or bytes that "
    "are not UTF-8).")
DOWNLOAD_HEADERS = {
    "content-disposition": header("attachment, with the file's name"),
    "cache-control": header("no-store"),
}


def documented(responses: dict[int, OpenAPIResponse]) -> type[Operation]:
    """Return an operation class whose answers are exactly these, by status code."""

    @dataclass
    class DocumentedOperation(Operation):
        def __post_init__(self) -> None:
            self.responses = {str(status): response for status, response in responses.items()}

    return DocumentedOperation
