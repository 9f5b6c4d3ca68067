"""The `coach` command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

import asyncpg

from coach.settings import SettingsError, load_settings


def cmd_migrate(args: argparse.Namespace) -> int:
    from coach.migrate import migrate_forwards

    settings = load_settings()
    asyncio.run(migrate_forwards(quiet=False))
    print(f"Database is up to date: {settings.database.describe()}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = load_settings()
    port = args.port or settings.port
    warn_about_open_files(settings)
    uvicorn.run(
        "coach.asgi:app",
        host=args.host,
        port=port,
        workers=args.workers,
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        access_log=False,  # the app logs one line per request itself
        server_header=False,  # names the server software on every answer, for no one's use
    )
    return 0


def warn_about_open_files(settings) -> list[str]:
    """Print (and return) a warning for each database file that others may read."""
    from coach.db import open_to_others
    from coach.i18n import gettext as _

    if settings.database.engine != "sqlite" or settings.database.path is None:
        return []
    warnings = [
        _("Warning: %(path)s can be read by other users of this computer; it holds personal "
          "data (chmod %(mode)s).") % {"path": item, "mode": "700" if item.is_dir() else "600"}
        for item in open_to_others(settings.database.path)
    ]
    for warning in warnings:
        print(f"coach: {warning}", file=sys.stderr)
    return warnings


def cmd_demo(args: argparse.Namespace) -> int:
    from coach.demo import run_demo

    return run_demo(args)


def cmd_export(args: argparse.Namespace) -> int:
    from coach.export.command import run_export

    return run_export(args)


def cmd_backup(args: argparse.Namespace) -> int:
    from coach.backup import run_backup

    return run_backup(args)


def cmd_user_add(args: argparse.Namespace) -> int:
    from coach.accounts.services import PasswordRejected, create_user
    from coach.app import bind_tables

    settings = load_settings()
    bind_tables(settings)
    password = os.environ.get("COACH_PASSWORD")
    if not password:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password again: "):
            print("The passwords differ; nothing was saved.", file=sys.stderr)
            return 2
    try:
        user = asyncio.run(create_user(args.username, password, args.role, actor_label="cli"))
    except PasswordRejected as exc:
        print(f"Password refused: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"Created {user.role} {user.username}")
    return 0


def cmd_invite(args: argparse.Namespace) -> int:
    from coach.app import bind_tables
    from coach.audit.log import record
    from coach.auth.invites import InviteRefused, create_invite, invite_url
    from coach.participants.tables import Participant

    settings = load_settings()
    bind_tables(settings)

    async def invite() -> str | None:
        if not await Participant.exists().where(Participant.id == args.participant_id):
            return None
        # A new personal link: the participant's older link stops working.
        token = await create_invite(args.participant_id, None)
        await record("invite.create", actor_label="cli", target_type="participant",
                     target_id=args.participant_id)
        return token

    try:
        token = asyncio.run(invite())
    except InviteRefused as exc:
        print(f"No invite: {exc}", file=sys.stderr)
        return 2
    if token is None:
        print(f"No participant with id {args.participant_id}", file=sys.stderr)
        return 2
    print(invite_url(settings.base_url or f"http://127.0.0.1:{settings.port}", token))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coach", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    migrate = commands.add_parser("migrate", help="apply pending database migrations")
    migrate.set_defaults(func=cmd_migrate)

    serve = commands.add_parser("serve", help="serve the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default: $PORT or 8000")
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    demo = commands.add_parser("demo", help="fill an empty database with demo data")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--password", default=None, help="password of every demo user")
    demo.add_argument("--groups", type=int, default=2)
    demo.add_argument("--participants", type=int, default=14, help="in all, spread over groups")
    demo.set_defaults(func=cmd_demo)

    export = commands.add_parser(
        "export", help="write the anonymised data package (CSV files, codebook, datapackage.json)"
    )
    export.add_argument("--out", required=True, help="folder to write the files into")
    export.add_argument("--excel-fi", action="store_true",
                        help="for a spreadsheet in the Finnish locale: semicolon, decimal comma")
    export.set_defaults(func=cmd_export)

    backup = commands.add_parser(
        "backup", help="write a checked copy of the SQLite database while the app runs "
        "(on PostgreSQL: print the pg_dump command)"
    )
    backup.add_argument("dest", help="file to write, or a folder to write a dated file into")
    backup.add_argument("--overwrite", action="store_true", help="replace DEST if it exists")
    backup.set_defaults(func=cmd_backup)

    user = commands.add_parser("user", help="manage staff users")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    user_add = user_commands.add_parser("add", help="create a staff user")
    user_add.add_argument("--role", required=True, choices=["admin", "coach", "evaluator"])
    user_add.add_argument("username")
    user_add.set_defaults(func=cmd_user_add)

    invite = commands.add_parser(
        "invite", help="print a new personal link for a participant (works until the "
        "six-month follow-up is over; their older link stops working; base: $COACH_BASE_URL)"
    )
    invite.add_argument("participant_id", type=int)
    invite.set_defaults(func=cmd_invite)
    return parser


def use_terminal_language() -> None:
    """Print messages in the terminal's language (LANG, e.g. sv_FI.UTF-8), else Finnish."""
    from coach.i18n import current_language, pick_language

    terminal = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG")
    current_language.set(pick_language(None, (terminal or "").split(".")[0].replace("_", "-")))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    use_terminal_language()
    try:
        return args.func(args)
    except SettingsError as exc:
        print(f"coach: {exc}", file=sys.stderr)
        return 2
    except (OSError, asyncpg.PostgresError) as exc:
        # An unreachable or refusing database: say which one, without a traceback.
        where = load_settings().database.describe()
        print(f"coach: cannot use the database {where}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
