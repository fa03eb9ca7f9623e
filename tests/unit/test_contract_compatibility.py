"""A released message schema cannot change in a way that breaks a consumer.

Each case changes a copy of a released schema and asks the check, which must refuse it and
name the field, or accept it when consumers are told to cope with it.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest

from contracts import changelog
from contracts.catalogue import by_key, messages
from contracts.check import baseline_problems, latest_tag, main, problems, release
from contracts.compatibility import Mode, breaking, changes
from contracts.envelope import EventEnvelope
from contracts.personal import SEALINGS
from contracts.registry import UPCASTERS, parse_event
from contracts.released import RECORD, Released, Revision, current, read_record, write_released
from contracts.types import Contract, open_enum

Schema = dict[str, Any]
Edit = Callable[[Schema], None]

STUDENT_REGISTERED = read_record()["StudentRegistered.v2"].latest.schema


def edited(schema: Schema, edit: Edit) -> Schema:
    changed = copy.deepcopy(schema)
    edit(changed)
    return changed


def props(schema: Schema) -> Schema:
    properties: Schema = schema["properties"]
    return properties


def rename_school(s: Schema) -> None:
    props(s)["school_name"] = props(s).pop("school")


def new_required_field(s: Schema) -> None:
    props(s)["district"] = {"type": "string", "description": "District."}
    s["required"].append("district")


def no_longer_nullable(s: Schema) -> None:
    props(s)["school_year"] = props(s)["school_year"]["anyOf"][0]


INCOMPATIBLE: dict[str, tuple[Edit, str]] = {
    "removed field": (lambda s: props(s).pop("boarding"), "boarding: removed"),
    "renamed field": (rename_school, "school: removed (renamed to school_name?)"),
    "new required field": (new_required_field, "district: new required field"),
    "narrowed type": (no_longer_nullable, "school_year: no longer accepts null"),
    "narrowed enum": (
        lambda s: s["$defs"]["Stage"]["enum"].remove("vocational"),
        "stage: enum lost 'vocational'",
    ),
    "closed enum widened": (
        lambda s: s["$defs"]["Stage"]["enum"].append("adult_education"),
        "stage: closed enum gained 'adult_education'",
    ),
    "narrowed bound": (
        lambda s: s["$defs"]["StudentPersonal"]["properties"]["name"].update(maxLength=50),
        "personal.name: maxLength changed from 100 to 50",
    ),
    "changed pattern": (
        lambda s: props(s)["county"].update(pattern=r"^\d{12}$"),
        "county: pattern changed",
    ),
    "changed meaning": (
        lambda s: props(s)["grade"].update(
            description="Changed in v2: grade counted from preschool."
        ),
        "grade: meaning changed (marked 'Changed in v2:')",
    ),
    "widened type": (
        lambda s: props(s)["boarding"].update(type=["boolean", "null"]),
        "boarding: now also accepts null",
    ),
}


@pytest.mark.parametrize("case", INCOMPATIBLE, ids=str)
def test_an_incompatible_change_within_a_version_is_refused_naming_the_field(case: str) -> None:
    edit, expected = INCOMPATIBLE[case]

    after = edited(STUDENT_REGISTERED, edit)

    refused = [str(c) for c in breaking(STUDENT_REGISTERED, after, Mode.FULL)]

    assert any(line.startswith(expected) for line in refused), refused


def new_optional_field(s: Schema) -> None:
    props(s)["district"] = {"type": "string", "description": "District, if known."}


COMPATIBLE: dict[str, tuple[Edit, str]] = {
    "new optional field": (new_optional_field, "district: new optional field"),
    "reworded description": (
        lambda s: props(s)["school"].update(description="The school the student attends."),
        "school: description reworded",
    ),
    "unchanged": (lambda s: None, ""),
}


@pytest.mark.parametrize("case", COMPATIBLE, ids=str)
def test_a_compatible_change_passes_and_says_what_changed(case: str) -> None:
    edit, expected = COMPATIBLE[case]
    after = edited(STUDENT_REGISTERED, edit)

    assert breaking(STUDENT_REGISTERED, after, Mode.FULL) == []
    assert [str(c) for c in changes(STUDENT_REGISTERED, after)] == ([expected] if expected else [])


class Colour(StrEnum):
    RED = "red"
    GREEN = "green"


class ColourMore(StrEnum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


def test_an_open_enum_may_gain_values_and_its_readers_accept_unknown_ones() -> None:
    class Before(Contract):
        colour: Colour | str = open_enum("Colour of the thing.")

    class After(Contract):
        colour: ColourMore | str = open_enum("Colour of the thing.")

    def schema(model: type[Contract]) -> Schema:
        found = model.model_json_schema(mode="serialization")
        found["$defs"]["Colour"] = found["$defs"].pop(next(iter(found["$defs"])))
        props(found)["colour"]["anyOf"][0]["$ref"] = "#/$defs/Colour"
        return found

    gained = changes(schema(Before), schema(After))

    assert [str(c) for c in gained] == ["colour: open enum gained 'blue'"]
    assert breaking(schema(Before), schema(After), Mode.FULL) == []
    assert Before.model_validate({"colour": "blue"}).colour == "blue"
    assert Before.model_validate({"colour": "red"}).colour is Colour.RED


def test_a_command_may_widen_but_an_event_may_not() -> None:
    before = by_key("RegisterStudent.v1").schema()
    grades = edited(before, lambda s: s["$defs"]["Stage"]["enum"].append("adult_education"))
    optional = edited(before, lambda s: s["required"].remove("boarding"))

    assert breaking(before, grades, Mode.BACKWARD) == []
    assert breaking(before, optional, Mode.BACKWARD) == []
    assert [str(c) for c in breaking(before, optional, Mode.FULL)] == [
        "boarding: no longer required"
    ]
    assert breaking(grades, before, Mode.BACKWARD) != [], "taking a value away breaks clients"


# The check against the released record


def released_as(
    key: str, edit: Edit, record: dict[str, Released] | None = None
) -> dict[str, Released]:
    """The record, as if `key` had been released with `edit` applied to its last revision."""
    record = dict(read_record() if record is None else record)
    entry = record[key]
    last = entry.latest
    rewritten = Revision(last.released, last.release, last.changes, edited(last.schema, edit))
    record[key] = replace(entry, revisions=(*entry.revisions[:-1], rewritten))
    return record


def test_the_committed_record_and_the_code_agree() -> None:
    record = read_record()

    assert problems(record, current()) == []
    assert set(record) <= {m.key for m in messages()}


def test_the_check_names_the_message_the_field_and_the_way_out() -> None:
    record = released_as("AidGranted.v1", lambda s: props(s).update(currency={"type": "string"}))
    record = released_as("GrantTermAid.v1", lambda s: props(s).update(dry_run={}), record)

    found = problems(record, current())

    assert sorted(found) == [
        "AidGranted.v1: currency: removed: refused in full mode; "
        "publish AidGranted v2 with an upcaster from v1",
        "GrantTermAid.v1: dry_run: removed: refused in backward mode; "
        "add a new command and keep GrantTermAid while clients send it",
    ]


def test_a_released_schema_cannot_disappear() -> None:
    now = current()
    del now["AidPaid.v1"]

    assert problems(read_record(), now) == [
        "AidPaid.v1: released on 2026-11-29 but gone from the contracts; "
        "a released schema stays (its messages are stored for good)"
    ]


def test_a_new_version_needs_an_upcaster_that_works_on_the_example() -> None:
    def drops_the_student(payload: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in payload.items() if k != "student_id"}

    without = problems(read_record(), current(), upcasters={})
    steps = {**UPCASTERS, ("StudentRegistered", 1): drops_the_student}
    broken = problems(read_record(), current(), steps)

    assert without[0] == "StudentRegistered.v2: no upcaster from v1 in UPCASTERS"
    after_sealing = sum(s.sealed_version - s.clear_version for s in SEALINGS.values())
    assert "AlertRaised.v2: no upcaster from v1 in UPCASTERS" in without
    assert len(without) == 2 + after_sealing  # and each version's after sealing
    assert len(broken) == 1
    assert broken[0].startswith("StudentRegistered.v2: the upcaster from v1 fails on its example")
    assert "student_id" in broken[0]


def test_a_record_edited_in_place_is_refused() -> None:
    entry = read_record()["AidGranted.v1"]
    first = entry.latest
    without_amount = edited(first.schema, lambda s: props(s).pop("amount"))
    second = Revision(date(2027, 1, 1), "0.2.0", ("edited",), without_amount)
    record = {**read_record(), "AidGranted.v1": replace(entry, revisions=(second, first))}

    found = problems(record, current())

    assert found == [
        "AidGranted.v1: revision 2 of the record is not a compatible revision of the one "
        "before (was the record edited?)"
    ]


# Releasing and the changelog


def test_a_release_appends_what_changed_and_the_changelog_shows_it() -> None:
    reworded = released_as(
        "AidGranted.v1", lambda s: props(s)["amount"].update(description="Yuan.")
    )
    record = {"AidGranted.v1": reworded["AidGranted.v1"]}
    now = {"AidGranted.v1": current()["AidGranted.v1"]}

    (updated,) = release(record, now, date(2027, 3, 1), "0.2.0")

    assert len(updated.revisions) == 2
    assert updated.latest.changes == ("amount: description reworded",)
    assert updated.latest.schema == now["AidGranted.v1"].schema()
    text = changelog.markdown({"AidGranted.v1": updated})
    assert text.index("## 2027-03-01 · release 0.2.0") < text.index("## 2026-11-29 · release 0.1.0")
    assert "| `AidGranted.v1` | event | assistance | amount: description reworded |" in text


def test_a_release_is_refused_while_a_change_is_incompatible() -> None:
    record = released_as("AidGranted.v1", lambda s: props(s).update(currency={"type": "string"}))

    with pytest.raises(ValueError, match=r"AidGranted\.v1: currency: removed"):
        release(record, current(), date(2027, 3, 1), "0.2.0")


def test_a_command_may_break_once_its_clients_upgrade_together_but_an_event_never() -> None:
    with_dry_run = released_as("GrantTermAid.v1", lambda s: props(s).update(dry_run={}))
    record = {"GrantTermAid.v1": with_dry_run["GrantTermAid.v1"]}
    now = {"GrantTermAid.v1": current()["GrantTermAid.v1"]}
    reason = "every client upgraded with the 2027 release"

    (updated,) = release(record, now, date(2027, 3, 1), "0.2.0", {"GrantTermAid.v1": reason})

    assert updated.latest.changes == (f"BREAKING, accepted: {reason}", "dry_run: removed")
    assert problems({"GrantTermAid.v1": updated}, now) == []
    with pytest.raises(ValueError, match=r"AidGranted\.v1: only a command may break"):
        release(read_record(), current(), date(2027, 3, 1), "0.2.0", {"AidGranted.v1": reason})


def test_the_committed_changelog_is_generated_from_the_record() -> None:
    text = (RECORD.parent / changelog.FILE).read_text(encoding="utf-8")

    assert text == changelog.markdown()
    assert "| `StudentRegistered.v2` | event | assistance | new version; upcaster from v1 |" in text


def test_the_command_line_check_refuses_and_release_appends(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "released"
    shutil.copytree(RECORD, folder)
    reworded = released_as("AidPaid.v1", lambda s: props(s)["reference"].update(description="Ref."))
    write_released(reworded["AidPaid.v1"], folder)

    assert main(["--record", str(folder)]) == 0
    assert "contracts: 1 change(s) not released yet" in capsys.readouterr().out

    assert main(["--record", str(folder), "--release", "--date", "2027-03-01"]) == 0
    assert "released AidPaid.v1: reference: description reworded" in capsys.readouterr().out
    assert read_record(folder)["AidPaid.v1"].latest.released == date(2027, 3, 1)
    assert main(["--record", str(folder)]) == 0
    assert capsys.readouterr().out == ""

    with_currency = released_as("AidPaid.v1", lambda s: props(s).update(currency={}))
    write_released(with_currency["AidPaid.v1"], folder)
    assert main(["--record", str(folder)]) == 1
    assert "AidPaid.v1: currency: removed" in capsys.readouterr().err


def test_the_record_at_the_last_tag_must_be_kept(tmp_path: Path) -> None:
    folder = tmp_path / "contracts" / "released"
    shutil.copytree(RECORD / "alerts", folder / "alerts")

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "release")
    git("tag", "contracts-0.1.0")
    assert latest_tag(folder) == "contracts-0.1.0"
    assert baseline_problems("contracts-0.1.0", folder) == []

    path = folder / "alerts" / "events" / "AlertRaised.v1.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["revisions"][0]["changes"] = ["rewritten"]
    path.write_text(json.dumps(data), encoding="utf-8")

    assert baseline_problems("contracts-0.1.0", folder) == [
        "AlertRaised.v1: its record at contracts-0.1.0 was rewritten, not appended to"
    ]


def test_a_reader_ignores_a_field_added_by_a_compatible_revision() -> None:
    example = RECORD.parent / "examples/assistance/events/AidPaid.v1.json"
    envelope = EventEnvelope.model_validate_json(example.read_text(encoding="utf-8"))
    extended = envelope.model_copy(update={"payload": {**envelope.payload, "bank_batch": "B-17"}})

    assert parse_event(extended) == parse_event(envelope)
