"""The `contactcentre` command: serve, demo, migrate, import, users, dialer."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from contactcentre import dialer_cli
from contactcentre.errors import CommandFailed
from contactcentre.settings import (
    Settings,
    SettingsError,
    load_settings,
    serve_problems,
)
from crm_core.auth.model import Role

log = logging.getLogger("contactcentre")

ROLES: dict[str, Role] = {role.value: role for role in Role} | {
    "admin": Role.ADMINISTRATOR
}
"""What `users create --role` accepts: each role's name, and `admin`."""

DESCRIPTION = """\
Contact-centre server beside Asterisk: IVR, ACD, dialer, recordings and CRM.

Settings come from CC_* environment variables (nested with __, e.g. CC_HTTP__PORT=8080,
CC_DATABASE__URL=postgresql+asyncpg://user@host/db, CC_PBXS='[{"id": "pbx1",
"host": "10.0.0.5", "secret": "..."}]') or from a TOML file given with --settings.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="contactcentre",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--settings", type=Path, metavar="FILE", help="a TOML settings file"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "serve",
        help="run the service against the configured Asterisk servers (production)",
        description="Refuse a database not migrated to the newest schema (run "
        "`migrate` first), connect to every configured PBX over AMI, serve FastAGI "
        "and HTTP until stopped (Ctrl-C or SIGTERM).",
    )
    commands.add_parser(
        "demo",
        help="migrate and seed an embedded SQLite database, start the PBX simulator "
        "in-process and serve http://127.0.0.1:8080",
        description="Everything in one process: SQLite under ./var, demo data, the PBX "
        "simulator placing a steady flow of calls, FastAGI and HTTP. Ctrl-C stops it.",
    )
    commands.add_parser(
        "migrate",
        help="upgrade the configured database to the newest schema",
        description="Run the Alembic migrations up to head on the configured database.",
    )
    importing = commands.add_parser(
        "import",
        help="import records from a file (e.g. `import customers FILE.csv`)",
        description="Import records from a CSV file; bad rows go to a report, never "
        "abort the import.",
    )
    importing.add_argument("kind", choices=["customers"])
    importing.add_argument("file", type=Path)
    importing.add_argument(
        "--encoding", help="the file's encoding (detected if omitted)"
    )
    importing.add_argument("--report", type=Path, help="where to write rejected rows")
    _users_parser(commands)
    dialer_cli.add_parser(commands)
    return parser


def _users_parser(commands: argparse._SubParsersAction[Any]) -> None:
    users = commands.add_parser(
        "users",
        help="create users, list them, set a password (the first administrator of "
        "a fresh install)",
        description="Manage the people who sign in. Passwords are asked on the "
        "terminal, or read from the first line of standard input when it is not a "
        "terminal; the API's password rules apply.",
    )
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a user who signs in at once")
    create.add_argument("login")
    create.add_argument(
        "--role", required=True, choices=sorted(ROLES), help="admin = administrator"
    )
    create.add_argument("--name", help="the name shown to others (default: login)")
    actions.add_parser("list", help="every user: login, role, state, name")
    password = actions.add_parser("password", help="set a user's new password")
    password.add_argument("login")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "dialer":  # a self-contained tool: no settings, no service
        return dialer_cli.main(args)
    try:
        settings = load_settings(args.settings)
    except SettingsError as exc:
        print(f"contactcentre: bad settings\n{exc}", file=sys.stderr)  # noqa: T201
        return 2
    if args.command == "serve" and (problems := serve_problems(settings)):
        lines = "\n".join(problems)
        print(f"contactcentre: bad settings\n{lines}", file=sys.stderr)  # noqa: T201
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return asyncio.run(_run(args, settings))
    except CommandFailed as exc:
        print(f"contactcentre: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        log.info("stopped")
        return 0


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from contactcentre import bootstrap  # heavy imports after settings

    main_task = asyncio.current_task()
    assert main_task is not None
    # SIGTERM (docker stop, systemd) stops as cleanly as Ctrl-C does.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)

    match args.command:
        case "migrate":
            await bootstrap.migrate(settings)
            return 0
        case "serve":
            await bootstrap.serve(settings, demo=False)
            return 0
        case "demo":
            await bootstrap.serve(settings, demo=True)
            return 0
        case "import":
            return await bootstrap.import_file(
                settings,
                args.kind,
                args.file,
                encoding=args.encoding,
                report=args.report,
            )
        case "users":
            await bootstrap.users(
                settings,
                args.action,
                login=getattr(args, "login", None),
                role=ROLES[args.role] if getattr(args, "role", None) else None,
                name=getattr(args, "name", None),
            )
            return 0
        case _:
            raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
