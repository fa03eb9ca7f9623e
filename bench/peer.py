"""The peer library, `eventsourcing` (with psycopg), on the same PostgreSQL and the same
workload shapes, so each of our figures has a pair measured in the same run:

- one aggregate per transaction (a student registered: one event), one after another;
- batched appends (many aggregates saved in one call: one transaction);
- the log folded in memory (every event read back and reduced to counts per county);
- its exactly-once `ProjectionRunner` (tracking row and view row in one transaction).

It runs in a thread (the library is synchronous), in a database of its own."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import date
from functools import singledispatchmethod
from importlib.metadata import version
from typing import Any
from urllib.parse import urlparse
from uuid import UUID

from bench.common import Bench, say


async def measure(bench: Bench) -> dict[str, Any]:
    try:
        import eventsourcing  # noqa: F401, PLC0415
    except ImportError as exc:
        raise RuntimeError("the peer needs the bench extra: pip install -e '.[bench]'") from exc
    sizes = {
        "single": bench.sized(1000, 200),
        "batched": bench.sized(60_000, 4000),
        "runner": bench.sized(5000, 500),
    }
    async with bench.sandbox("peer") as box:
        say("peer: eventsourcing, one aggregate per transaction, batched, fold, runner ...")
        return await asyncio.to_thread(_measure, box.database_url, sizes)


def _environment(dsn: str) -> dict[str, str]:
    url = urlparse(dsn)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": url.path.lstrip("/"),
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": url.username or "postgres",
        "POSTGRES_PASSWORD": url.password or "",
        "POSTGRES_POOL_SIZE": "4",
        "CREATE_TABLE": "y",
    }


def _measure(dsn: str, sizes: dict[str, int]) -> dict[str, Any]:
    from eventsourcing.application import Application  # noqa: PLC0415
    from eventsourcing.domain import Aggregate, event  # noqa: PLC0415

    class Student(Aggregate):
        """A student as the peer would model it: registered, then granted aid."""

        @event("Registered")
        def __init__(self, county: str, school: str, stage: str, grade: int, boarding: bool,
                     registry_id: str, name: str, birth_date: str) -> None:  # fmt: skip
            self.county = county
            self.grants: list[str] = []

        @event("AidGranted")
        def grant(self, term: str, programme: str, amount: str) -> None:
            self.grants.append(programme)

    class Students(Application[UUID]):
        pass

    env = _environment(dsn)
    app = Students(env=env)

    def new_student(n: int) -> Student:
        return Student(
            county="610831", school="子洲县实验小学", stage="primary", grade=2, boarding=True,
            registry_id=f"G61083120100301{n:06d}", name="张小明",
            birth_date=date(2010, 3, 1).isoformat(),
        )  # fmt: skip

    out: dict[str, Any] = {"version": _version()}
    started = time.perf_counter()
    for n in range(sizes["single"]):
        app.save(new_student(n))
    out["one_per_tx_aggregates_per_s"] = sizes["single"] / (time.perf_counter() - started)

    batched = []
    for n in range(sizes["batched"] // 2):
        student = new_student(10_000_000 + n)
        student.grant("2017-autumn", "boarding_living_allowance", "625.00")
        batched.append(student)
    started = time.perf_counter()
    for start in range(0, len(batched), 1000):  # 2,000 events per transaction
        app.save(*batched[start : start + 1000])
    events = 2 * len(batched)
    out["batched_events_per_s"] = events / (time.perf_counter() - started)

    started = time.perf_counter()
    folded, counts = 0, Counter[str]()
    after = 0
    while True:
        notes = app.recorder.select_notifications(start=after + 1, limit=5000)
        if not notes:
            break
        for note in notes:
            domain_event = app.mapper.to_domain_event(note)
            if type(domain_event).__name__ == "Registered":
                counts[domain_event.county] += 1  # type: ignore[attr-defined]
            folded += 1
        after = notes[-1].id
    out["fold_events"] = folded
    out["fold_events_per_s"] = folded / (time.perf_counter() - started)
    out["runner_events"], out["runner_events_per_s"] = _runner(app, Students, env,
                                                               sizes["runner"])  # fmt: skip
    app.close()
    say(f"  peer: {out['one_per_tx_aggregates_per_s']:,.0f} aggregates/s one per transaction,"
        f" {out['batched_events_per_s']:,.0f} events/s batched, fold"
        f" {out['fold_events_per_s']:,.0f} events/s, runner {out['runner_events_per_s']:,.0f}"
        " events/s")  # fmt: skip
    return out


def _runner(
    app: Any, application_class: type, env: dict[str, str], limit: int
) -> tuple[int, float]:
    """The peer's exactly-once ProjectionRunner over the first `limit` events of the log: each
    event counted into a view table with its tracking row, one transaction per event."""
    from eventsourcing.persistence import Tracking  # noqa: PLC0415
    from eventsourcing.postgres import PostgresTrackingRecorder  # noqa: PLC0415
    from eventsourcing.projection import Projection, ProjectionRunner  # noqa: PLC0415
    from psycopg.sql import SQL  # noqa: PLC0415

    class CountyCounts(PostgresTrackingRecorder):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.sql_create_statements.append(
                SQL(
                    "CREATE TABLE IF NOT EXISTS peer_county_counts"
                    " (county text PRIMARY KEY, students int NOT NULL)"
                )
            )

        def count(self, county: str, tracking: Tracking) -> None:
            with self.datastore.transaction(commit=True) as curs:
                curs.execute(
                    "INSERT INTO peer_county_counts VALUES (%s, 1) ON CONFLICT (county)"
                    " DO UPDATE SET students = peer_county_counts.students + 1",
                    (county,),
                )
                self._insert_tracking(curs, tracking)

        def skip(self, tracking: Tracking) -> None:
            self.insert_tracking(tracking)

    class Counting(Projection[CountyCounts]):
        name = "countycounts"

        @singledispatchmethod
        def process_event(self, domain_event: Any, tracking: Tracking) -> None:
            county = getattr(domain_event, "county", None)
            if county is not None:
                self.view.count(county, tracking)
            else:
                self.view.skip(tracking)

    last = app.recorder.select_notifications(start=1, limit=limit)[-1].id
    started = time.perf_counter()
    with ProjectionRunner(
        application_class=application_class,
        projection_class=Counting,
        view_class=CountyCounts,
        env=env,
    ) as runner:
        runner.wait(last, timeout=300)
    return last, last / (time.perf_counter() - started)


def _version() -> str:
    return version("eventsourcing")
