"""A dispatch touches two aggregates: the post decides, the teacher's calendar follows.

Two rules meet in a dispatch: a post takes at most its target of teachers at once
(`domain.post`), and a teacher serves one post at a time (`domain.teacher`). Each command
still writes one stream, so the two rules never share a transaction. The order chosen:

1. Before anything is written, the teacher's calendar is read, and a dispatch or extension
   that overlaps another assignment is refused (`overlapping_assignment`), writing nothing.
2. The post decides and appends with its expected version, so its capacity holds under any
   concurrency, and a full post (`post_full`) writes nothing.
3. The service records what the post admitted in the teacher's calendar
   (`RecordTeacherAssignment`, `CancelTeacherAssignment`), in the name of the same actor,
   correlated with and caused by the command.
4. Only if another command booked the same teacher between 1 and 3 does the calendar refuse;
   the service then withdraws what the post had admitted and answers the command as rejected
   with the calendar's reason. That race is the one refusal that leaves events behind: the
   admission and its withdrawal, both in the audit trail, and never a teacher in two posts.

Had the calendar decided first, a full post, the common refusal, would leave a booking and its
cancellation behind for every refused dispatch. If the service stops between 2 and 3, the
calendar lags until the command is sent again (the CLI resends on timeout with the same id,
and a repeat runs step 3 again); the post, which guards capacity, is right throughout.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import structlog
from pydantic import BaseModel, ValidationError

from contracts.assistance.types import PROVINCE
from contracts.envelope import Accepted, CommandEnvelope, CommandResult, Rejected
from contracts.registry import COMMAND_MODELS
from contracts.sentence import Reason, Sentence
from contracts.staffing import commands as c
from contracts.staffing.events import MasterTeacherDispatched, MasterTeacherSupportExtended
from contracts.subjects import Sender
from services.staffing.domain.post import POST, SubjectPost
from services.staffing.domain.teacher import (
    TEACHER,
    MasterTeacher,
    clash_with,
    overlapping,
    teacher_stream,
)
from shared.decider import Rejection
from shared.eventstore import RecordedEvent
from shared.i18n import spoken
from shared.processor import CommandProcessor, payload_of

log = structlog.get_logger()

LENGTHENING = frozenset({"DispatchMasterTeacher", "ExtendMasterTeacherSupport"})
WITHDRAWALS = frozenset({"MasterTeacherDispatchWithdrawn", "MasterTeacherExtensionWithdrawn"})
CHANGING_SPANS = LENGTHENING | {
    "EndMasterTeacherSupport",
    "WithdrawMasterTeacherDispatch",
    "WithdrawMasterTeacherExtension",
}


@dataclass(frozen=True)
class _Admitted:
    """A post change one command made, and the calendar command that follows it."""

    index: int
    envelope: CommandEnvelope
    event: BaseModel
    calendar: CommandEnvelope


class AssignmentProcessor(CommandProcessor):
    """The command processor, with the calendar check before and the calendar update after
    every command that changes a master teacher's span of terms at a post."""

    async def handle(
        self, envelopes: Sequence[CommandEnvelope], sender: Sender | None = None
    ) -> list[CommandResult]:
        sender = sender or _own(envelopes)
        refused = await self._refuse_overlaps(envelopes, sender)
        rest = [e for e in envelopes if e.command_id not in refused]
        answers = iter(await super().handle(rest, sender) if rest else [])
        results = [refused.get(e.command_id) or next(answers) for e in envelopes]
        return await self._update_calendars(envelopes, results, sender)

    async def _refuse_overlaps(
        self, envelopes: Sequence[CommandEnvelope], sender: Sender
    ) -> dict[UUID, CommandResult]:
        commands = {
            e.command_id: command
            for e in envelopes
            if e.command_type in LENGTHENING
            and e.department == sender.department
            and sender.department in self.permissions.get(e.command_type, frozenset())
            and (command := _parsed(e)) is not None
        }
        if not commands:
            return {}
        answered = await self.store.command_results(commands)
        commands = {i: cmd for i, cmd in commands.items() if i not in answered}
        calendars = await self._calendars(cmd.teacher_id for cmd in commands.values())
        refused: dict[UUID, CommandResult] = {}
        for command_id, command in commands.items():
            clash = clash_with(calendars[command.teacher_id], command)
            if clash:
                refusal = overlapping(command.teacher_id, clash)
                refused[command_id] = Rejected(
                    command_id=command_id,
                    code=refusal.code,
                    message=refusal.message,
                    reason=refusal.reason,
                )
        return refused

    async def _update_calendars(
        self, envelopes: Sequence[CommandEnvelope], results: list[CommandResult], sender: Sender
    ) -> list[CommandResult]:
        changed = [
            (i, e, r)
            for i, (e, r) in enumerate(zip(envelopes, results, strict=True))
            if e.command_type in CHANGING_SPANS and isinstance(r, Accepted) and r.event_ids
        ]
        if not changed:
            return results
        streams = await self.store.load_streams(r.stream_id for _, _, r in changed)
        admitted = []
        for i, envelope, result in changed:
            stored = streams[result.stream_id]
            undone = _undone(stored, envelope) if envelope.command_type in LENGTHENING else None
            if undone:
                results[i] = undone
                continue
            post = POST.fold(map(payload_of, stored))
            for event in (payload_of(s) for s in stored if s.event_id in result.event_ids):
                calendar = _calendar_command(post, event)
                admitted.append(_Admitted(i, envelope, event, _caused_by(envelope, calendar)))
        answers = await super().handle([a.calendar for a in admitted], sender) if admitted else []
        for done, answer in zip(admitted, answers, strict=True):
            if isinstance(answer, Rejected):
                taken_back = await self._take_back(done, answer, sender)
                results[done.index] = taken_back or results[done.index]
        return results

    async def _take_back(
        self, done: _Admitted, refusal: Rejected, sender: Sender
    ) -> CommandResult | None:
        """Withdraw a lengthening the calendar refused, and answer with the refusal; a
        shortening the calendar missed (only under contention) stays accepted."""
        reason = f"{refusal.code}: {refusal.message}"[:500]
        said = _flat(refusal.reason)
        event = done.event
        undo: BaseModel
        if isinstance(event, MasterTeacherDispatched):
            undo = c.WithdrawMasterTeacherDispatch(
                **_address(event), reason=reason, reason_said=said
            )
        elif isinstance(event, MasterTeacherSupportExtended):
            undo = c.WithdrawMasterTeacherExtension(
                **_address(event),
                planned_end_term=event.previous_planned_end_term,
                reason=reason,
                reason_said=said,
            )
        else:
            log.warning("calendar_lags", code=refusal.code, reason=refusal.message)
            return None
        (withdrawn,) = await super().handle([_caused_by(done.envelope, undo)], sender)
        if isinstance(withdrawn, Accepted):
            taken_back = _withdrawn(refusal.code, _cause(refusal))
        else:
            taken_back = _not_withdrawn(refusal.code, _cause(refusal), _cause(withdrawn))
        return taken_back.rejected(done.envelope.command_id)

    async def _calendars(self, teacher_ids: Iterable[UUID]) -> dict[UUID, MasterTeacher]:
        ids = list(dict.fromkeys(teacher_ids))
        loaded = await self.store.load_streams(teacher_stream(t) for t in ids)
        return {t: TEACHER.fold(map(payload_of, loaded[teacher_stream(t)])) for t in ids}


