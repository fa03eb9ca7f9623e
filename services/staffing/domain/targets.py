"""Looking up a county's targets inside a decision, refusing what they do not know."""

from __future__ import annotations

from contracts.staffing.types import CountyTargets, HostSchoolTarget
from services.staffing.targets import StaffingTargets
from shared.decider import Rejection
from shared.i18n import listing, named


def county_targets(targets: StaffingTargets, county: str) -> CountyTargets:
    found = targets.get(county)
    if found is None:
        raise Rejection(
            "unknown_county",
            "county {county} has no staffing targets",
            county=named("county", county),
        )
    return found


def host_school(targets: StaffingTargets, county: str, school: str) -> HostSchoolTarget:
    found = county_targets(targets, county).host_school(school)
    if found is None:
        known = listing(named("school", s.id) for s in county_targets(targets, county).host_schools)
        raise Rejection(
            "unknown_host_school",
            "{school} is not a host school of {county} (known: {known})",
            school=named("school", school),
            county=named("county", county),
            known=known,
        )
    return found


def check_subject(targets: StaffingTargets, county: str, subject: str) -> None:
    subjects = county_targets(targets, county).subjects
    if subject not in subjects:
        raise Rejection(
            "unknown_subject",
            "{subject} is not a subject of {county} (known: {subjects})",
            subject=named("subject", subject),
            county=named("county", county),
            subjects=listing(named("subject", s) for s in subjects),
        )
