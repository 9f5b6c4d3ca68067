"""Admin pages: staff users, groups and their coaches. Admins only."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Response, Template

from coach.accounts.tables import User
from coach.admin import services
from coach.auth.actor import Actor
from coach.auth.audit import audit
from coach.auth.guards import require_roles
from coach.choices import Role
from coach.flash import flash
from coach.forms import Invalid, parse_id, text, today
from coach.groups.tables import CoachingGroup
from coach.i18n import gettext as _
from coach.labels import options
from coach.paging import status_of
from coach.participants.consent import erasure_queue
from coach.ui import url

USERS = "admin/users.html"
GROUPS = "admin/groups.html"
GROUP = "admin/group.html"
SHOWN_ONCE = "admin/new_password.html"
ERASURE_QUEUE = "admin/erasure_queue.html"


async def _user(user_id: int) -> User:
    user = await User.objects().where(User.id == user_id).first()
    if user is None:
        raise NotFoundException()
    return user


async def _group(group_id: int) -> CoachingGroup:
    group = await CoachingGroup.objects().where(CoachingGroup.id == group_id).first()
    if group is None:
        raise NotFoundException()
    return group


def _back(request: Request, name: str, **params: object) -> Redirect:
    return Redirect(url(request, name, **params) or "/", status_code=303)


# --- Users ---------------------------------------------------------------------------------

async def _users_page(request: Request, form: dict, errors: dict, status: int = 200) -> Template:
    users = await User.select().order_by(User.username)
    return Template(USERS, status_code=status, context={
        "users": users, "form": form, "errors": errors, "roles": options(Role),
        "role_names": dict(options(Role)),
        "me": request.user.user_id,
    })


@get("/users", name="admin.users")
async def users_page(request: Request) -> Template:
    """List staff users, with the form for a new one."""
    return await _users_page(request, {"role": "coach"}, {})


@post("/users", name="admin.users.create")
async def user_create(request: Request) -> Response:
    """Create a staff user with a temporary password, shown once."""
    actor: Actor = request.user
    data = await request.form()
    cleaned, errors = services.validate_new_user(data)
    user, password = None, ""
    if not errors:
        user, password, errors = await services.add_user(cleaned, actor.user_id, actor.audit_label)
    if errors or user is None:
        form = {name: text(data, name) for name in ("username", "display_name", "role")}
        return await _users_page(request, form, errors, status=422)
    return Template(SHOWN_ONCE, context={"user": user, "password": password, "created": True})


@post("/users/{user_id:int}/reset-password", name="admin.users.reset")
async def user_reset_password(request: Request, user_id: FromPath[int]) -> Template:
    """Give a user a temporary password they must change at next sign-in."""
    user = await _user(user_id)
    password = await services.reset_user_password(user.id)
    await audit(request, "user.password_reset", "user", user.id, {"username": user.username})
    return Template(SHOWN_ONCE, context={"user": user, "password": password, "created": False})


@post("/users/{user_id:int}/disable", name="admin.users.disable")
async def user_disable(request: Request, user_id: FromPath[int]) -> Redirect:
    """Disable a user; their sessions end at once."""
    user = await _user(user_id)
    if user.id == request.user.user_id:
        flash(request, _("You cannot disable your own account."), "error")
        return _back(request, "admin.users")
    await services.disable_user(user.id)
    await audit(request, "user.disable", "user", user.id, {"username": user.username})
    flash(request, _("%(name)s can no longer sign in.") % {"name": user.username}, "success")
    return _back(request, "admin.users")


@post("/users/{user_id:int}/enable", name="admin.users.enable")
async def user_enable(request: Request, user_id: FromPath[int]) -> Redirect:
    """Let a disabled user sign in again."""
    user = await _user(user_id)
    await services.enable_user(user.id)
    await audit(request, "user.enable", "user", user.id, {"username": user.username})
    flash(request, _("%(name)s can sign in again.") % {"name": user.username}, "success")
    return _back(request, "admin.users")


# --- Groups --------------------------------------------------------------------------------

async def _groups_page(form: dict, errors: dict, status: int = 200, q: str | None = None,
                       asked: str | None = None) -> Template:
    # 50 groups a page, searchable: thousands in one list would weigh megabytes.
    listing = await services.groups_page(q, asked)
    if status == 200:
        status = status_of(listing)
    return Template(GROUPS, status_code=status, context={
        "groups": listing.items, "listing": listing, "form": form, "errors": errors,
    })


@get("/groups", name="admin.groups")
async def groups_page(q: Annotated[str | None, QueryParameter(name="q")] = None,
                      asked: Annotated[str | None, QueryParameter(name="page")] = None
                      ) -> Template:
    """List the groups a page at a time, searchable by name, with the form for a new one."""
    return await _groups_page({"usual_duration_minutes": "90", "assessment_interval_weeks": "4"},
                              {}, q=q, asked=asked)


@post("/groups", name="admin.groups.create")
async def group_create(request: Request) -> Response:
    """Create a group."""
    data = await request.form()
    cleaned, errors = services.validate_group(data)
    if errors:
        fields = ("name", "starts_on", "ends_on", "usual_duration_minutes",
                  "assessment_interval_weeks")
        return await _groups_page({name: text(data, name) for name in fields}, errors, 422)
    group = await services.add_group(cleaned)
    await audit(request, "group.create", "group", group.id, {"name": group.name})
    flash(request, _("The group was created. Now choose its coaches."), "success")
    return _back(request, "admin.group", group_id=group.id)


@get("/groups/{group_id:int}", name="admin.group")
async def group_page(group_id: FromPath[int]) -> Template:
    """Show a group's coaches, with forms to add and remove them and to close the group."""
    group = await _group(group_id)
    coaches = await services.coaches_of(group.id)
    assigned = {coach["id"] for coach in coaches}
    candidates = [c for c in await services.active_coaches() if c["id"] not in assigned]
    return Template(GROUP, context={
        "group": group, "coaches": coaches, "candidates": candidates,
    })


