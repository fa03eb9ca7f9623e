"""The detector: runs the rules, raises alerts for new gaps and resolves the closed ones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date

import asyncpg
import structlog

from contracts.alerts.commands import RaiseAlert, ResolveAlert
from contracts.assistance.types import PROVINCE
from contracts.subjects import Sender
from services.projection.alerts.rules import Gap, Rule
from services.projection.read_models.plan.judged_on import default_judged_on
from shared.commandbus import new_command
from shared.i18n import sentence
from shared.metrics import ALERT_SWEEPS
from shared.processor import CommandProcessor

log = structlog.get_logger()
SENDER = Sender("supervision_office", PROVINCE, "alert-detector")


@dataclass
class Sweep:
    open_gaps: int
    raised: int
    resolved: int
    skipped: bool = False  # the read models were behind their streams: judged next time


class Detector:
    def __init__(
        self,
        processor: CommandProcessor,
        reporting: asyncpg.Pool,
        rules: Sequence[Rule],
        schema: str = "reporting",
        settled: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        """`settled` tells whether the read models hold everything the work streams recorded
        (settled.py): a read model half way through a catch-up, or behind an outbox or a batch
        in progress, shows gaps that are not there (grants not yet projected), so the
        detector judges only settled read models."""
        self.processor = processor
        self.reporting = reporting
        self.rules = rules
        self.schema = schema
        self.settled = settled

    async def sweep(self, today: date) -> Sweep:
        """One pass: every rule, judged on the reporting date of the province (the same
        default as the reports: services/projection/read_models/plan/judged_on.py), then the
        differences with the alerts open now (raised and resolved `today`)."""
        if self.settled is not None and not await self.settled():
            ALERT_SWEEPS.labels("skipped").inc()
            return Sweep(0, 0, 0, skipped=True)
        ALERT_SWEEPS.labels("judged").inc()
        gaps: dict[str, Gap] = {}
        async with self.reporting.acquire() as conn:
            judged = await default_judged_on(conn, self.schema, None, today)
            for rule in self.rules:
                try:
                    found = await rule(conn, self.schema, judged)
                except asyncpg.UndefinedTableError:
                    continue  # that read model does not exist yet
                gaps |= {g.key: g for g in found}
        opened = await self.open_alerts()
        raises = [
            RaiseAlert(
                alert_key=g.key,
                kind=g.kind,
                task_id=g.task_id,
                county=g.county,
                subject=g.subject.render("en"),
                detail=g.detail.render("en"),
                raised_on=today,
                subject_said=sentence(g.subject.key, g.subject.values),
                detail_said=sentence(g.detail.key, g.detail.values),
            )
            for key, g in sorted(gaps.items())
            if key not in opened
        ]
        resolves = [
            ResolveAlert(alert_key=key, resolved_on=today, how="the gap is closed")
            for key in sorted(opened - gaps.keys())
        ]
        raised = await self._send(raises)
        resolved = await self._send(resolves)
        if raised or resolved:
            log.info("alerts_swept", open_gaps=len(gaps), raised=raised, resolved=resolved)
        return Sweep(len(gaps), raised, resolved)

    async def open_alerts(self) -> set[str]:
        store = self.processor.store
        rows = await store.pool.fetch(
            f"""SELECT stream_id FROM (
                    SELECT DISTINCT ON (stream_id) stream_id, event_type
                    FROM "{store.schema}".events WHERE stream_type = 'alert'
                    ORDER BY stream_id, version DESC) last
                WHERE event_type = 'AlertRaised'"""
        )
        return {r["stream_id"] for r in rows}

    async def _send(self, commands: Sequence[RaiseAlert | ResolveAlert]) -> int:
        changed = 0
        for start in range(0, len(commands), 500):
            batch = [
                new_command(c, department=SENDER.department) for c in commands[start : start + 500]
            ]
            results = await self.processor.handle(batch, SENDER)
            changed += sum(1 for r in results if r.status == "accepted" and r.event_ids)
        return changed
