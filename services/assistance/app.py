"""Wiring of the assistance service: its commands, its query, nothing connects at import."""

from __future__ import annotations

from contracts.assistance.queries import ListStudentIds, StudentIdPage
from services.assistance.catalogue import load_catalogue
from services.assistance.handlers import command_handlers, load_permissions
from shared.commandbus import add_command_endpoint, add_query_endpoint
from shared.processor import CommandProcessor
from shared.pseudonyms import load_pseudonyms
from shared.service import ServiceRuntime

SERVICE = "assistance"


async def configure(runtime: ServiceRuntime) -> None:
    pseudonyms = await load_pseudonyms(runtime.pool, runtime.store.schema)
    handlers = command_handlers(load_catalogue(), pseudonyms)
    processor = CommandProcessor(runtime.store, handlers, load_permissions())
    add_command_endpoint(runtime.broker, SERVICE, processor, runtime.namespace)

    async def list_student_ids(query: ListStudentIds) -> StudentIdPage:
        ids = await runtime.store.stream_ids("student", query.county, query.after, query.limit)
        return StudentIdPage(student_ids=ids)

    add_query_endpoint(runtime.broker, SERVICE, ListStudentIds, list_student_ids, runtime.namespace)
