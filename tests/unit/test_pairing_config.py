"""The data the pairing service runs on: the targets file, the county's adopted targets, and
the seed file of the pilot's 7 pairs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from contracts.files.pairing_seed import SeedError, load_seed
from contracts.pairing.commands import AdoptPairingTargets
from contracts.pairing.events import PairEstablished, PairingTargetsAdopted
from contracts.types import Stage
from services.pairing.domain.targets import PAIRING_TARGETS, adopt_targets
from services.pairing.targets import TargetsError, load_targets
from tests.support.pairing import refusal, when

PILOT = AdoptPairingTargets(county="610831", active_pairs=7)

PLAN_PAIRS = {
    ("zizhou_high_school", "子洲中学", Stage.HIGH_SCHOOL),
    ("zizhou_no2_middle_school", "子洲二中", Stage.JUNIOR),
    ("zizhou_experimental_middle_school", "实验中学", Stage.JUNIOR),
    ("zizhou_experimental_primary", "子洲实验小学", Stage.PRIMARY),
    ("dalihe_primary", "大理河小学", Stage.PRIMARY),
    ("zizhou_no1_kindergarten", "子洲第一幼儿园", Stage.PRESCHOOL),
    ("zizhou_no2_kindergarten", "子洲第二幼儿园", Stage.PRESCHOOL),
}
"""Plan task 3.1: the 7 helped schools and their stages."""
SPRING = date(2019, 2, 1)


# Targets


def test_the_pilot_adopts_the_plans_targets() -> None:
    assert when([], PILOT) == [
        PairingTargetsAdopted(
            county="610831",
            active_pairs=7,
            secondments_per_side_min=1,
            secondments_per_side_max=3,
            shadowing_months_min=Decimal("1.00"),
            shadowing_months_max=Decimal("2.00"),
        )
    ]


def test_adopting_unchanged_targets_again_records_nothing() -> None:
    assert when(when([], PILOT), PILOT) == []


def test_changed_targets_are_adopted_again_from_their_date() -> None:
    given = when([], PILOT)
    state = PAIRING_TARGETS.fold(given)
    revised = PILOT.model_copy(
        update={"active_pairs": 9, "shadowing_months_max": Decimal(3), "effective_from": SPRING}
    )

    (event,) = adopt_targets(state, revised, load_targets().defaults_only())

    assert isinstance(event, PairingTargetsAdopted)
    assert (event.active_pairs, event.shadowing_months_max) == (9, Decimal(3))
    assert event.effective_from == SPRING


def test_a_county_no_file_mentions_adopts_its_own_targets() -> None:
    (event,) = when([], AdoptPairingTargets(county="610827", active_pairs=3))

    assert (event.county, event.active_pairs, event.secondments_per_side_max) == ("610827", 3, 3)


def test_targets_without_a_pair_target_are_refused() -> None:
    refused = refusal([], AdoptPairingTargets(county="610802"))

    assert refused.code == "no_targets_for_county"
    assert "610802" in refused.message


DEFAULTS = """
[defaults]
secondments_per_side = { min = 1, max = 3 }
shadowing_months = { min = 1, max = 2 }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_county_may_override_the_default_ranges(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        DEFAULTS + "[counties.610802]\nactive_pairs = 3\n"
        "shadowing_months = { min = 0.5, max = 3 }\n",
    )

    own, other = (load_targets(path).for_county(c) for c in ("610802", "610831"))

    assert (own.active_pairs, own.shadowing_min, own.shadowing_max) == (
        3,
        Decimal("0.50"),
        Decimal("3.00"),
    )
    assert (other.active_pairs, other.shadowing_min, other.secondments_max) == (
        None,
        Decimal("1.00"),
        3,
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (DEFAULTS.replace("min = 1, max = 3", "min = 4, max = 3"), "min is above max"),
        (DEFAULTS + "[counties.6108]\nactive_pairs = 7\n", "counties.6108"),
        (DEFAULTS + "[counties.610831]\npairs = 7\n", "counties.610831.pairs"),
        ("[defaults\n", "not valid TOML"),
    ],
    ids=["range", "county code", "unknown key", "toml"],
)
def test_a_bad_targets_file_is_refused_as_a_whole(tmp_path: Path, text: str, reason: str) -> None:
    with pytest.raises(TargetsError, match=reason):
        load_targets(write(tmp_path, text))


# Seed


def test_the_pilot_seed_holds_the_plans_7_pairs() -> None:
    seed = load_seed()

    assert seed.county == "610831"
    assert {(p.helped_school_id, p.helped_school_name, p.stage) for p in seed.pairs} == PLAN_PAIRS
    assert len(seed.pairs) == 7
    assert len({p.helper_school_id for p in seed.pairs}) == 7


def test_the_pilots_unnamed_helpers_are_marked_as_placeholders() -> None:
    for pair in load_seed().pairs:
        assert pair.helper_school_id.startswith("placeholder_")
        assert "（待定）" in pair.helper_school_name


def test_every_seeded_pair_is_established_on_an_empty_school() -> None:
    for pair in load_seed().pairs:
        (event,) = when([], pair)
        assert isinstance(event, PairEstablished)
        assert event.pair_id == f"610831:{pair.helped_school_id}:{pair.stage.value}:1"


SEED_HEAD = 'county = "610831"\nstart_date = 2017-09-01\n'
SEED_PAIR = """
[[pair]]
stage = "{stage}"
helped_school_id = "dalihe_primary"
helped_school_name = "大理河小学"
helper_school_id = "xian_primary"
helper_school_name = "{helper_name}"
placeholder = {placeholder}
responsible_division = "basic_ed_1"
"""


def seed_file(tmp_path: Path, *pairs: dict[str, str]) -> Path:
    path = tmp_path / "seed.toml"
    defaults = {"stage": "primary", "helper_name": "西安小学", "placeholder": "false"}
    path.write_text(
        SEED_HEAD + "".join(SEED_PAIR.format(**{**defaults, **p}) for p in pairs),
        encoding="utf-8",
    )
    return path


def test_a_seed_file_of_named_schools_loads(tmp_path: Path) -> None:
    (pair,) = load_seed(seed_file(tmp_path, {})).pairs

    assert (pair.helper_school_name, pair.stage, str(pair.start_date)) == (
        "西安小学",
        Stage.PRIMARY,
        "2017-09-01",
    )


@pytest.mark.parametrize(
    ("pairs", "reason"),
    [
        ([{"stage": "vocational"}], r"pair 1 \(dalihe_primary\): stage: schools are paired"),
        ([{"placeholder": "true"}], "must contain 待定"),
        ([{}, {}], "more than one pair for dalihe_primary:primary"),
    ],
    ids=["stage", "placeholder", "duplicate"],
)
def test_a_bad_seed_file_is_refused_as_a_whole(
    tmp_path: Path, pairs: list[dict[str, str]], reason: str
) -> None:
    with pytest.raises(SeedError, match=reason):
        load_seed(seed_file(tmp_path, *pairs))
