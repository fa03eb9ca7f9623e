"""Command processing: load, decide, append with the expected version, answer.

Commands of one request are decided together and appended in one transaction; if another
writer got there first, each command is retried alone from a fresh load a bounded number of
times, then answered as a conflict. Every accepted answer is stored with its command id (even
when nothing changed), so a repeat gets the first answer; a rejection writes nothing, so a
repeated rejected command is decided again on the state of the moment.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import structlog
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import to_json

from contracts.assistance.types import PROVINCE
from contracts.envelope import Accepted, CommandEnvelope, CommandResult, Rejected
from contracts.personal import SEALINGS
from contracts.registry import COMMAND_MODELS, event_spec, latest_version, spec_of, upcast
from contracts.subjects import Sender, within
from shared.db import RawJson
from shared.decider import CommandHandler, Rejection
from shared.eventstore import (
    ConcurrencyConflict,
    DuplicateCommand,
    EventStore,
    NewEvent,
    RecordedEvent,
    StoredAnswer,
    StreamWrite,
)
from shared.i18n import listing, named
from shared.i18n.problems import problems
from shared.keystore import KeysTaken, KeyStore, NewKeys
from shared.limits import Limits
from shared.personal_data import (
    ERASING_EVENTS,
    Opener,
    PersonalData,
    PersonalDataErasedError,
    master_keys,
)
from shared.settings import get_settings

log = structlog.get_logger()
NOBODY = named("ui", "nobody")
_RESULT = TypeAdapter[CommandResult](CommandResult)


@dataclass
class _Prepared:
    index: int
    envelope: CommandEnvelope
    sender: Sender
    handler: CommandHandler[Any]
    command: BaseModel
    stream_id: str


@dataclass
class _Decision:
    prepared: _Prepared
    result: CommandResult
    write: StreamWrite | None


def payload_of(event: RecordedEvent, opener: Opener | None = None) -> BaseModel:
    """The typed payload of a stored event, upcast to its latest version; an event with a
    personal part as its clear model, opened (sealed model with `personal=None` once the
    person's key is erased, or without `opener`)."""
    sealing = SEALINGS.get(event.event_type)
    if sealing is None:
        version, data = upcast(event.event_type, event.schema_version, event.data)
        return event_spec(event.event_type, version).model.model_validate(data)
    if event.schema_version <= sealing.clear_version:
        _, clear = upcast(
            event.event_type, event.schema_version, event.data, target=sealing.clear_version
        )
        # versions after sealing add fields beside `personal`: bring the clear payload up
        _, data = upcast(event.event_type, sealing.clear_version + 1, clear)
        return sealing.clear_model.model_validate(sealing.clear_payload(data, clear["personal"]))
    version, data = upcast(event.event_type, event.schema_version, event.data)
    personal = opener.personal(data) if opener else None
    if personal is None:
        return event_spec(event.event_type, version).model.model_validate(
            {**data, "personal": None}
        )
    return sealing.clear_model.model_validate(sealing.clear_payload(data, personal))


class CommandProcessor:
    def __init__(
        self,
        store: EventStore,
        handlers: Mapping[str, CommandHandler[Any]],
        permissions: Mapping[str, frozenset[str]],
        max_attempts: int = 5,
        prepare: Callable[[], Awaitable[None]] | None = None,
        max_clock_skew: timedelta = timedelta(minutes=5),
        limits: Limits | None = None,
        personal: PersonalData | None = None,
        reference: Mapping[str, Callable[[], Awaitable[None]]] | None = None,
    ) -> None:
        """`prepare` runs before each request. `reference`: stream type -> how to refresh
        data decisions use, kept in memory from the service's own streams of that type; it
        runs when a request finds that one of them moved since (read with the request's
        answers and streams, no round trip of its own), so an append on another replica
        applies to the next request.
        A command issued further than `max_clock_skew` from this server's clock is refused:
        `issued_at` is the sender's word, and the audit trail must not be back-dated."""
        self.store = store
        self.handlers = handlers
        self.permissions = permissions
        self.max_attempts = max_attempts
        self.prepare = prepare
        self.max_clock_skew = max_clock_skew
        self.limits = limits or Limits.of()
        self.reference = dict(reference or {})
        self._marks: dict[str, int] = {}
        self._personal = personal
        self._keystore_ready = False
        self._keystore_lock = asyncio.Lock()

    async def personal_data(self) -> PersonalData:
        """Sealing with this service's keys (from the settings' master key by default)."""
        if self._personal is None:
            keystore = KeyStore(master_keys(get_settings()), service=self.store.schema)
            self._personal = PersonalData(keystore)
        async with self._keystore_lock:  # concurrent first requests set it up once
            if not self._keystore_ready:
                async with self.store.pool.acquire() as conn:
                    await self._personal.keystore.setup(conn)
                self._keystore_ready = True
        return self._personal

    async def handle(
        self, envelopes: Sequence[CommandEnvelope], sender: Sender | None = None
    ) -> list[CommandResult]:
        """Decide commands sent by `sender`: the department, jurisdiction and actor the bus
        proved (the subject), never fields of the envelopes. Without a sender, the commands
        are the service's own (in-process): its `system` actor, for the whole province."""
        if self.prepare is not None:
            await self.prepare()
        # Prepared before knowing which were answered already: one round trip then reads
        # the answers, the streams to decide on and the reference data's marks.
        candidates: list[_Prepared] = []
        refused: dict[int, CommandResult | None] = {}
        first_index: dict[UUID, int] = {}
        for i, envelope in enumerate(envelopes):
            if envelope.command_id not in first_index:
                first_index[envelope.command_id] = i
                refused[i] = self._prepared_or_refused(i, envelope, sender, candidates)
        read = await self.store.read_for_commands(
            first_index, (p.stream_id for p in candidates), self.reference
        )
        await self._refresh_reference(read.marks)
        prepared = [p for p in candidates if p.envelope.command_id not in read.answers]
        results = _known_answers(envelopes, read.answers, first_index, refused)
        if prepared:
            try:
                decisions, known = await self._decide(prepared, read.streams)
                decisions, fresh = await self._sealed(decisions, known)
                await self._append(decisions, fresh)
                for d in decisions:
                    results[d.prepared.index] = d.result
            except (ConcurrencyConflict, DuplicateCommand, KeysTaken) as exc:
                log.info("batch_conflict_retrying_one_by_one", reason=str(exc), size=len(prepared))
                for p in prepared:
                    results[p.index] = await self._handle_alone(p)
        for i, envelope in enumerate(envelopes):
            if results[i] is None:
                results[i] = results[first_index[envelope.command_id]]
        return [r for r in results if r is not None]

    async def _refresh_reference(self, marks: Mapping[str, int]) -> None:
        for stream_type, refresh in self.reference.items():
            mark = marks.get(stream_type, 0)
            if self._marks.get(stream_type) != mark:
                await refresh()
                self._marks[stream_type] = mark

    def _prepared_or_refused(
        self,
        index: int,
        envelope: CommandEnvelope,
        sender: Sender | None,
        prepared: list[_Prepared],
    ) -> Rejected | None:
        """Add the command to `prepared`, or say why it is refused before any decision."""
        try:
            prepared.append(self._prepare(index, envelope, sender or _system(envelope)))
        except Rejection as r:
            return Rejected(
                command_id=envelope.command_id, code=r.code, message=r.message, reason=r.reason
            )
        return None

    def _prepare(self, index: int, envelope: CommandEnvelope, sender: Sender) -> _Prepared:
        handler = self.handlers.get(envelope.command_type)
        if handler is None:
            raise Rejection(
                "unknown_command",
                "this service has no command {command_type}",
                command_type=envelope.command_type,
            )
        if envelope.department != sender.department:
            raise Rejection(
                "department_mismatch",
                "the command names {named} but was sent as {sender}",
                named=named("unit", envelope.department),
                sender=named("unit", sender.department),
            )
        if sender.department not in self.permissions.get(envelope.command_type, frozenset()):
            allowed = sorted(self.permissions.get(envelope.command_type, ()))
            raise Rejection(
                "not_permitted",
                "{department} may not issue {command_type} (allowed: {allowed})",
                department=named("unit", sender.department),
                command_type=envelope.command_type,
                allowed=listing(named("unit", d) for d in allowed) if allowed else NOBODY,
            )
        skew = abs(datetime.now(UTC) - envelope.issued_at)
        if skew > self.max_clock_skew:
            raise Rejection(
                "clock_skew",
                "issued_at {issued_at} is {skew} s from this server's clock (at most {most} s)",
                issued_at=envelope.issued_at.isoformat(),
                skew=format(skew.total_seconds(), ".0f"),
                most=format(self.max_clock_skew.total_seconds(), ".0f"),
            )
        try:
            command = COMMAND_MODELS[envelope.command_type].model_validate(envelope.payload)
        except ValidationError as exc:
            raise Rejection("invalid_command", "{problems}", problems=problems(exc)) from None
        return _Prepared(index, envelope, sender, handler, command, handler.stream_id(command))

    async def _decide(
        self,
        prepared: Sequence[_Prepared],
        loaded: Mapping[str, list[RecordedEvent]] | None = None,
    ) -> tuple[list[_Decision], Mapping[str, bytes | None]]:
        """Decisions on the streams (`loaded` already, or loaded now), and the data keys
        their sealed parts were opened with (None: erased)."""
        if loaded is None:
            loaded = await self.store.load_streams(p.stream_id for p in prepared)
        sealed = [e.data for events in loaded.values() for e in events if e.event_type in SEALINGS]
        opener = None
        if sealed:
            personal = await self.personal_data()
            async with self.store.pool.acquire() as conn:
                opener = await personal.opener(conn, sealed)
        heads: dict[str, tuple[Any, int]] = {}
        decisions = []
        for p in prepared:
            aggregate = p.handler.aggregate
            if p.stream_id not in heads:
                events = loaded[p.stream_id]
                state = aggregate.fold(payload_of(e, opener) for e in events)
                heads[p.stream_id] = (state, len(events))
            state, version = heads[p.stream_id]
            try:
                if version:
                    _check_jurisdiction(aggregate.county(state), p.sender)
                new_events = list(p.handler.decide(state, p.command))
                new_state = aggregate.fold(new_events, state)
                if not version and new_events:
                    _check_jurisdiction(aggregate.county(new_state), p.sender)
                decision = self._write(p, new_events, aggregate.county(new_state), version)
            except Rejection as r:
                rejected = Rejected(
                    command_id=p.envelope.command_id,
                    code=r.code,
                    message=r.message,
                    reason=r.reason,
                )
                decisions.append(_Decision(p, rejected, None))
                continue
            heads[p.stream_id] = (new_state, version + len(new_events))
            decisions.append(decision)
        return decisions, opener.keys if opener else {}

    def _write(
        self, p: _Prepared, new_events: list[BaseModel], county: str, version: int
    ) -> _Decision:
        recorded = []
        for event in new_events:
            spec = spec_of(event)
            if spec.event_type in SEALINGS or spec.event_type in ERASING_EVENTS:
                # sealed (and its size checked) in `_sealed`, for the whole request at once
                recorded.append(
                    NewEvent(uuid4(), spec.event_type, spec.version, event.model_dump(mode="json"))
                )
                continue
            data = event.model_dump_json()
            if _over(data, self.limits.event_bytes):
                raise Rejection(
                    "event_too_large",
                    (
                        "{event_type} would take {size} bytes; an event takes at most "
                        "{event_bytes} (split the command)"
                    ),
                    event_type=spec.event_type,
                    size=format(_size(data), ","),
                    event_bytes=format(self.limits.event_bytes, ","),
                )
            recorded.append(NewEvent(uuid4(), spec.event_type, spec.version, RawJson(data)))
        accepted = Accepted(
            command_id=p.envelope.command_id,
            stream_id=p.stream_id,
            version=version + len(recorded),
            event_ids=[e.event_id for e in recorded],
            event_types=[e.event_type for e in recorded],
        )
        envelope = p.envelope
        write = StreamWrite(
            stream_id=p.stream_id,
            stream_type=p.handler.aggregate.stream_type,
            county=county,
            expected_version=version,
            events=recorded,
            metadata={
                "actor": p.sender.actor,
                "department": p.sender.department,
                "correlation_id": str(envelope.correlation_id),
                "causation_id": str(envelope.causation_id or envelope.command_id),
                "command_id": str(envelope.command_id),
                "occurred_at": envelope.issued_at.isoformat(),
            },
            command_id=envelope.command_id,
            command_type=envelope.command_type,
            result=RawJson(accepted.model_dump_json()),
            fingerprint=fingerprint(envelope),
        )
        return _Decision(p, accepted, write)

    async def _sealed(
        self, decisions: list[_Decision], known: Mapping[str, bytes | None] | None
    ) -> tuple[list[_Decision], NewKeys | None]:
        """Decisions whose personal parts are sealed; a decision that would record personal
        data of an erased person, or an event too large once sealed, becomes a rejection.

        With the `known` keys of the loaded streams, people without one get fresh keys,
        returned to be stored with the events (no query here: an import's keys cost no round
        trip of their own). Without `known`, or for an erasure, keys are fetched or made and
        erased first, in a transaction of their own."""
        pending = [
            (i, j, e, e.data)
            for i, d in enumerate(decisions)
            if d.write
            for j, e in enumerate(d.write.events)
            if isinstance(e.data, dict)
        ]
        if not pending:
            return decisions, None
        personal = await self.personal_data()
        events = [(e.event_type, data) for _, _, e, data in pending]
        fresh = None
        if known is None or any(t in ERASING_EVENTS for t, _ in events):
            async with self.store.pool.acquire() as conn:
                sealed = await personal.seal(conn, events)
        else:
            sealed, fresh = personal.seal_known(events, known)
        refused: dict[int, Rejection] = {}
        for (i, j, e, _), payload in zip(pending, sealed, strict=True):
            if isinstance(payload, PersonalDataErasedError):
                refused[i] = Rejection(
                    "personal_data_erased",
                    "the personal data of {key_id} was erased",
                    key_id=payload.key_id,
                )
                continue
            data = to_json(payload).decode()
            if _over(data, self.limits.event_bytes):
                refused[i] = Rejection(
                    "event_too_large",
                    (
                        "{event_type} would take {size} bytes; an event takes at most "
                        "{event_bytes} (split the command)"
                    ),
                    event_type=e.event_type,
                    size=format(_size(data), ","),
                    event_bytes=format(self.limits.event_bytes, ","),
                )
            version = latest_version(e.event_type) if e.event_type in SEALINGS else e.schema_version
            write = decisions[i].write
            assert write is not None  # made by `_write`, with a list of events
            assert isinstance(write.events, list)
            write.events[j] = NewEvent(e.event_id, e.event_type, version, RawJson(data))
        for i, r in refused.items():
            d = decisions[i]
            rejected = Rejected(
                command_id=d.prepared.envelope.command_id,
                code=r.code,
                message=r.message,
                reason=r.reason,
            )
            decisions[i] = _Decision(d.prepared, rejected, None)
        return decisions, fresh

    async def _append(self, decisions: list[_Decision], fresh: NewKeys | None) -> None:
        """Store the decisions' writes, with the fresh data keys they are sealed with."""
        writes = [d.write for d in decisions if d.write]
        if fresh is None or not fresh.keys:
            await self.store.append(writes)
            return
        keystore = (await self.personal_data()).keystore
        await self.store.append(writes, keystore.rider(fresh))

    async def _handle_alone(self, p: _Prepared) -> CommandResult:
        for attempt in range(1, self.max_attempts + 1):
            stored = await self.store.command_results([p.envelope.command_id])
            if p.envelope.command_id in stored:
                return _answer(stored[p.envelope.command_id], p.envelope)
            decisions, _ = await self._decide([p])
            (decision,), _ = await self._sealed(decisions, None)
            try:
                if decision.write:
                    await self.store.append([decision.write])
                return decision.result
            except (ConcurrencyConflict, DuplicateCommand):
                log.info("command_conflict", stream_id=p.stream_id, attempt=attempt)
                await asyncio.sleep(random.uniform(0, 0.005 * attempt))
        stored = await self.store.command_results([p.envelope.command_id])
        if p.envelope.command_id in stored:
            return _answer(stored[p.envelope.command_id], p.envelope)
        conflict = Rejection(
            "conflict",
            "stream {stream_id} kept changing; {attempts} attempts failed",
            stream_id=p.stream_id,
            attempts=self.max_attempts,
        )
        return Rejected(
            command_id=p.envelope.command_id,
            code=conflict.code,
            message=conflict.message,
            reason=conflict.reason,
        )


def _known_answers(
    envelopes: Sequence[CommandEnvelope],
    stored: Mapping[UUID, StoredAnswer],
    first_index: Mapping[UUID, int],
    refused: Mapping[int, CommandResult | None],
) -> list[CommandResult | None]:
    """The answers known before deciding: stored first answers, refusals, and a repeat of a
    command within the request (None: decided, or the first's answer, later)."""
    results: list[CommandResult | None] = []
    for i, envelope in enumerate(envelopes):
        if envelope.command_id in stored:
            results.append(_answer(stored[envelope.command_id], envelope))
        elif first_index[envelope.command_id] != i:
            results.append(_repeat(envelopes[first_index[envelope.command_id]], envelope))
        else:
            results.append(refused[i])
    return results


def fingerprint(envelope: CommandEnvelope) -> bytes:
    """A digest of what a command says: its type, department and payload."""
    said = json.dumps(
        [envelope.command_type, envelope.department, envelope.payload],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.blake2b(said.encode(), digest_size=16).digest()


def _answer(stored: StoredAnswer, envelope: CommandEnvelope) -> CommandResult:
    """The first answer to a command sent again, unless the id now carries another command."""
    if stored.fingerprint is not None and stored.fingerprint != fingerprint(envelope):
        return _reused(envelope)
    return _RESULT.validate_python(stored.result)


def _repeat(first: CommandEnvelope, again: CommandEnvelope) -> Rejected | None:
    """A command id twice in one request: the same command gets the first's answer (None
    here, filled in later); another command under that id is refused."""
    return None if fingerprint(first) == fingerprint(again) else _reused(again)


def _reused(envelope: CommandEnvelope) -> Rejected:
    reused = Rejection(
        "command_id_reused",
        "command id {command_id} was used for another command; nothing done",
        command_id=envelope.command_id,
    )
    return Rejected(
        command_id=envelope.command_id,
        code=reused.code,
        message=reused.message,
        reason=reused.reason,
    )


def _size(text: str) -> int:
    """Bytes of UTF-8 text."""
    return len(text) if text.isascii() else len(text.encode())


def _over(text: str, limit: int) -> bool:
    """Whether UTF-8 text takes more than `limit` bytes; encoded only when it might (a
    character takes at most four bytes)."""
    return len(text) * 4 > limit and _size(text) > limit


def _system(envelope: CommandEnvelope) -> Sender:
    return Sender(envelope.department, PROVINCE, "system")


def _check_jurisdiction(county: str, sender: Sender) -> None:
    """A stream belongs to its county: only a sender acting for that county (or for a city
    or the province above it) may change it. An existing stream is judged by its county
    before the command, so a county may transfer a student out, not reach into another."""
    if not within(county, sender.jurisdiction):
        raise Rejection(
            "outside_jurisdiction",
            "{actor} acts for {jurisdiction}; the stream belongs to {county}",
            actor=sender.actor,
            jurisdiction=named("county", sender.jurisdiction),
            county=named("county", county),
        )
