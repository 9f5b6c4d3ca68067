"""What the coach's offline queue needs from the server: who is signed in, and a CSRF token.

The queue (frontend/static/offline-queue.js) keeps entries saved without a signal on the
phone and sends them later. Before sending it asks here, so that it sends only the entries
of the person signed in now, with a token that is valid now.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from jinja2.utils import htmlsafe_json_dumps
from litestar import Request, get
from litestar.response import Response
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup

from coach.auth.actor import Actor
from coach.auth.guards import staff_only
from coach.forms import today


def queue_owner(secret_key: str, user_id: int) -> str:
    """Return the opaque name under which a user's entries wait on a phone.

    A keyed hash rather than the id: a phone's storage should not tell whose it was.
    """
    message = f"offline-queue:{user_id}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def owner_of(request: Request) -> str | None:
    """Return the queue owner of the signed-in staff member, or None for anyone else."""
    actor = request.scope.get("user")
    if not isinstance(actor, Actor) or not actor.is_staff or actor.together:
        return None
    return queue_owner(request.app.state["settings"].secret_key, actor.user_id)


def queue_settings(request: Request, text: dict[str, str]) -> Markup:
    """Return what the queue's script needs from a page, as JSON for its data-config.

    Whose queue it is, the server's day and the texts in the page's language. Written
    compactly and with letters as they are (tojson would send "ä" as six bytes, \\u00e4):
    every staff page carries it. Safe inside a single-quoted attribute, as tojson is.
    """
    config = {"user": owner_of(request), "today": today().isoformat(), "text": text}
    return htmlsafe_json_dumps(config, dumps=json.dumps, ensure_ascii=False,
                               separators=(",", ":"))


@get("/offline/session", name="offline.session", guards=[staff_only], include_in_schema=False)
async def offline_session(request: Request) -> Response[dict[str, str | None]]:
    """Say whose queue may be sent now, with a fresh CSRF token for sending it."""
    token = ScopeState.from_scope(request.scope).csrf_token
    return Response({"user": owner_of(request), "csrf": token})


ROUTES = [offline_session]
