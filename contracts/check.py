"""Refuse a change to a released message schema that would break a consumer.

`python -m contracts.check` (run by `make lint`) compares every message schema of the code
with its last released revision in `contracts/released/` and exits 1, naming each field, when
a change is incompatible in the message's mode; it also requires an upcaster into every event
version after the first, and that the record was only ever appended to.
`python -m contracts.check --release` (`make release-contracts`) appends the schemas that are
new or changed compatibly to the record, with the date and what changed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path

from pydantic import ValidationError

from contracts.catalogue import Message
from contracts.compatibility import Change, Mode, breaking, changes
from contracts.registry import UPCASTERS
from contracts.released import (
    RECORD,
    Released,
    Revision,
    current,
    read_record,
    write_released,
)
from contracts.specs import Upcaster

Record = dict[str, Released]


BREAKING = "BREAKING, accepted: "
"""Starts the changes of a revision released with `--accept-breaking` (commands only)."""


def problems(
    record: Record,
    now: dict[str, Message],
    upcasters: dict[tuple[str, int], Upcaster] = UPCASTERS,
    accepted: frozenset[str] = frozenset(),
) -> list[str]:
    """Everything that would break a consumer, one line each; empty when all is well."""
    found = []
    for key, released in record.items():
        if key in accepted:
            continue
        found += _rewritten(released)
        if key not in now:
            found.append(
                f"{key}: released on {released.latest.released} but gone from the contracts; "
                "a released schema stays (its messages are stored for good)"
            )
            continue
        message = now[key]
        for change in breaking(released.latest.schema, message.schema(), message.mode):
            found.append(f"{key}: {change}: {_advice(message, change)}")
    for message in now.values():
        if message.kind == "event" and message.version > 1:
            found += _upcaster_problems(message, now, upcasters)
    return found


def pending(record: Record, now: dict[str, Message]) -> list[str]:
    """Compatible changes and new schemas not released yet, one line each."""
    lines = []
    for key, message in now.items():
        if key not in record:
            lines.append(f"{key}: new")
        elif record[key].latest.schema != message.schema():
            lines += [f"{key}: {c}" for c in changes(record[key].latest.schema, message.schema())]
    return lines


def release(
    record: Record,
    now: dict[str, Message],
    on: date,
    version: str,
    accept_breaking: dict[str, str] | None = None,
) -> list[Released]:
    """The records that gain a revision; refused while `problems` finds anything.

    `accept_breaking` ({key: reason}) releases an incompatible change to a command once all
    its clients are upgraded together; events and the event envelope never break.
    """
    accepted = accept_breaking or {}
    for key in accepted:
        if key not in now or now[key].mode is not Mode.BACKWARD:
            raise ValueError(f"{key}: only a command may break; publish a new version instead")
    if found := problems(record, now, accepted=frozenset(accepted)):
        raise ValueError("\n".join(found))
    updated = []
    for key, message in now.items():
        schema = message.schema()
        if key not in record:
            first = Revision(on, version, (_first(message),), schema)
            updated.append(
                Released(message.kind, message.service, message.name, message.version, (first,))
            )
        elif record[key].latest.schema != schema:
            what = tuple(str(c) for c in changes(record[key].latest.schema, schema))
            if key in accepted:
                what = (BREAKING + accepted[key], *what)
            revisions = (*record[key].revisions, Revision(on, version, what, schema))
            updated.append(replace(record[key], revisions=revisions))
    return updated


def _first(message: Message) -> str:
    if message.kind == "event" and message.version > 1:
        return f"new version; upcaster from v{message.version - 1}"
    return "first release"


def _advice(message: Message, change: Change) -> str:
    refused = f"refused in {message.mode.value} mode"
    if message.kind == "event":
        nxt = message.version + 1
        return f"{refused}; publish {message.name} v{nxt} with an upcaster from v{message.version}"
    if message.kind == "command":
        return f"{refused}; add a new command and keep {message.name} while clients send it"
    return f"{refused}; an envelope changes only compatibly"


def _rewritten(released: Released) -> list[str]:
    """A record whose revisions contradict each other was edited, not appended to."""
    found = []
    pairs = zip(released.revisions, released.revisions[1:], strict=False)
    for number, (before, after) in enumerate(pairs, start=2):
        if after.changes and after.changes[0].startswith(BREAKING):
            continue
        mode = current().get(released.key)
        refused = breaking(before.schema, after.schema, mode.mode) if mode else []
        if refused or after.released < before.released:
            found.append(
                f"{released.key}: revision {number} of the record is not a compatible "
                "revision of the one before (was the record edited?)"
            )
    return found


def _upcaster_problems(
    message: Message, now: dict[str, Message], upcasters: dict[tuple[str, int], Upcaster]
) -> list[str]:
    previous = now.get(f"{message.name}.v{message.version - 1}")
    step = upcasters.get((message.name, message.version - 1))
    if step is None:
        return [f"{message.key}: no upcaster from v{message.version - 1} in UPCASTERS"]
    example = previous.example() if previous else None
    if example is None:
        return [f"{message.key}: no example of v{message.version - 1} to try the upcaster on"]
    try:
        message.model.model_validate(step(example))
    except (ValidationError, KeyError, TypeError, ValueError) as exc:
        return [
            f"{message.key}: the upcaster from v{message.version - 1} fails on its example: {exc}"
        ]
    return []


def baseline_problems(ref: str, folder: Path = RECORD) -> list[str]:
    """What the record at a git ref released that the record here no longer says."""
    prefix = _git(folder, "rev-parse", "--show-prefix").strip()
    ours = read_record(folder)
    found = []
    for path in _git(folder, "ls-tree", "-r", "--name-only", "--full-tree", ref, prefix).split():
        theirs = Released.from_text(_git(folder, "show", f"{ref}:{path}"))
        here = ours.get(theirs.key)
        if here is None or here.revisions[: len(theirs.revisions)] != theirs.revisions:
            found.append(f"{theirs.key}: its record at {ref} was rewritten, not appended to")
    return found


def latest_tag(folder: Path = RECORD) -> str | None:
    """The newest tag reachable from HEAD; None without tags (or without git)."""
    try:
        return _git(folder, "describe", "--tags", "--abbrev=0").strip() or None
    except (subprocess.CalledProcessError, FileNotFoundError):
        return None


def _git(where: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=where, capture_output=True, text=True, check=True)
    return done.stdout


def project_version() -> str:
    try:
        return metadata.version("eduplan")
    except metadata.PackageNotFoundError:
        return "unversioned"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.check", description=__doc__)
    parser.add_argument("--release", action="store_true", help="append to the released record")
    parser.add_argument("--date", type=date.fromisoformat, help="release date (default today)")
    parser.add_argument("--against", help="git ref whose record must be kept (default: last tag)")
    parser.add_argument(
        "--accept-breaking",
        action="append",
        default=[],
        metavar="KEY=REASON",
        help="with --release: record an incompatible change to a command, e.g. "
        "'GrantTermAid.v1=every client upgraded with the 2027 release'",
    )
    parser.add_argument("--record", type=Path, default=RECORD, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    record, now = read_record(args.record), current()
    found = problems(record, now, accepted=frozenset(k.split("=")[0] for k in args.accept_breaking))
    ref = args.against or latest_tag(args.record)
    if ref:
        found += baseline_problems(ref, args.record)
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(f"{len(found)} incompatible contract change(s)", file=sys.stderr)
        return 1
    if not args.release:
        if waiting := pending(record, now):
            print(f"contracts: {len(waiting)} change(s) not released yet (make release-contracts)")
        return 0
    on = args.date or datetime.now(UTC).date()
    accepted = dict(item.split("=", 1) for item in args.accept_breaking)
    for released in release(record, now, on, project_version(), accepted):
        write_released(released, args.record)
        print(f"released {released.key}: {'; '.join(released.latest.changes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
