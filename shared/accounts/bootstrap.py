"""The first operator of a new installation: created by `eduplan up` when there is none, with
a generated password and a CLI token, both shown once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from shared.accounts import credentials, users
from shared.accounts.passwords import generate_password
from shared.accounts.roles import Role
from shared.accounts.schema import ensure_access_schema

FIRST_OPERATOR_ROLES = (Role.OPERATOR, Role.PROVINCE_VIEWER)
"""Runs the read models and sees the dashboard; personal data only if an operator grants it."""


@dataclass(frozen=True)
class FirstOperator:
    name: str
    password: str
    token: str


async def ensure_first_operator(database_url: str, days: int = 90) -> FirstOperator | None:
    """Create an operator when no enabled one exists; None when one does."""
    conn = await asyncpg.connect(database_url)
    try:
        await ensure_access_schema(conn)
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('eduplan.first_operator'))")
            if await users.has_operator(conn):
                return None
            name = "operator"
            serial = 1
            while await users.exists(conn, name):
                serial += 1
                name = f"operator-{serial}"
            password = generate_password()
            await users.add_user(conn, name, [r.value for r in FIRST_OPERATOR_ROLES], [], password)
            token, _ = await credentials.issue_token(conn, name, timedelta(days=days), "eduplan up")
        return FirstOperator(name, password, token)
    finally:
        await conn.close()
