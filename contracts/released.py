"""The released record: each message schema as released, revision after revision.

`contracts/released/` holds one file per message key (`StudentRegistered.v2`), its revisions
appended by `make release-contracts` and never edited. The record is what "the last release"
means for the compatibility check, on any clone and without tags; when the repository has a
tag, the record there must still be a prefix of the record here (nothing rewritten).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from contracts.catalogue import ROOT, Message, messages

RECORD = ROOT / "released"


@dataclass(frozen=True)
class Revision:
    released: date
    release: str
    """The project version released, e.g. 0.1.0."""
    changes: tuple[str, ...]
    schema: dict[str, Any] = field(compare=True, hash=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "released": self.released.isoformat(),
            "release": self.release,
            "changes": list(self.changes),
            "schema": self.schema,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Revision:
        released = date.fromisoformat(data["released"])
        return cls(released, data["release"], tuple(data["changes"]), data["schema"])


@dataclass(frozen=True)
class Released:
    """Every released revision of one message schema, oldest first."""

    kind: str
    service: str
    name: str
    version: int
    revisions: tuple[Revision, ...]

    @property
    def key(self) -> str:
        return f"{self.name}.v{self.version}"

    @property
    def latest(self) -> Revision:
        return self.revisions[-1]

    def as_text(self) -> str:
        data = {
            "kind": self.kind,
            "service": self.service,
            "type": self.name,
            "version": self.version,
            "revisions": [r.as_json() for r in self.revisions],
        }
        return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"

    @classmethod
    def from_text(cls, text: str) -> Released:
        data = json.loads(text)
        revisions = tuple(Revision.from_json(r) for r in data["revisions"])
        return cls(data["kind"], data["service"], data["type"], data["version"], revisions)


def record_path(message: Message | Released) -> str:
    """Where a message's record lives, relative to the record's folder."""
    folder = "envelopes" if message.kind == "envelope" else f"{message.service}/{message.kind}s"
    return f"{folder}/{message.name}.v{message.version}.json"


def read_record(folder: Path = RECORD) -> dict[str, Released]:
    """The record on disk, by message key."""
    found = (Released.from_text(p.read_text(encoding="utf-8")) for p in folder.rglob("*.json"))
    return {r.key: r for r in sorted(found, key=lambda r: (r.kind, r.service, r.key))}


def read_released(message: Message, folder: Path = RECORD) -> Released | None:
    """One message's record, without reading the others."""
    path = folder / record_path(message)
    return Released.from_text(path.read_text(encoding="utf-8")) if path.exists() else None


def write_released(released: Released, folder: Path = RECORD) -> None:
    path = folder / record_path(released)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(released.as_text(), encoding="utf-8")


def released_on(message: Message, record: dict[str, Released]) -> date | None:
    """When the schema the code has now was released; None while it is not."""
    entry = record.get(message.key)
    if entry is None or entry.latest.schema != message.schema():
        return None
    return entry.latest.released


def current() -> dict[str, Message]:
    return {m.key: m for m in messages()}