@post("/groups/{group_id:int}/coaches", name="admin.group.coach_add")
async def group_coach_add(request: Request, group_id: FromPath[int]) -> Redirect:
    """Make a coach one of the group's coaches."""
    group = await _group(group_id)
    data = await request.form()
    try:
        user_id = parse_id(text(data, "coach_id"))
    except Invalid:
        user_id = None
    if user_id is not None and await services.assign_coach(group.id, user_id):
        await audit(request, "group.coach_add", "group", group.id, {"coach_id": user_id})
        flash(request, _("The coach was added."), "success")
    else:
        flash(request, _("Choose an active coach from the list."), "error")
    return _back(request, "admin.group", group_id=group.id)


@post("/groups/{group_id:int}/coaches/{user_id:int}/remove", name="admin.group.coach_remove")
async def group_coach_remove(request: Request, group_id: FromPath[int],
                             user_id: FromPath[int]) -> Redirect:
    """Remove a coach from the group."""
    group = await _group(group_id)
    await services.unassign_coach(group.id, user_id)
    await audit(request, "group.coach_remove", "group", group.id, {"coach_id": user_id})
    flash(request, _("The coach was removed from the group."), "success")
    return _back(request, "admin.group", group_id=group.id)


@post("/groups/{group_id:int}/close", name="admin.group.close")
async def group_close(request: Request, group_id: FromPath[int]) -> Redirect:
    """Close a group: participants' links and sessions end."""
    group = await _group(group_id)
    if group.closed_at is None:
        await services.close_group(group.id)
        await audit(request, "group.close", "group", group.id, {"name": group.name})
        flash(request, _("The group was closed."), "success")
    return _back(request, "admin.group", group_id=group.id)


# --- Erasure queue ---------------------------------------------------------------------------

@get("/erasure", name="admin.erasure_queue")
async def erasure_queue_page(request: Request) -> Template:
    """List the people who withdrew consent and wait for erasure, longest waiting first."""
    waiting = await erasure_queue(today())
    # The list names people: a view of participant data, like the erase page itself.
    await audit(request, "erasure.queue.view", "participant", None,
                {"participants": [row["id"] for row in waiting]})
    return Template(ERASURE_QUEUE, context={"waiting": waiting})


router = Router(
    path="/admin",
    guards=[require_roles("admin")],
    include_in_schema=False,
    route_handlers=[
        users_page, user_create, user_reset_password, user_disable, user_enable,
        groups_page, group_create, group_page, group_coach_add, group_coach_remove, group_close,
        erasure_queue_page,
    ],
)
ROUTES = [router]
