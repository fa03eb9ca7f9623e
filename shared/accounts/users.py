"""Accounts: add, list, disable, change a password, and log in with one."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from shared.accounts.credentials import Db, principal
from shared.accounts.passwords import hash_password, verify_password
from shared.accounts.roles import Principal, Role, check_account
from shared.accounts.schema import SCHEMA


class AccountError(Exception):
    """A request about an account that cannot be done, with the reason."""


@dataclass(frozen=True)
class User:
    name: str
    roles: tuple[str, ...]
    counties: tuple[str, ...]
    created_at: datetime
    disabled_at: datetime | None
    active_tokens: int

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "roles": list(self.roles),
            "counties": list(self.counties),
            "created_at": self.created_at.isoformat(),
            "disabled": self.disabled_at is not None,
            "active_tokens": self.active_tokens,
        }


async def add_user(
    db: Db, name: str, roles: Sequence[str], counties: Sequence[str], password: str
) -> None:
    try:
        check_account(name, roles, counties)
        password_hash = await asyncio.to_thread(hash_password, password)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    try:
        await db.execute(
            f'INSERT INTO "{SCHEMA}".users (name, password_hash, roles, counties)'
            " VALUES ($1, $2, $3, $4)",
            name,
            password_hash,
            sorted(set(roles)),
            sorted(set(counties)),
        )
    except asyncpg.UniqueViolationError:
        raise AccountError(f"user {name} exists already") from None


async def set_password(db: Db, name: str, password: str) -> None:
    try:
        password_hash = await asyncio.to_thread(hash_password, password)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    updated = await db.execute(
        f'UPDATE "{SCHEMA}".users SET password_hash = $2 WHERE name = $1', name, password_hash
    )
    if updated == "UPDATE 0":
        raise AccountError(f"no user {name}")
    await db.execute(f'DELETE FROM "{SCHEMA}".sessions WHERE user_name = $1', name)


async def set_disabled(db: Db, name: str, disabled: bool) -> None:
    """Disable (its sessions end, its tokens stop working) or enable an account."""
    updated = await db.execute(
        f"""UPDATE "{SCHEMA}".users
            SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END
            WHERE name = $1""",
        name,
        disabled,
    )
    if updated == "UPDATE 0":
        raise AccountError(f"no user {name}")
    if disabled:
        await db.execute(f'DELETE FROM "{SCHEMA}".sessions WHERE user_name = $1', name)


async def users(db: Db) -> list[User]:
    rows = await db.fetch(
        f"""SELECT u.name, u.roles, u.counties, u.created_at, u.disabled_at,
                   count(t.token_id) AS active_tokens
            FROM "{SCHEMA}".users u LEFT JOIN "{SCHEMA}".tokens t
                ON t.user_name = u.name AND t.revoked_at IS NULL AND t.expires_at > now()
            GROUP BY u.name ORDER BY u.name"""
    )
    return [
        User(
            r["name"],
            tuple(r["roles"]),
            tuple(r["counties"]),
            r["created_at"],
            r["disabled_at"],
            r["active_tokens"],
        )
        for r in rows
    ]


async def exists(db: Db, name: str) -> bool:
    return bool(await db.fetchval(f'SELECT 1 FROM "{SCHEMA}".users WHERE name = $1', name))


async def log_in(db: Db, name: str, password: str) -> Principal | None:
    """The user if the password is theirs and the account enabled, else None (the same time
    whether the name exists or not)."""
    row = await db.fetchrow(
        f'SELECT name, roles, counties, password_hash, disabled_at FROM "{SCHEMA}".users'
        " WHERE name = $1",
        name,
    )
    stored = row["password_hash"] if row else None
    if not await asyncio.to_thread(verify_password, stored, password):
        return None
    if row is None or row["disabled_at"] is not None:
        return None
    return principal(row, "session")


async def has_operator(db: Db) -> bool:
    return bool(
        await db.fetchval(
            f'SELECT 1 FROM "{SCHEMA}".users WHERE $1 = ANY(roles) AND disabled_at IS NULL',
            Role.OPERATOR.value,
        )
    )