def _own(envelopes: Sequence[CommandEnvelope]) -> Sender:
    """The service's own sender for in-process commands, as the processor takes it."""
    return Sender(envelopes[0].department if envelopes else "system", PROVINCE, "system")


def _undone(stored: list[RecordedEvent], envelope: CommandEnvelope) -> Rejected | None:
    """The answer a repeated command gets when its change was taken back the first time."""
    for event in stored:
        if event.event_type in WITHDRAWALS and event.metadata.get("causation_id") == str(
            envelope.command_id
        ):
            code, _, message = str(event.data["reason"]).partition(": ")
            said = event.data.get("reason_said")
            cause = spoken(Sentence.model_validate(said)) if said else message
            return _withdrawn(code, cause).rejected(envelope.command_id)
    return None


def _withdrawn(code: str, cause: object) -> Rejection:
    """The answer to a lengthening the post admitted and the calendar refused: the calendar's
    reason (a sentence, or the English text a withdrawal event keeps), then what was done."""
    return Rejection(
        code, "{cause}; the post had admitted the change, it was withdrawn", cause=cause
    )


def _not_withdrawn(code: str, cause: object, failure: object) -> Rejection:
    """The answer when withdrawing what the post admitted failed too (it shows in the audit
    trail and the reports until someone withdraws it)."""
    return Rejection(
        code,
        "{cause}; the post had admitted the change, withdrawing it failed: {failure}",
        cause=cause,
        failure=failure,
    )


def _flat(reason: Reason | None) -> Sentence | None:
    """A refusal's sentence as an event keeps it: none if a sentence is within (the event
    then keeps only its English text)."""
    if reason is None:
        return None
    try:
        return Sentence.model_validate(reason.model_dump())
    except ValidationError:
        return None


def _cause(refusal: Rejected) -> object:
    """A refusal as a value of another: its sentence, said in the reader's language."""
    return spoken(refusal.reason) if refusal.reason is not None else refusal.message


def _parsed(
    envelope: CommandEnvelope,
) -> c.DispatchMasterTeacher | c.ExtendMasterTeacherSupport | None:
    try:
        command = COMMAND_MODELS[envelope.command_type].model_validate(envelope.payload)
    except ValidationError:
        return None  # the processor answers it as invalid_command
    assert isinstance(command, c.DispatchMasterTeacher | c.ExtendMasterTeacherSupport)
    return command


def _calendar_command(post: SubjectPost, event: Any) -> BaseModel:
    """The calendar entry of the assignment a post event addresses, as the post sees it now."""
    address = _address(event)
    start: str = event.start_term
    same = [
        a
        for a in post.assignments
        if (a.teacher_id, a.start_term) == (address["teacher_id"], start)
    ]
    active = next((a for a in same if not a.withdrawn), None)
    if active is None:
        return c.CancelTeacherAssignment(**address, start_term=start)
    return c.RecordTeacherAssignment(**address, start_term=start, end_term=active.end_term)


def _address(event: BaseModel) -> dict[str, Any]:
    return {k: getattr(event, k) for k in ("county", "host_school", "subject", "teacher_id")}


def _caused_by(cause: CommandEnvelope, payload: BaseModel) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=uuid4(),
        command_type=type(payload).__name__,
        department=cause.department,
        correlation_id=cause.correlation_id,
        causation_id=cause.command_id,
        issued_at=datetime.now(UTC),
        payload=payload.model_dump(mode="json"),
    )
