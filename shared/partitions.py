"""Read models split by county across projection instances.

One projection process keeps every read model of the province; past what one process applies
(bench/), each instance takes a partition: a name and the county codes it owns. Its runners
read only those counties' subjects (a consumer with one filter per county, named
`reporting_<read model>_<partition>`), keep one checkpoint per partition and source, and hold
one advisory lock per read model and partition, so two instances of one partition are a hot
standby pair. Partitions write the same tables (rows are per county), so the province total
is the sum of what they applied and the reporting API reads it from any instance.

Every code that appears on the bus belongs in exactly one partition, the province's own code
(610000, province-wide streams) included: NATS filters name subjects, they cannot say "the
rest". A repeat across partitions is skipped by the per-stream versions every partition shares,
and an event whose predecessor is in another partition (a student moved between counties)
waits, parked, until that one is applied; if both commit at the same moment, neither sees the
other, and a partitioned runner's sweep (every few seconds) applies what was left parked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from contracts.subjects import event_subject

_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_COUNTY = re.compile(r"^\d{6}$")


class PartitionError(ValueError):
    """Partition settings that cannot work; says which."""


@dataclass(frozen=True)
class Partition:
    name: str
    counties: tuple[str, ...]

    def subjects(self, source: str, namespace: str = "") -> list[str]:
        """The consumer's filters: every event of the source in one of these counties."""
        return [event_subject(source, c, "*", "*", namespace) for c in self.counties]

    def key(self, source: str) -> str:
        """What the checkpoint and dead letters of this partition are kept under."""
        return f"{source}@{self.name}"


def partition_from(name: str, counties: str) -> Partition | None:
    """The partition of EDUPLAN_PROJECTION_PARTITION and EDUPLAN_PROJECTION_COUNTIES (comma
    separated); None when both are empty (one instance keeps every county)."""
    codes = tuple(dict.fromkeys(c.strip() for c in counties.split(",") if c.strip()))
    if not name and not codes:
        return None
    if not name or not codes:
        raise PartitionError(
            "EDUPLAN_PROJECTION_PARTITION and EDUPLAN_PROJECTION_COUNTIES go together"
        )
    if not _NAME.match(name):
        raise PartitionError(f"partition name {name!r}: 1-32 of a-z, 0-9, _")
    wrong = [c for c in codes if not _COUNTY.match(c)]
    if wrong:
        raise PartitionError(f"not a six-digit county code: {', '.join(wrong)}")
    return Partition(name, codes)
