"""Sealing and opening the personal parts of events (AES-256-GCM, a data key per person).

A service decides with clear event models; as it stores them, `PersonalData.seal` turns each
personal part into a `SealedPersonal` (contracts/personal.py) with the data key of whom it
concerns, and the event becomes its sealed version. So the events table, the outbox,
JetStream, dead letters and exports only ever hold ciphertext and a key id. Keys of people
the request's loaded streams named are known already; everyone else gets a fresh key, stored
in the transaction of the events it seals (no key without its events, no round trip of its
own). Loading a stream opens them again (`PersonalData.opener`); a part whose key was erased
opens as None. `PersonalDataErased` destroys the key as it is stored, before the event is: a
retry finds the key gone and records the event.

Library: `cryptography` (AESGCM), the maintained binding to OpenSSL; nothing home-made.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic_core import to_json

from contracts.personal import SEALINGS
from shared.keystore import KeyStore, MasterKeys, NewKeys
from shared.settings import Settings, get_settings

ERASING_EVENTS = frozenset(
    {
        "PersonalDataErased",
        "PairingPersonalDataErased",
        "StaffPersonalDataErased",
        "ResearchVisitExpertsErased",
        "QualityActivityExpertsErased",
    }
)
"""Event types whose `key_id` is destroyed as they are stored."""


class WrongKey(ValueError):
    """The key does not open this part (another person's, or the part was altered)."""


class PersonalDataErasedError(LookupError):
    """The person's key was erased: nothing can be sealed for them again."""

    def __init__(self, key_id: str) -> None:
        super().__init__(f"the personal data of {key_id} was erased")
        self.key_id = key_id


def seal_part(
    key: bytes, key_id: str, clear: Mapping[str, Any], nonce: bytes | None = None
) -> dict[str, str]:
    """A clear personal part, sealed with the data key `key` named `key_id` (and a fresh
    12-byte `nonce`, made here when not given)."""
    nonce = nonce or secrets.token_bytes(12)
    plain = to_json(clear)  # pydantic-core's serializer: compact UTF-8, as json.dumps would be
    ciphertext = AESGCM(key).encrypt(nonce, plain, key_id.encode())
    return {
        "key_id": key_id,
        "nonce": _b64(nonce),
        "ciphertext": _b64(ciphertext),
    }


def _b64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def open_part(key: bytes, sealed: Mapping[str, Any]) -> dict[str, Any]:
    """The clear personal part of `sealed`; `WrongKey` when `key` is not its key."""
    try:
        plain = AESGCM(key).decrypt(
            base64.b64decode(sealed["nonce"]),
            base64.b64decode(sealed["ciphertext"]),
            str(sealed["key_id"]).encode(),
        )
    except (InvalidTag, ValueError) as exc:
        raise WrongKey(
            f"the key given does not open the part sealed with {sealed['key_id']}"
        ) from exc
    opened: dict[str, Any] = json.loads(plain)
    return opened


def is_sealed(part: object) -> bool:
    return isinstance(part, dict) and "ciphertext" in part and "key_id" in part


def sealed_key_ids(payloads: Iterable[Mapping[str, Any]]) -> set[str]:
    return {p["personal"]["key_id"] for p in payloads if is_sealed(p.get("personal"))}


def master_keys(settings: Settings) -> MasterKeys:
    """The master keys: the setting, else its file, else (development) state_dir/master.key
    made once with owner-only access."""
    if settings.master_key is not None:
        return MasterKeys.parse(settings.master_key.get_secret_value())
    path = settings.master_key_file or settings.state_dir / "master.key"
    if settings.master_key_file is None and not path.exists():
        _create_once(path, MasterKeys.generate("dev-1") + "\n")
    try:
        return MasterKeys.parse(path.read_text())
    except OSError as exc:
        raise ValueError(f"master key file {path}: {exc.strerror}") from None


def _create_once(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as f:
        f.write(text)


class Opener:
    """Opens the sealed parts of a batch with the keys fetched for it (None: erased/absent)."""

    def __init__(self, keys: Mapping[str, bytes | None]) -> None:
        self.keys = keys

    def personal(self, payload: Mapping[str, Any]) -> dict[str, Any] | None:
        part = payload.get("personal")
        if not is_sealed(part):
            return part if isinstance(part, dict) else None
        assert isinstance(part, dict)
        key = self.keys.get(part["key_id"])
        return None if key is None else open_part(key, part)

    def opened(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The payload with its personal part in clear, or None where its key is gone."""
        if "personal" not in payload:
            return payload
        return {**payload, "personal": self.personal(payload)}


class PersonalData:
    """Sealing and opening for one process, over the key store it may read."""

    def __init__(self, keystore: KeyStore) -> None:
        self.keystore = keystore

    async def opener(
        self, conn: asyncpg.Connection, payloads: Iterable[Mapping[str, Any]]
    ) -> Opener:
        ids = sealed_key_ids(payloads)
        return Opener(await self.keystore.fetch(conn, ids) if ids else {})

    async def seal(
        self, conn: asyncpg.Connection, events: list[tuple[str, dict[str, Any]]]
    ) -> list[dict[str, Any] | PersonalDataErasedError]:
        """(event type, clear payload) -> the sealed payload, or the error for a person whose
        key is erased; keys fetched or made in one batch. Erasing events destroy their key."""
        for event_type, payload in events:
            if event_type in ERASING_EVENTS:
                await self.keystore.erase(conn, payload["key_id"])
        wanted = _subjects(events)
        return _sealed(events, await self.keystore.fetch_or_create(conn, wanted) if wanted else {})

    def seal_known(
        self, events: list[tuple[str, dict[str, Any]]], known: Mapping[str, bytes | None]
    ) -> tuple[list[dict[str, Any] | PersonalDataErasedError], NewKeys]:
        """As `seal`, with no query: `known` keys (fetched as the streams were loaded; None:
        erased), fresh ones for everyone else, which the caller stores (`KeyStore.rider`)
        in the transaction of the events they seal. Not for erasing events."""
        fresh = self.keystore.new_keys(_subjects(events) - known.keys())
        return _sealed(events, {**known, **fresh.keys}), fresh


def _subjects(events: list[tuple[str, dict[str, Any]]]) -> set[str]:
    return {SEALINGS[t].subject.key_id(p) for t, p in events if t in SEALINGS}


def _sealed(
    events: list[tuple[str, dict[str, Any]]], keys: Mapping[str, bytes | None]
) -> list[dict[str, Any] | PersonalDataErasedError]:
    out: list[dict[str, Any] | PersonalDataErasedError] = []
    random = os.urandom(12 * len(events))  # every nonce in one call
    for n, (event_type, payload) in enumerate(events):
        sealing = SEALINGS.get(event_type)
        if sealing is None:
            out.append(payload)
            continue
        key_id = sealing.subject.key_id(payload)
        key = keys.get(key_id)
        if key is None:
            out.append(PersonalDataErasedError(key_id))
            continue
        nonce = random[12 * n : 12 * n + 12]
        sealed = seal_part(key, key_id, payload["personal"], nonce)
        out.append(sealing.sealed_payload(payload, sealed))
    return out


@functools.cache
def reader() -> PersonalData:
    """This process's opener of every key it may read (the projection's, by the settings)."""
    return PersonalData(KeyStore(master_keys(get_settings())))


async def opener_for(conn: asyncpg.Connection, payloads: Iterable[Mapping[str, Any]]) -> Opener:
    """An opener for the sealed parts among `payloads` (one query; none when none sealed)."""
    sealed = [p for p in payloads if is_sealed(p.get("personal"))]
    if not sealed:
        return Opener({})
    return await reader().opener(conn, sealed)


async def opened_stream(
    pool: asyncpg.Pool, store_schema: str, personal: PersonalData, stream_id: str
) -> list[tuple[Any, dict[str, Any]]]:
    """Every event of a stream with its payload's personal part opened (None once erased):
    (recorded event, payload), for a subject access request."""
    from shared.eventstore import EventStore  # noqa: PLC0415 - the store imports nothing of this

    events = await EventStore(pool, store_schema).load(stream_id)
    async with pool.acquire() as conn:
        opener = await personal.opener(conn, (e.data for e in events))
    return [(e, opener.opened(e.data)) for e in events]
