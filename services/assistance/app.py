"""Wiring of the assistance service: handlers, the catalogue in force, queries.

Nothing connects at import; `configure` runs once the platform has a pool and a broker.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from contracts.assistance.commands import LoadAidCatalogue
from contracts.assistance.queries import (
    ExportedEvent,
    ExportStudentData,
    ListStudentIds,
    ResolvedStudents,
    ResolveStudents,
    StudentDataExport,
    StudentIdPage,
)
from contracts.assistance.types import PROVINCE
from contracts.files.aid_catalogue import DEFAULT_EFFECTIVE_FROM, read_catalogue_file
from contracts.subjects import Sender
from services.assistance.domain.catalogue import CATALOGUE, CATALOGUE_STREAM, AidCatalogue
from services.assistance.domain.terms import school_year_on
from services.assistance.handlers import command_handlers, load_permissions, student_id
from shared.commandbus import add_command_endpoint, add_query_endpoint, new_command
from shared.eventstore import EventStore
from shared.personal_data import opened_stream
from shared.processor import CommandProcessor, payload_of
from shared.pseudonyms import load_pseudonyms
from shared.service import ServiceRuntime

SERVICE = "assistance"


class CatalogueInForce:
    """The catalogue stream folded in memory, reloaded when its version moves."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.version = -1
        self.catalogue = AidCatalogue()

    async def refresh(self) -> None:
        version = await self.store.stream_version(CATALOGUE_STREAM)
        if version != self.version:
            events = await self.store.load(CATALOGUE_STREAM)
            self.catalogue = CATALOGUE.fold(map(payload_of, events))
            self.version = version

    def __call__(self) -> AidCatalogue:
        return self.catalogue


def current_school_year() -> int:
    return school_year_on(datetime.now(UTC).date())


async def build_processor(store: EventStore) -> tuple[CommandProcessor, CatalogueInForce]:
    pseudonyms = await load_pseudonyms(store.pool, store.schema)
    catalogue = CatalogueInForce(store)
    handlers = command_handlers(catalogue, pseudonyms, current_school_year)
    processor = CommandProcessor(
        store, handlers, load_permissions(), reference={CATALOGUE.stream_type: catalogue.refresh}
    )
    return processor, catalogue


async def seed_catalogue(processor: CommandProcessor, catalogue: CatalogueInForce) -> None:
    """A new deployment starts with the default catalogue (DOMAIN.md's 2016-2017 standards)."""
    await catalogue.refresh()
    if catalogue.version == 0:
        command = LoadAidCatalogue(
            effective_from=DEFAULT_EFFECTIVE_FROM, programmes=read_catalogue_file()
        )
        system = Sender("finance", PROVINCE, SERVICE)
        await processor.handle([new_command(command, department="finance")], system)


async def export_student_data(processor: CommandProcessor, stream_id: str) -> StudentDataExport:
    """The student's stream, opened with their key: what a subject access request returns."""
    events = await opened_stream(
        processor.store.pool, processor.store.schema, await processor.personal_data(), stream_id
    )
    if not events:
        return StudentDataExport(student_id=None, erased=False, personal=None, events=[])
    erased = any(e.event_type == "PersonalDataErased" for e, _ in events)
    latest = [p["personal"] for _, p in events if p.get("personal")]
    return StudentDataExport(
        student_id=UUID(stream_id),
        county=events[-1][0].county,
        erased=erased,
        personal=None if erased or not latest else latest[-1],
        events=[
            ExportedEvent(
                event_id=e.event_id,
                event_type=e.event_type,
                schema_version=e.schema_version,
                version=e.version,
                recorded_at=e.recorded_at,
                actor=e.metadata["actor"],
                department=e.metadata["department"],
                payload=payload,
            )
            for e, payload in events
        ],
    )


async def configure(runtime: ServiceRuntime) -> None:
    store = runtime.store
    processor, catalogue = await build_processor(store)
    await seed_catalogue(processor, catalogue)
    pseudonyms = await load_pseudonyms(store.pool, store.schema)
    add_command_endpoint(runtime, processor)

    async def list_student_ids(query: ListStudentIds) -> StudentIdPage:
        ids = await store.stream_ids("student", query.county, query.after, query.limit)
        return StudentIdPage(student_ids=ids)

    async def resolve_students(query: ResolveStudents) -> ResolvedStudents:
        candidates = {r: student_id(pseudonyms, r) for r in query.registry_ids}
        known = await store.existing_streams(candidates.values())
        return ResolvedStudents(
            student_ids={r: s for r, s in candidates.items() if s in known}  # type: ignore[misc]
        )

    async def export_student(query: ExportStudentData) -> StudentDataExport:
        return await export_student_data(
            processor, student_id(pseudonyms, query.student_registry_id)
        )

    add_query_endpoint(runtime.broker, SERVICE, ListStudentIds, list_student_ids, runtime.namespace)
    add_query_endpoint(
        runtime.broker, SERVICE, ExportStudentData, export_student, runtime.namespace
    )
    add_query_endpoint(
        runtime.broker, SERVICE, ResolveStudents, resolve_students, runtime.namespace
    )
