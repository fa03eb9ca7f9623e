"""Operator commands: provision what services may not create, manage who may send commands."""

from __future__ import annotations

import asyncio
import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer

from services.cli.common import console, fail, failing, show
from services.cli.output import View, labelled
from shared.identities import IdentityError, Register
from shared.jetstream import NatsUnreachable
from shared.migrations import MigrationsPending
from shared.provision import DOMAIN_SERVICES, provision_schemas, provision_streams_at
from shared.service import DEFAULT_DATABASE, DEFAULT_NATS
from shared.settings import get_settings

identity_app = typer.Typer(
    help="NATS identities of the people who send commands (deploy/nats/people.conf).",
    no_args_is_help=True,
)
PEOPLE_CONF = Path("deploy/nats/people.conf")
ConfOption = Annotated[
    Path, typer.Option("--conf", help="people.conf of the NATS server (people.json beside it).")
]


def provision(
    database_url: Annotated[
        str | None,
        typer.Option(
            help="PostgreSQL URL of a role that may act as every <service>_owner (e.g. "
            "eduplan_provisioner); default EDUPLAN_DATABASE_URL."
        ),
    ] = None,
    streams_only: Annotated[bool, typer.Option("--streams-only", help="Skip Postgres.")] = False,
    schemas_only: Annotated[
        bool,
        typer.Option(
            "--schemas-only",
            help="Skip NATS: a department's database, the streams being the province's.",
        ),
    ] = False,
    service: Annotated[
        list[str] | None,
        typer.Option(
            "--service", help="Only this service's tables (repeat for several); default: all."
        ),
    ] = None,
    partition_events: Annotated[
        bool,
        typer.Option(
            "--partition-events",
            help="Partition each service's events table by hash of stream id (once, keeping "
            "every event; for stores of many millions of events, see deploy/README.md).",
        ),
    ] = False,
) -> None:
    """Create or update each service's JetStream stream and its Postgres tables.

    Run it as the operator (EDUPLAN_NATS_URL with the `operator` NATS user) before the
    services start, and after an upgrade: the services may not do it themselves.
    """
    settings = get_settings()
    services = list(dict.fromkeys(service or DOMAIN_SERVICES))
    unknown = [s for s in services if s not in DOMAIN_SERVICES]
    if unknown or (streams_only and schemas_only):
        why = (
            f"no such service: {', '.join(unknown)} (one of {', '.join(DOMAIN_SERVICES)})"
            if unknown
            else "--streams-only and --schemas-only leave nothing to do"
        )
        fail(why)

    async def main() -> None:
        if not schemas_only:
            streams = await provision_streams_at(settings, settings.nats_url or DEFAULT_NATS)
            console.print(f"streams: {', '.join(streams)}", highlight=False)
        if not streams_only:
            dsn = database_url or settings.database_url or DEFAULT_DATABASE
            schemas = await provision_schemas(dsn, services, partition_events=partition_events)
            console.print(f"schemas: {', '.join(schemas)}", highlight=False)

    with failing(NatsUnreachable, MigrationsPending, OSError):
        asyncio.run(main())


@identity_app.command("add")
def add_identity(
    user: Annotated[str, typer.Argument(help="NATS user name, e.g. zhang_wei.")],
    department: Annotated[
        list[str], typer.Option(help="A department it acts for (repeat for several).")
    ],
    jurisdiction: Annotated[
        str, typer.Option(help="County, city or province code it acts for, e.g. 610831.")
    ],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    conf: ConfOption = PEOPLE_CONF,
) -> None:
    """Register a person; prints the password once unless it was given on stdin."""
    given = _read_password() if password_stdin else None
    register = _open(conf)
    with failing(IdentityError, ValueError):
        password = register.add(user, department, jurisdiction, given)
    register.save()
    console.print(
        f"{user} may send commands as {', '.join(sorted(set(department)))} for {jurisdiction}"
    )
    if given is None:
        console.print(f"password (shown once): {password}", highlight=False)
    console.print(f"reload the NATS server to apply {conf} (nats-server --signal reload)")


@identity_app.command("passwd")
def set_password(
    user: Annotated[str, typer.Argument(help="NATS user name.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    conf: ConfOption = PEOPLE_CONF,
) -> None:
    """Give a person a new password (generated and shown once unless given on stdin)."""
    given = _read_password() if password_stdin else None
    register = _open(conf)
    with failing(IdentityError):
        password = register.set_password(user, given)
    register.save()
    if given is None:
        console.print(f"password (shown once): {password}", highlight=False)


@identity_app.command("disable")
def disable_identity(
    user: Annotated[str, typer.Argument(help="NATS user name.")], conf: ConfOption = PEOPLE_CONF
) -> None:
    """Take a person's identity away (kept in people.json, gone from people.conf)."""
    register = _open(conf)
    with failing(IdentityError):
        register.disable(user)
    register.save()
    console.print(f"{user} disabled; reload the NATS server to apply it")


@identity_app.command("list")
def list_identities(conf: ConfOption = PEOPLE_CONF) -> None:
    """Everyone who may send commands, with departments and jurisdiction."""
    people = sorted(_open(conf).people, key=lambda p: p.user)
    show([vars(p) for p in people], False, IDENTITIES)


IDENTITIES = View(
    "identities_title",
    "user departments jurisdiction state",
    {"state": lambda p: labelled("status", "disabled" if p["disabled"] else "active")},
)


def _open(conf: Path) -> Register:
    if not conf.parent.is_dir():
        fail(f"no folder {conf.parent} (give --conf)")
    return Register.open(conf)


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass()
    if len(password) < 12:
        fail("a password has at least 12 characters")
    return password
