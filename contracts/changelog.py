"""The changelog of contract versions, generated from the released record.

`contracts/CHANGELOG.md` lists, newest release first, every message schema released then and
what changed; the AsyncAPI document carries the same history on each message
(`x-released`). Both are written by `make docs` and checked against the record by a test.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from contracts.released import Released, read_record

FILE = "CHANGELOG.md"

INTRO = """\
# Contract changelog

Generated from the released record (`contracts/released/`) by `make docs`: every message
schema as released, newest release first, with what changed. Keys are `<type>.v<version>`,
as in the schema registry on the bus. Events are held to full compatibility within a version,
commands to backward compatibility; an incompatible change is a new version with an upcaster
(events) or a new command. The rules are in the README's contracts section.
"""


def history(released: Released) -> list[dict[str, Any]]:
    """The revisions of one message schema, for the AsyncAPI document."""
    return [
        {"released": r.released.isoformat(), "release": r.release, "changes": list(r.changes)}
        for r in released.revisions
    ]


def markdown(record: dict[str, Released] | None = None) -> str:
    record = read_record() if record is None else record
    releases: dict[tuple[date, str], list[tuple[Released, tuple[str, ...]]]] = defaultdict(list)
    for released in record.values():
        for revision in released.revisions:
            releases[(revision.released, revision.release)].append((released, revision.changes))
    lines = [INTRO]
    for (on, version), entries in sorted(releases.items(), reverse=True):
        lines += [f"## {on.isoformat()} · release {version}", ""]
        lines += ["| message | kind | service | what changed |", "|---|---|---|---|"]
        for released, what in sorted(entries, key=lambda e: (e[0].kind, e[0].service, e[0].key)):
            service = released.service or "every service"
            lines.append(f"| `{released.key}` | {released.kind} | {service} | {'; '.join(what)} |")
        lines.append("")
    return "\n".join(lines)
