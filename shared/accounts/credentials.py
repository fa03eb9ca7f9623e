"""Random secrets that stand for a user: dashboard sessions (a cookie) and bearer tokens.

Only a SHA-256 digest of each secret is stored. The secrets carry 256 random bits, so a fast
digest is enough (a slow password hash protects guessable secrets, not these), and a lookup
is one index probe. A disabled user's sessions and tokens stop working at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypeAlias

import asyncpg

from shared.accounts.roles import Principal, Role
from shared.accounts.schema import SCHEMA

TOKEN_PREFIX = "ept_"
Db: TypeAlias = asyncpg.Pool | asyncpg.Connection


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def principal(row: Any, via: Literal["session", "token"]) -> Principal:
    return Principal(
        row["name"], frozenset(Role(r) for r in row["roles"]), tuple(row["counties"]), via
    )


async def open_session(db: Db, user: str, lifetime: timedelta) -> str:
    """A new session for `user`; the cookie's value is returned, its digest kept."""
    secret = secrets.token_urlsafe(32)
    await db.execute(
        f"DELETE FROM \"{SCHEMA}\".sessions WHERE expires_at < now() - interval '1 day'"
    )
    await db.execute(
        f'INSERT INTO "{SCHEMA}".sessions (token_hash, user_name, expires_at)'
        " VALUES ($1, $2, now() + $3)",
        digest(secret),
        user,
        lifetime,
    )
    return secret


async def session_principal(db: Db, secret: str) -> Principal | None:
    row = await db.fetchrow(
        f"""SELECT u.name, u.roles, u.counties FROM "{SCHEMA}".sessions s
            JOIN "{SCHEMA}".users u ON u.name = s.user_name
            WHERE s.token_hash = $1 AND s.expires_at > now() AND u.disabled_at IS NULL""",
        digest(secret),
    )
    return principal(row, "session") if row else None


async def close_session(db: Db, secret: str) -> None:
    await db.execute(f'DELETE FROM "{SCHEMA}".sessions WHERE token_hash = $1', digest(secret))


@dataclass(frozen=True)
class Token:
    token_id: str
    user: str
    label: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        return "expired" if self.expires_at <= datetime.now(self.expires_at.tzinfo) else "active"


async def issue_token(db: Db, user: str, lifetime: timedelta, label: str = "") -> tuple[str, Token]:
    """A new token: its secret, to be shown once and not kept, and its record."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = await db.fetchrow(
        f"""INSERT INTO "{SCHEMA}".tokens (token_id, token_hash, user_name, label, expires_at)
            VALUES ($1, $2, $3, $4, now() + $5) RETURNING *""",
        secrets.token_hex(4),
        digest(secret),
        user,
        label,
        lifetime,
    )
    return secret, _token(row)


async def token_principal(db: Db, secret: str) -> Principal | None:
    row = await db.fetchrow(
        f"""SELECT u.name, u.roles, u.counties FROM "{SCHEMA}".tokens t
            JOIN "{SCHEMA}".users u ON u.name = t.user_name
            WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now()
              AND u.disabled_at IS NULL""",
        digest(secret),
    )
    return principal(row, "token") if row else None


async def tokens_of(db: Db, user: str) -> list[Token]:
    rows = await db.fetch(
        f'SELECT * FROM "{SCHEMA}".tokens WHERE user_name = $1 ORDER BY created_at', user
    )
    return [_token(r) for r in rows]


async def revoke_token(db: Db, token_id: str) -> Token | None:
    """Revoke a token by its id; None when there is no such token."""
    row = await db.fetchrow(
        f"""UPDATE "{SCHEMA}".tokens SET revoked_at = coalesce(revoked_at, now())
            WHERE token_id = $1 RETURNING *""",
        token_id,
    )
    return _token(row) if row else None


def _token(row: Any) -> Token:
    return Token(
        row["token_id"],
        row["user_name"],
        row["label"],
        row["created_at"],
        row["expires_at"],
        row["revoked_at"],
    )
