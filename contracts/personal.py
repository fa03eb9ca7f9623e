"""Personal parts of events on the wire: sealed per person (AES-256-GCM), shreddable.

Every event type with a `personal` part gets one more version, made here, whose `personal`
is a `SealedPersonal`: the clear part, encrypted with the data key of the person (or record)
it concerns, named by `key_id`. Nothing else of the payload changes, so counts, amounts and
ids stay readable to everyone; the clear versions stay published (events recorded before
sealing) and their upcaster to the sealed version carries no personal part (there is no key
to seal it with), which `personal: null` says.

Services decide with the clear models and seal as they store (shared/personal_data.py);
a consumer with a granted key opens a sealed part with `shared.personal_data.open_part` —
it is AES-GCM over the clear part's JSON with the key id as associated data, so any AES-GCM
library can do it too. Once the person's key is erased, no copy can be opened again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from pydantic import Field, create_model

from contracts.specs import EventSpec, Upcaster
from contracts.types import Contract


class SealedPersonal(Contract):
    """A personal part encrypted with the data key of the person or record it concerns."""

    key_id: str = Field(
        pattern=r"^[a-z_]+:[0-9a-f-]{36}$",
        description="Data key it is sealed with: `<kind>:<uuid>`, e.g. student:<student_id>.",
    )
    nonce: str = Field(pattern=r"^[A-Za-z0-9+/]{16}$", description="AES-GCM nonce, base64.")
    ciphertext: str = Field(
        description="AES-256-GCM of the clear part's JSON (associated data: key_id), base64."
    )


@dataclass(frozen=True)
class Subject:
    """Whose data a personal part is: the key is `<kind>:<payload[id_field]>`."""

    kind: str
    id_field: str

    def key_id(self, payload: dict[str, Any]) -> str:
        return f"{self.kind}:{payload[self.id_field]}"


SUBJECTS: dict[str, Subject] = {
    # a student: erased with `eduplan privacy erase --student REGISTRY_ID`
    "StudentRegistered": Subject("student", "student_id"),
    "StudentDetailsRevised": Subject("student", "student_id"),
    # a teacher, trainee or graduate with an id of their own
    "MasterTeacherDispatched": Subject("teacher", "teacher_id"),
    "MenteeAssigned": Subject("person", "mentee_id"),
    "ShadowTrainingRecorded": Subject("person", "trainee_id"),
    "NormalGraduatePlaced": Subject("person", "graduate_id"),
    "TuitionFreeGraduateRecruited": Subject("person", "graduate_id"),
    # people named in a record (trainers, experts, two teachers, a manager): per record
    "TrainingOrderFulfilled": Subject("record", "order_id"),
    "ManagerSeconded": Subject("record", "secondment_id"),
    "ShadowingRecorded": Subject("record", "shadowing_id"),
    "TeacherPairingAgreed": Subject("record", "plan_id"),
    "ModelLessonGiven": Subject("record", "lesson_id"),
    "ResearchVisitPlanned": Subject("record", "visit_id"),
    "ResearchVisitHeld": Subject("record", "visit_id"),
    "QualityImprovementActivityRecorded": Subject("record", "activity_id"),
}
"""Event types with a personal part, and whose data key seals it."""

Derive = Callable[[dict[str, Any]], dict[str, Any]]
DERIVED: dict[str, tuple[dict[str, Any], Derive]] = {
    "ResearchVisitPlanned": (
        {"expert_count": (int, Field(ge=1, description="How many experts will come."))},
        lambda clear: {"expert_count": len(clear["personal"]["experts"])},
    ),
}
"""Fields a sealed version adds because a figure was only in the personal part (the count of
experts): a replay after an erasure must give the same figures."""


@dataclass(frozen=True)
class Sealing:
    """The clear and sealed versions of one event type."""

    event_type: str
    clear_version: int
    sealed_version: int
    subject: Subject
    clear_model: type[Contract]

    def sealed_payload(
        self, clear: dict[str, Any], sealed: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The sealed version's payload from the clear one, with `sealed` as its personal."""
        out = {**clear, "personal": sealed}
        if self.event_type in DERIVED:
            out |= DERIVED[self.event_type][1](clear)
        return out

    def clear_payload(
        self, sealed: dict[str, Any], personal: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The clear version's payload from a sealed one, with the opened personal part."""
        fields = self.clear_model.model_fields
        return {k: v for k, v in sealed.items() if k in fields} | {"personal": personal}


SEALINGS: dict[str, Sealing] = {}
"""Event type -> its sealing, filled by `with_sealed_versions`."""


def with_sealed_versions(
    events: tuple[EventSpec, ...], upcasters: dict[tuple[str, int], Upcaster]
) -> tuple[tuple[EventSpec, ...], dict[tuple[str, int], Upcaster]]:
    """`events` and `upcasters` with a sealed version after the last clear one of each event
    type with a subject; a version declared `sealed` after it (a new version of an event
    already sealed) is published sealed too, and its clear form is what services decide with.
    Upcasters between sealed versions leave `personal` alone."""
    latest: dict[str, EventSpec] = {}
    for spec in events:
        known = latest.get(spec.event_type)
        if (
            spec.event_type in SUBJECTS
            and not spec.sealed
            and (known is None or spec.version > known.version)
        ):
            latest[spec.event_type] = spec
    steps = dict(upcasters)
    out = [s for s in events if not s.sealed]
    for event_type, clear in latest.items():
        later = sorted(
            (s for s in events if s.event_type == event_type and s.sealed),
            key=lambda s: s.version,
        )
        newest = later[-1] if later else clear
        sealing = Sealing(
            event_type, clear.version, newest.version + (not later), SUBJECTS[event_type],
            newest.model,
        )  # fmt: skip
        SEALINGS[event_type] = sealing
        for form, version in ((clear, clear.version + 1), *((s, s.version) for s in later)):
            out.append(
                EventSpec(
                    clear.service, clear.stream_type, event_type, version, _sealed(form, version)
                )
            )
        steps[(event_type, clear.version)] = _upcaster(sealing)
    return tuple(out), steps


def _sealed(clear: EventSpec, version: int) -> Any:
    """The model of `clear` with its personal part sealed, published as `version`."""
    if "personal" not in clear.model.model_fields:
        raise ValueError(f"{clear.event_type} has no personal part to seal")
    extra = DERIVED.get(clear.event_type, ({}, None))[0]
    return create_model(
        f"{clear.model.__name__}Sealed",
        __base__=clear.model,
        __doc__=f"{clear.model.__doc__}\n\nVersion {version}: the personal part "
        "is sealed with the data key of whom it concerns; null for an event recorded in "
        "clear before (see contracts/personal.py).",
        personal=(
            SealedPersonal | None,
            Field(description="Personal part, sealed; erased with its key."),
        ),
        **extra,
    )


def _upcaster(sealing: Sealing) -> Upcaster:
    def to_sealed(payload: dict[str, Any]) -> dict[str, Any]:
        return sealing.sealed_payload(payload, None)

    to_sealed.__doc__ = "Recorded in clear before sealing: no personal part is carried over."
    return cast(Upcaster, to_sealed)
