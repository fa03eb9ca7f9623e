"""The plan's verdicts: each rule once, as plan progress, the cards and the alerts use it."""

from __future__ import annotations

from datetime import date

from services.projection.read_models.plan import rules as r


def stage(name: str, basic: bool, quality: bool | None = None) -> dict[str, object]:
    return {"stage": name, "year": 2017, "basic_balance_met": basic, "quality_balance_met": quality}


# Task 4.2: the balanced county needs both compulsory stages


def test_no_balance_assessment_is_not_a_balanced_county() -> None:
    assert r.assessments_status([], universal_met=True, titles=[]) == "on_track"


def test_one_stage_assessed_is_not_a_balanced_county() -> None:
    assert r.assessments_status([stage("primary", True)], True, []) == "on_track"


def test_both_stages_balanced_and_dual_high_dual_universal_is_done() -> None:
    both = [stage("primary", True), stage("junior", True)]
    assert r.assessments_status(both, True, []) == "done"
    assert r.assessments_status(both, False, []) == "on_track"


def test_the_awarded_titles_reach_the_goals() -> None:
    titles = ["basic_balanced_compulsory_education_county", "dual_high_dual_universal_county"]
    assert r.assessments_status([], None, titles) == "done"


def test_nothing_assessed_is_not_started() -> None:
    assert r.assessments_status([], None, []) == "not_started"


def test_a_stage_reads_with_basic_and_quality_balance_apart() -> None:
    """The task's text and the balance card say the same of quality balance."""
    assert r.stage_verdict(stage("primary", True, False)).render("en") == (
        "Primary 2017: basic balance met, quality balance not met"
    )
    assert r.stage_verdict(stage("primary", True, False)).render("zh") == (
        "小学 2017年：基本均衡达标，优质均衡未达标"
    )
    assert r.stage_verdict(stage("junior", False)).render("en") == (
        "Junior secondary 2017: basic balance not met"
    )


# Task 2.2: a season that has not ended is not missed


def test_a_season_not_yet_ended_is_pending_not_missing() -> None:
    assert r.season_status(True, 0, 2017, "spring", date(2017, 12, 31)) == "pending"
    assert r.season_status(True, 0, 2017, "autumn", date(2017, 12, 31)) == "pending"
    assert r.season_status(True, 0, 2017, "autumn", date(2018, 2, 1)) == "missing"
    assert r.season_status(True, 0, 2017, "spring", date(2018, 8, 1)) == "missing"
    assert r.season_status(True, 1, 2017, "spring", date(2018, 3, 1)) == "held"
    assert r.season_status(False, 0, 2017, "spring", date(2019, 1, 1)) == "not_due"


# Task 3.2 and 2.1: the status and the alert come from the same gap


def test_pairs_with_a_side_below_the_minimum_are_behind_not_on_track() -> None:
    assert r.secondments_status(active_pairs=7, sides_below=7) == "behind"
    assert r.secondments_status(active_pairs=7, sides_below=0) == "done"
    assert r.secondments_status(active_pairs=0, sides_below=0) == "not_started"


def test_a_post_below_its_minimum_lacks_a_master_teacher() -> None:
    assert r.post_lacking({"min": 1, "teachers": 0})
    assert r.post_lacking({"min": 2, "teachers": 1})
    assert not r.post_lacking({"min": 1, "teachers": 1})
    assert not r.post_lacking({"min": None, "teachers": 0})
