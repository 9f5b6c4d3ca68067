"""The exports page: download the anonymised data package, and manage API tokens."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
from litestar import Request, Response, Router, get, post
from litestar.background_tasks import BackgroundTask
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
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
from coach.reports.policy import current_policy
from coach.ui import url

PAGE = "exports/index.html"
ZIP_NAME = "coach-export.zip"
CHUNK_BYTES = 64 * 1024
logger = logging.getLogger("coach.export")


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


@get("/exports/data.zip", name="exports.download", opt={"api_token": True})
async def download(request: Request, format: FromQuery[str] = STANDARD.name) -> Response:  # noqa: A002
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
    guards=[require_roles("evaluator", "admin")],
    include_in_schema=False,
    route_handlers=[exports_page, download, token_create, token_revoke],
)
ROUTES = [router]
