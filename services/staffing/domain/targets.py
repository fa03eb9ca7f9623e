"""Looking up a county's targets inside a decision, refusing what they do not know."""

from __future__ import annotations

from contracts.staffing.types import CountyTargets, HostSchoolTarget
from services.staffing.targets import StaffingTargets
from shared.decider import Rejection


def county_targets(targets: StaffingTargets, county: str) -> CountyTargets:
    found = targets.get(county)
    if found is None:
        raise Rejection("unknown_county", f"county {county} has no staffing targets")
    return found


def host_school(targets: StaffingTargets, county: str, school: str) -> HostSchoolTarget:
    found = county_targets(targets, county).host_school(school)
    if found is None:
        known = ", ".join(s.id for s in county_targets(targets, county).host_schools)
        raise Rejection(
            "unknown_host_school", f"{school} is not a host school of {county} (known: {known})"
        )
    return found


def check_subject(targets: StaffingTargets, county: str, subject: str) -> None:
    subjects = county_targets(targets, county).subjects
    if subject not in subjects:
        raise Rejection(
            "unknown_subject",
            f"{subject} is not a subject of {county} (known: {', '.join(subjects)})",
        )
