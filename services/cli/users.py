"""`eduplan users ...`: the accounts of the reporting API and dashboard, and their tokens.

These commands talk to PostgreSQL directly (EDUPLAN_DATABASE_URL, schema `access`), so they
work before any service runs; they create the tables when missing. Passwords and tokens are
shown once and stored only as hashes.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any, TypeVar

import asyncpg
import typer
from pydantic import ValidationError

from services.cli.common import JsonOption, console, fail, failing, show
from services.cli.output import View
from shared.accounts import credentials, users
from shared.accounts.access_log import access_log as log_of_reads
from shared.accounts.passwords import generate_password
from shared.accounts.roles import Role, check_account
from shared.accounts.schema import ensure_access_schema
from shared.servers import redact
from shared.service import DEFAULT_DATABASE
from shared.settings import get_settings

app = typer.Typer(
    help="Accounts of the reporting API and dashboard: roles, passwords, tokens.",
    no_args_is_help=True,
)
T = TypeVar("T")
ROLES = ", ".join(r.value for r in Role)
Name = Annotated[str, typer.Argument(help="User name, e.g. wang.li.")]
Generate = Annotated[
    bool, typer.Option("--generate-password", help="Make up a password and print it once.")
]


def run(work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """Run `work` on the database; unreachable, or an account error, means exit status 2."""
    url = get_settings().database_url or DEFAULT_DATABASE

    async def main() -> T:
        try:
            conn = await asyncpg.connect(url, timeout=10)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            raise users.AccountError(f"cannot reach PostgreSQL at {redact(url)}: {exc}") from None
        try:
            await ensure_access_schema(conn)
            return await work(conn)
        finally:
            await conn.close()

    try:
        return asyncio.run(main())
    except users.AccountError as exc:
        fail(exc)


def new_password(generate: bool) -> tuple[str, bool]:
    """A generated password (True: print it), else one line piped on stdin, else typed twice."""
    if generate:
        return generate_password(), True
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n"), False
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True), False


def checked(name: str, roles: list[str], counties: list[str]) -> None:
    """A bad account is refused before a password is asked for."""
    with failing(ValueError):
        check_account(name, roles, counties)


@app.command("add")
def add(
    name: Name,
    role: Annotated[list[str], typer.Option(help=f"A role (repeat for several): {ROLES}.")],
    county: Annotated[
        list[str] | None, typer.Option(help="A county a county_viewer reads (repeatable).")
    ] = None,
    generate: Generate = False,
) -> None:
    """Add a user; the password is asked twice (or read from a pipe), or generated and
    printed once."""
    checked(name, role, county or [])
    password, show_it = new_password(generate)
    run(lambda conn: users.add_user(conn, name, role, county or [], password))
    where = f" for {', '.join(county)}" if county else ""
    console.print(f"user {name} added: {', '.join(role)}{where}", highlight=False)
    if show_it:
        console.print(f"password (shown once): {password}", highlight=False)


@app.command("password")
def password(name: Name, generate: Generate = False) -> None:
    """Set a new password (the user's dashboard sessions end)."""
    secret, show_it = new_password(generate)
    run(lambda conn: users.set_password(conn, name, secret))
    console.print(f"password of {name} changed", highlight=False)
    if show_it:
        console.print(f"password (shown once): {secret}", highlight=False)


@app.command("list")
def list_users(as_json: JsonOption = False) -> None:
    """Every user with roles, counties, state and active tokens."""
    show([u.as_dict() for u in run(users.users)], as_json, USERS)


@app.command("disable")
def disable(name: Name) -> None:
    """Disable a user: logins, sessions and tokens stop working at once."""
    run(lambda conn: users.set_disabled(conn, name, True))
    console.print(f"user {name} disabled", highlight=False)


@app.command("enable")
def enable(name: Name) -> None:
    """Enable a disabled user again (tokens still valid work again)."""
    run(lambda conn: users.set_disabled(conn, name, False))
    console.print(f"user {name} enabled", highlight=False)


@app.command("token")
def token(
    name: Name,
    expires_days: Annotated[
        int, typer.Option(min=1, max=3650, help="Days until the token expires.")
    ] = 90,
    label: Annotated[str, typer.Option(help="What the token is for, e.g. a script's name.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Issue a bearer token for scripts and the CLI (EDUPLAN_REPORTING_TOKEN); shown once."""

    async def issue(conn: asyncpg.Connection) -> tuple[str, credentials.Token]:
        if not await users.exists(conn, name):
            raise users.AccountError(f"no user {name}")
        return await credentials.issue_token(conn, name, timedelta(days=expires_days), label)

    secret, issued = run(issue)
    if as_json:
        console.print_json(data={**_token_row(issued), "token": secret})
        return
    console.print(
        f"token {issued.token_id} of {name}, expires {issued.expires_at:%Y-%m-%d %H:%M %Z}."
        f" Shown once:\n{secret}\nUse it: export EDUPLAN_REPORTING_TOKEN={secret}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("tokens")
def tokens(name: Name, as_json: JsonOption = False) -> None:
    """A user's tokens: id, label, state, expiry (never the secrets)."""
    found = [_token_row(t) for t in run(lambda conn: credentials.tokens_of(conn, name))]
    show(found, as_json, lambda rows: TOKENS(rows, {"name": name}))


@app.command("revoke-token")
def revoke_token(
    token_id: Annotated[str, typer.Argument(help="The token's id (`users tokens NAME`).")],
) -> None:
    """Revoke a token: it stops working at once."""

    async def revoke(conn: asyncpg.Connection) -> credentials.Token:
        found = await credentials.revoke_token(conn, token_id)
        if found is None:
            raise users.AccountError(f"no token {token_id}")
        return found

    revoked = run(revoke)
    console.print(f"token {token_id} of {revoked.user} revoked", highlight=False)


@app.command("access-log")
def access_log(
    user: Annotated[str | None, typer.Option(help="Only this user's reads.")] = None,
    since: Annotated[str | None, typer.Option(help="From this date or time (CST).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Latest reads shown.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """Who read personal data: user, time, report and parameters, rows (latest first)."""
    params = {"user": user, "since": since, "limit": str(limit)}
    query = {k: v for k, v in params.items() if v is not None}

    async def read(conn: asyncpg.Connection) -> dict[str, Any]:
        try:
            return await log_of_reads(conn, query)
        except ValidationError as exc:
            raise users.AccountError(str(exc.errors()[0]["msg"])) from None

    show(run(read), as_json, READS)


USERS = View("users_title", "name roles counties disabled active_tokens created_at")
TOKENS = View("tokens_title", "token_id label state created_at expires_at revoked_at")
READS = View(
    "reads_title",
    "read_at user via route params rows",
    {"params": lambda r: json.dumps(r["params"], ensure_ascii=False)},
    rows=lambda found: found["reads"],
    values=lambda found: found,
)


def _token_row(t: credentials.Token) -> dict[str, Any]:
    return {
        "token_id": t.token_id,
        "user": t.user,
        "label": t.label,
        "state": t.state,
        "created_at": t.created_at.isoformat(),
        "expires_at": t.expires_at.isoformat(),
        "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
    }
