"""Sealing personal parts: a round trip, and every wrong key or altered byte refused."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from contracts.personal import SEALINGS, SealedPersonal
from contracts.registry import EVENTS, event_spec, latest_version
from shared.keystore import MasterKeyMissing, MasterKeys
from shared.personal_data import Opener, WrongKey, open_part, seal_part

PART = {"student_registry_id": "G610831201003010011", "name": "王芳", "birth_date": "2010-03-01"}
KEY_ID = "student:7f3e9a52-0c4d-4b8e-a1f6-2d9c5e8b7a13"


def test_a_sealed_part_opens_with_its_key_to_the_same_part() -> None:
    key = secrets.token_bytes(32)
    sealed = seal_part(key, KEY_ID, PART)

    assert SealedPersonal.model_validate(sealed).key_id == KEY_ID
    assert "王芳" not in str(sealed)
    assert "G610831201003010011" not in str(sealed)
    assert open_part(key, sealed) == PART


def test_the_same_part_sealed_twice_differs() -> None:
    key = secrets.token_bytes(32)
    assert seal_part(key, KEY_ID, PART)["ciphertext"] != seal_part(key, KEY_ID, PART)["ciphertext"]


def test_another_person_s_key_is_refused() -> None:
    sealed = seal_part(secrets.token_bytes(32), KEY_ID, PART)

    with pytest.raises(WrongKey, match=KEY_ID):
        open_part(secrets.token_bytes(32), sealed)


def test_a_part_moved_to_another_person_is_refused() -> None:
    """The key id is authenticated: a part cannot be passed off as someone else's."""
    key = secrets.token_bytes(32)
    sealed = seal_part(key, KEY_ID, PART) | {"key_id": "student:" + "0" * 8 + KEY_ID[16:]}

    with pytest.raises(WrongKey):
        open_part(key, sealed)


def test_an_altered_ciphertext_is_refused() -> None:
    key = secrets.token_bytes(32)
    sealed = seal_part(key, KEY_ID, PART)
    raw = bytearray(base64.b64decode(sealed["ciphertext"]))
    raw[3] ^= 1

    with pytest.raises(WrongKey):
        open_part(key, sealed | {"ciphertext": base64.b64encode(bytes(raw)).decode()})


def test_an_erased_key_opens_as_none_and_a_clear_part_stays() -> None:
    sealed = seal_part(secrets.token_bytes(32), KEY_ID, PART)

    assert Opener({KEY_ID: None}).personal({"personal": sealed}) is None
    assert Opener({}).personal({"personal": sealed}) is None
    assert Opener({}).personal({"personal": PART}) == PART


def test_a_data_key_unwraps_only_with_its_master_key_and_id() -> None:
    master = MasterKeys.parse(MasterKeys.generate("m1"))
    data_key = secrets.token_bytes(32)
    wrapped = master.wrap(KEY_ID, data_key)

    assert master.unwrap(KEY_ID, "m1", wrapped) == data_key
    with pytest.raises(InvalidTag):
        master.unwrap("student:other", "m1", wrapped)
    other = MasterKeys.parse(MasterKeys.generate("m1"))
    with pytest.raises(InvalidTag):
        other.unwrap(KEY_ID, "m1", wrapped)
    with pytest.raises(MasterKeyMissing, match="m2"):
        master.unwrap(KEY_ID, "m2", wrapped)


def test_master_keys_parse_with_the_first_current_and_refuse_bad_ones() -> None:
    keys = MasterKeys.parse(f"{MasterKeys.generate('new')}\n{MasterKeys.generate('old')}\n")

    assert keys.current == "new"
    assert set(keys.keys) == {"new", "old"}
    for bad in ("", "m1", "m1:short", "m1:!!!not-base64!!!"):
        with pytest.raises(ValueError, match="master key"):
            MasterKeys.parse(bad)


def test_every_personal_part_has_a_sealed_version_and_a_subject() -> None:
    assert {
        "StudentRegistered",
        "StudentDetailsRevised",
        "MasterTeacherDispatched",
        "TeacherPairingAgreed",
        "ResearchVisitHeld",
    } <= set(SEALINGS)
    for event_type, sealing in SEALINGS.items():
        assert sealing.sealed_version == latest_version(event_type) > sealing.clear_version
        for version in range(sealing.clear_version + 1, sealing.sealed_version + 1):
            personal = event_spec(event_type, version).model.model_fields["personal"]
            assert "SealedPersonal" in str(personal.annotation), (event_type, version)
        assert "personal" in sealing.clear_model.model_fields


def test_every_event_type_with_a_personal_part_is_sealed_at_its_latest_version() -> None:
    with_personal = {s.event_type for s in EVENTS if "personal" in s.model.model_fields}

    assert with_personal == set(SEALINGS)
    for event_type in with_personal:
        latest = event_spec(event_type, latest_version(event_type)).model
        assert "SealedPersonal" in str(latest.model_fields["personal"].annotation)


@pytest.mark.parametrize("event_type", sorted(SEALINGS))
def test_a_sealed_example_opens_with_the_example_key_to_its_clear_example(event_type: str) -> None:
    """What a downstream reader with a granted key does (examples/README.md)."""
    sealing = SEALINGS[event_type]
    service = event_spec(event_type, sealing.sealed_version).service
    folder = Path(__file__).parents[2] / "contracts" / "examples" / service / "events"
    sealed = json.loads((folder / f"{event_type}.v{sealing.sealed_version}.json").read_text())
    clear = json.loads((folder / f"{event_type}.v{sealing.clear_version}.json").read_text())

    part = sealed["payload"]["personal"]
    assert part["key_id"] == sealing.subject.key_id(sealed["payload"])
    assert open_part(bytes(range(32)), part) == clear["payload"]["personal"]
    with pytest.raises(WrongKey):
        open_part(bytes(32), part)
