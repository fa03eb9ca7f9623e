"""Set-based writing for the evaluation read models: fold a batch into one row per key, then
write each table with a single `unnest` upsert.

A row folded from part of a stream's events knows only some columns; the others are None and
`merge` keeps what the table already holds for them. `replace` writes every column as folded,
for rows that always arrive whole (an assessment replaces the previous one).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from shared.db import dumps


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]
    columns: Mapping[str, str]  # column -> Postgres type, key columns first
    replace: bool = False
    newer: str = ""  # a column that must grow for an update to apply, e.g. assessment

    async def upsert(
        self, conn: asyncpg.Connection, schema: str, rows: Mapping[Hashable, dict[str, Any]]
    ) -> None:
        if not rows:
            return
        names = list(self.columns)
        casts = ", ".join(f"${i}::{self.columns[c]}[]" for i, c in enumerate(names, start=1))
        updated = [c for c in names if c not in self.key]
        sets = ", ".join(
            f"{c} = EXCLUDED.{c}" if self.replace else f"{c} = coalesce(EXCLUDED.{c}, t.{c})"
            for c in updated
        )
        guard = f" WHERE EXCLUDED.{self.newer} > t.{self.newer}" if self.newer else ""
        await conn.execute(
            f'INSERT INTO "{schema}".{self.name} AS t ({", ".join(names)})'
            f" SELECT * FROM unnest({casts})"
            f" ON CONFLICT ({', '.join(self.key)}) DO UPDATE SET {sets}{guard}",
            *([_param(row.get(c), self.columns[c]) for row in rows.values()] for c in names),
        )


def _param(value: Any, kind: str) -> Any:
    """JSON goes as text: a list would otherwise be taken for another array dimension."""
    return dumps(value) if kind == "jsonb" and value is not None else value


@dataclass
class Folded:
    """Rows of one table under construction, one per key, later events overriding earlier."""

    rows: dict[Hashable, dict[str, Any]] = field(default_factory=dict)

    def merge(self, key: Hashable, **values: Any) -> None:
        self.rows.setdefault(key, {}).update(values)

    def put(self, key: Hashable, **values: Any) -> None:
        self.rows[key] = values


def day(value: str | None) -> date | None:
    """A date of a payload (ISO text in JSON) as the database driver wants it."""
    return date.fromisoformat(value) if value else None


def plain(record: Mapping[str, Any]) -> dict[str, Any]:
    """A row as the API shows it: ids and amounts as text, dates in ISO form."""
    return {k: _plain(v) for k, v in dict(record).items()}


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    return text(value) if isinstance(value, Decimal) else str(value)


def text(value: Decimal) -> str:
    """A number as written, never in exponent form (the driver may return 1.20E+6)."""
    return format(value, "f")
