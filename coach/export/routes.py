"""The exports page: download the anonymised data package, and manage API tokens.

The download is also an API for scripts (with a token), so it is in the OpenAPI
document with every answer it gives; the page and the token forms are not.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import anyio
from litestar import Request, Response, Router, get, post
from litestar.background_tasks import BackgroundTask
from litestar.exceptions import NotFoundException
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Schema
from litestar.params import FromPath, Parameter
from litestar.response import Redirect, Stream, Template

from coach.auth.actor import Actor
from coach.auth.audit import audit
from coach.auth.guards import require_roles
from coach.errors import error_response
from coach.export.build import write_package, zip_folder
from coach.export.tokens import LABEL_LENGTH, create_token, list_tokens, revoke_token
from coach.export.writer import EXCEL_FI, FORMATS, STANDARD, ExportInvalid
from coach.flash import flash
from coach.forms import text
from coach.i18n import gettext as _
from coach.openapi import (
    BY_TOKEN_OR_SESSION,
    DOWNLOAD_HEADERS,
    INPUT_REFUSED,
    documented,
    header,
    json_refusal,
    redirect,
    refusal,
)
from coach.reports.policy import current_policy
from coach.ui import url

PAGE = "exports/index.html"
ZIP_NAME = "coach-export.zip"
CHUNK_BYTES = 64 * 1024
logger = logging.getLogger("coach.export")
EXPORT_ROLES = require_roles("evaluator", "admin")
TOKEN_REFUSALS = ("missing token", "invalid token", "token revoked", "token owner may not export")


async def _page(request: Request, *, new_token: str = "", label: str = "", errors=None,
                status: int = 200) -> Template:
    actor: Actor = request.user
    policy = await current_policy()
    return Template(PAGE, status_code=status, headers={"Cache-Control": "no-store"}, context={
        "k": request.app.state["settings"].export_k, "policy": policy.name,
        "tokens": await list_tokens(actor), "new_token": new_token, "label": label,
        "errors": errors or {}, "is_admin": actor.role == "admin",
        "excel_fi": EXCEL_FI.name, "label_length": LABEL_LENGTH,
    })


@get("/exports", name="exports")
async def exports_page(request: Request) -> Template:
    """Explain the data package and its rules, with the download and the API tokens."""
    return await _page(request)


DOWNLOAD_DOCS = documented({
    200: OpenAPIResponse(description="The package.", headers=DOWNLOAD_HEADERS,
                         content={"application/zip": OpenAPIMediaType()}),
    303: redirect("A browser (Accept with text/html) that is not signed in is sent to the "
                  "sign-in page. Signed in but the password must be changed first: sent to "
                  "that page (403 when the Accept header asks for JSON only)."),
    400: refusal("The format is not one of the listed ones."),
    401: json_refusal(
        "A token that is wrong, revoked, or belongs to someone who may not export; or "
        "neither a token nor a session from a caller that is not a browser (Accept without "
        "text/html). Always JSON.",
        headers={"www-authenticate": header('Bearer error="invalid_token"')},
        detail=Schema(type=OpenAPIType.STRING, enum=list(TOKEN_REFUSALS))),
    403: refusal("Signed in with a role that may not export (a coach or a participant), or "
                 "asking for JSON only while the password must be changed first."),
    422: INPUT_REFUSED,
    500: refusal("The package failed its own anonymisation checks, so nothing was sent; the "
                 "administrator finds the reason in the server's log."),
})
FORMAT_PARAMETER = Parameter(
    description="How the CSV files are written: `standard` (comma-separated, decimal point) "
                "or `excel-fi` (semicolon-separated, decimal comma, UTF-8 with a byte order "
                "mark: what Excel set to Finnish opens as it is).",
    schema_extra={"enum": list(FORMATS)})


@get("/exports/data.zip", name="exports.download", guards=[EXPORT_ROLES],
     opt={"api_token": True}, tags=["exports"], security=BY_TOKEN_OR_SESSION,
     summary="Download the anonymised data package",
     description=(
         "A zip of CSV files (groups, participants, sessions, attendance, assessments, "
         "answers, status history), a codebook and a datapackage.json that describes them. "
         "A participant's pseudonym is new in every download, dates are months since the "
         "group's start, and gender, age, education and status at entry are generalised "
         "until every combination is shared by at least k participants. Every download is "
         "in the audit log. For evaluators and admins, with an API token or signed in."),
     operation_class=DOWNLOAD_DOCS)
async def download(request: Request, format: Annotated[str, FORMAT_PARAMETER]  # noqa: A002
                   = STANDARD.name) -> Response:
    """Build the package, check it, then stream the zip; a package that fails is never sent."""
    fmt = FORMATS.get(format)
    if fmt is None:
        return error_response(request, 400, _("Unknown file format."))
    via = "token" if request.headers.get("authorization") else "web"
    policy = await current_policy()
    k = request.app.state["settings"].export_k
    folder = Path(tempfile.mkdtemp(prefix="coach-export-"))
    files, archive = folder / "files", folder / ZIP_NAME
    try:
        await anyio.Path(files).mkdir()
        summary = await write_package(files, k, policy.name, fmt)
        await anyio.to_thread.run_sync(zip_folder, files, archive)
    except ExportInvalid as exc:
        shutil.rmtree(folder, ignore_errors=True)
        logger.error("export refused: %s", exc)
        await audit(request, "export.refused", detail={"format": fmt.name, "via": via})
        return error_response(request, 500, _(
            "The export was stopped because the data did not pass its checks, so nothing was "
            "downloaded. Please tell the project's administrator."))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    await audit(request, "export.download", detail={**summary.audit_detail(), "via": via})
    return Stream(
        _read(archive), media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{ZIP_NAME}"',
                 "Cache-Control": "no-store"},
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


async def _read(path: Path) -> AsyncIterator[bytes]:
    """Yield a file in chunks, so that a large zip never sits in memory."""
    async with await anyio.open_file(path, "rb") as handle:
        while chunk := await handle.read(CHUNK_BYTES):
            yield chunk


@post("/exports/tokens", name="exports.tokens.create")
async def token_create(request: Request) -> Template:
    """Create an API token for the signed-in user and show it once."""
    actor: Actor = request.user
    label = text(await request.form(), "label")
    if len(label) > LABEL_LENGTH:
        errors = {"label": _("Use at most %(count)s characters.") % {"count": LABEL_LENGTH}}
        return await _page(request, label=label, errors=errors, status=422)
    raw, token_id = await create_token(actor.user_id, label)
    await audit(request, "export.token.create", "api_token", token_id)
    return await _page(request, new_token=raw)


@post("/exports/tokens/{token_id:int}/revoke", name="exports.tokens.revoke")
async def token_revoke(request: Request, token_id: FromPath[int]) -> Redirect:
    """Revoke a token: scripts using it get 401 from now on."""
    if await revoke_token(request.user, token_id) is None:
        raise NotFoundException()
    await audit(request, "export.token.revoke", "api_token", token_id)
    flash(request, _("The token was revoked."), "success")
    return Redirect(url(request, "exports") or "/", status_code=303)


router = Router(
    path="/",
    guards=[EXPORT_ROLES],
    include_in_schema=False,
    route_handlers=[exports_page, token_create, token_revoke],
)
ROUTES = [router]  # pages and forms for people
API_ROUTES = [download]  # for scripts too: in the OpenAPI document
