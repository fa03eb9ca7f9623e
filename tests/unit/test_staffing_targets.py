"""The staffing targets: the pilot's figures as data, adopted as an event, checked when loaded."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from contracts.staffing.commands import AdoptStaffingTargets
from contracts.staffing.events import StaffingTargetsAdopted
from contracts.staffing.types import Range
from services.staffing.domain import plan
from services.staffing.targets import TargetsError, load_targets
from shared.decider import Rejection
from tests.support.staffing import COUNTY, PILOT, SUBJECTS, ZIZHOU_HIGH


def test_the_pilot_targets_are_the_plans_figures() -> None:
    zizhou = load_targets()[COUNTY]

    assert zizhou.subjects == list(SUBJECTS)
    assert [(s.id, s.name) for s in zizhou.host_schools] == [(ZIZHOU_HIGH, "子洲中学")]
    assert zizhou.host_schools[0].teachers_per_subject == Range(min=1, max=2)
    assert zizhou.new_master_teachers_per_year == Range(min=4, max=13)
    assert (zizhou.plan_start_term, zizhou.baseline_master_teachers) == ("2017-autumn", 5)
    assert zizhou.normal_graduates_per_year == 20
    assert sorted(zizhou.caravan_seasons) == ["autumn", "spring"]


def adoption(targets: object = None, county: str = COUNTY) -> AdoptStaffingTargets:
    return AdoptStaffingTargets(county=county, targets=targets or PILOT[COUNTY])


def test_adopting_records_the_commands_targets_once() -> None:
    then = plan.adopt(plan.PLAN.fold([]), adoption())

    assert then == [StaffingTargetsAdopted(county=COUNTY, targets=PILOT[COUNTY])]
    assert plan.adopt(plan.PLAN.fold(then), adoption()) == []
    assert plan.targets_stream(COUNTY) == "610831:targets"


def test_adopting_other_targets_records_a_revision_from_its_date() -> None:
    adopted = plan.PLAN.fold([StaffingTargetsAdopted(county=COUNTY, targets=PILOT[COUNTY])])
    changed = PILOT[COUNTY].model_copy(update={"normal_graduates_per_year": 25})
    command = adoption(changed).model_copy(update={"effective_from": date(2019, 9, 1)})

    (event,) = plan.adopt(adopted, command)

    assert isinstance(event, StaffingTargetsAdopted)
    assert event.targets.normal_graduates_per_year == 25
    assert event.effective_from == date(2019, 9, 1)


def test_a_county_no_file_mentions_adopts_its_own_targets() -> None:
    own = PILOT[COUNTY].model_copy(update={"name": "Mizhi County", "subjects": ["physics"]})

    (event,) = plan.adopt(plan.PLAN.fold([]), adoption(own, county="610827"))

    assert (event.county, event.targets.subjects) == ("610827", ["physics"])


def test_adopting_without_targets_is_refused() -> None:
    with pytest.raises(Rejection) as refused:
        plan.adopt(plan.PLAN.fold([]), AdoptStaffingTargets(county="610802"))

    assert refused.value.code == "targets_required"


TARGETS = """
[counties.610831]
name = "Zizhou County"
plan_start_term = "2017-autumn"
plan_end_term = "{end}"
baseline_master_teachers = 5
subjects = ["chinese", "{subject}"]
new_master_teachers_per_year = {{ min = {low}, max = 13 }}
caravan_seasons = ["spring", "autumn"]
normal_graduates_per_year = 20

[[counties.610831.host_schools]]
id = "zizhou_high_school"
name = "子洲中学"
teachers_per_subject = {{ min = 1, max = 2 }}
"""


def write(tmp_path: Path, **changes: object) -> Path:
    values: dict[str, object] = {"end": "2020-autumn", "subject": "mathematics", "low": 4}
    path = tmp_path / "targets.toml"
    path.write_text(TARGETS.format(**{**values, **changes}), encoding="utf-8")
    return path


def test_a_well_formed_file_loads(tmp_path: Path) -> None:
    assert load_targets(write(tmp_path))[COUNTY].subjects == ["chinese", "mathematics"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"end": "2016-autumn"}, "plan_end_term is before plan_start_term"),
        ({"subject": "chinese"}, "subjects repeat"),
        ({"subject": "Mathematics"}, "subjects.1"),
        ({"low": 14}, "min 14 is above max 13"),
    ],
    ids=["end_before_start", "repeated_subject", "bad_identifier", "min_above_max"],
)
def test_a_mistake_in_the_file_refuses_it_whole_and_says_where(
    tmp_path: Path, changes: dict[str, object], reason: str
) -> None:
    with pytest.raises(TargetsError) as refused:
        load_targets(write(tmp_path, **changes))

    assert reason in str(refused.value)


def test_a_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "targets.toml"
    path.write_text("[counties.610831\n", encoding="utf-8")

    with pytest.raises(TargetsError, match="not valid TOML"):
        load_targets(path)
