"""The aid catalogue is data: the default standards load, and a county's own amounts win."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from contracts.types import GRADES, Stage
from services.assistance.catalogue import (
    DEFAULT_CATALOGUE,
    AidCatalogue,
    AidProgramme,
    CatalogueError,
    load_catalogue,
)

DEFAULT = load_catalogue()


def write_catalogue(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "aid_catalogue.toml"
    path.write_text(text, encoding="utf-8")
    return path


def by_id(catalogue: AidCatalogue) -> dict[str, object]:
    return {p.id: p for p in catalogue.programmes}


def test_the_default_catalogue_holds_the_standards_of_the_plan() -> None:
    assert DEFAULT_CATALOGUE.name == "aid_catalogue.toml"
    assert set(by_id(DEFAULT)) == {
        "preschool_grant",
        "preschool_fee_waiver",
        "boarding_living_allowance",
        "nutrition_meal_subsidy",
        "hs_national_grant",
        "hs_tuition_waiver",
        "vet_tuition_waiver",
        "vet_national_grant",
        "rain_dew_plan_subsidy",
        "univ_national_grant",
        "freshman_travel_grant",
    }
    assert len(DEFAULT.programmes) == len(by_id(DEFAULT)), "programme ids are unique"


def test_every_programme_names_real_stages_grades_and_payment() -> None:
    for p in DEFAULT.programmes:
        stages = set(p.amounts) | {s for table in p.county_amounts.values() for s in table}
        assert all(isinstance(s, Stage) for s in stages), p.id
        assert p.payment in ("half_per_term", "autumn_once"), p.id
        assert p.name, p.id
        for grade in p.grades or ():
            assert all(1 <= grade <= GRADES[s] for s in stages), p.id


def test_every_stage_of_the_one_stop_chain_has_some_aid() -> None:
    covered = {s for p in DEFAULT.programmes for s in p.amounts}

    assert covered == set(Stage)


def test_amounts_are_yuan_with_exactly_two_decimals() -> None:
    for p in DEFAULT.programmes:
        for stage, amount in p.amounts.items():
            assert isinstance(amount, Decimal)
            assert amount.as_tuple().exponent == -2, (p.id, stage, amount)
            assert amount > 0, (p.id, stage)


def test_the_default_yearly_amounts_are_the_2016_2017_standards() -> None:
    programmes = {p.id: p.amounts for p in DEFAULT.programmes}

    assert programmes["preschool_grant"] == {Stage.PRESCHOOL: Decimal("750.00")}
    assert programmes["preschool_fee_waiver"] == {}
    assert programmes["boarding_living_allowance"] == {
        Stage.PRIMARY: Decimal("1000.00"),
        Stage.JUNIOR: Decimal("1250.00"),
    }
    assert programmes["nutrition_meal_subsidy"] == {
        Stage.PRIMARY: Decimal("800.00"),
        Stage.JUNIOR: Decimal("800.00"),
    }
    assert programmes["freshman_travel_grant"] == {
        Stage.UNDERGRADUATE: Decimal("500.00"),
        Stage.JUNIOR_COLLEGE: Decimal("500.00"),
    }


COUNTY_CATALOGUE = """
[[programme]]
id = "preschool_grant"
name = "Preschool grant"
payment = "half_per_term"
amounts = { preschool = "750" }
county_amounts = { 610831 = { preschool = "900" } }

[[programme]]
id = "preschool_fee_waiver"
name = "Preschool fee waiver"
payment = "half_per_term"
amounts = {}
county_amounts = { 610831 = { preschool = "1200.5" } }
"""


def test_a_county_amount_wins_over_the_default(tmp_path: Path) -> None:
    catalogue = load_catalogue(write_catalogue(tmp_path, COUNTY_CATALOGUE))

    zizhou = catalogue.entitlements("610831", Stage.PRESCHOOL, 3, False, "2017-autumn")
    yuyang = catalogue.entitlements("610802", Stage.PRESCHOOL, 3, False, "2017-autumn")

    assert [(e.programme, str(e.amount), str(e.annual_amount)) for e in zizhou] == [
        ("preschool_grant", "450.00", "900.00"),
        ("preschool_fee_waiver", "600.25", "1200.50"),
    ]
    assert [(e.programme, str(e.amount), str(e.annual_amount)) for e in yuyang] == [
        ("preschool_grant", "375.00", "750.00"),
    ]


def test_amounts_written_without_cents_are_read_to_the_cent(tmp_path: Path) -> None:
    catalogue = load_catalogue(write_catalogue(tmp_path, COUNTY_CATALOGUE))

    grant = next(p for p in catalogue.programmes if p.id == "preschool_grant")

    assert str(grant.amounts[Stage.PRESCHOOL]) == "750.00"
    assert str(grant.county_amounts["610831"][Stage.PRESCHOOL]) == "900.00"


def test_a_file_that_is_not_toml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write_catalogue(tmp_path, '[[programme]]\nid = "preschool_grant" name\n')

    with pytest.raises(CatalogueError, match=r"not valid TOML.*line 2"):
        load_catalogue(path)


def test_a_programme_without_amounts_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = write_catalogue(
        tmp_path, '[[programme]]\nid = "preschool_grant"\nname = "P"\npayment = "half_per_term"\n'
    )

    with pytest.raises(CatalogueError, match=r"programme preschool_grant\.amounts: Field required"):
        load_catalogue(path)


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ('"-5.00"', "greater than or equal to 0"),
        ('"1.005"', "2 decimal places"),
        ('"abc"', "valid decimal"),
    ],
)
def test_a_bad_amount_is_refused_naming_the_programme(
    tmp_path: Path, amount: str, reason: str
) -> None:
    path = write_catalogue(
        tmp_path,
        f'[[programme]]\nid = "p"\nname = "P"\npayment = "half_per_term"\n'
        f"amounts = {{ primary = {amount} }}\n",
    )

    with pytest.raises(CatalogueError, match=rf"programme p\.amounts\.primary: .*{reason}"):
        load_catalogue(path)


def test_an_unknown_payment_or_a_grade_no_stage_has_is_refused(tmp_path: Path) -> None:
    monthly = write_catalogue(
        tmp_path,
        '[[programme]]\nid = "p"\nname = "P"\npayment = "monthly"\namounts = {}\n',
    )
    with pytest.raises(CatalogueError, match=r"programme p\.payment"):
        load_catalogue(monthly)
    grade_nine = write_catalogue(
        tmp_path,
        '[[programme]]\nid = "p"\nname = "P"\npayment = "half_per_term"\ngrades = [9]\n'
        'amounts = { primary = "100.00" }\n',
    )
    with pytest.raises(CatalogueError, match="grade 9 exists in none of the stages"):
        load_catalogue(grade_nine)


def test_an_odd_yearly_amount_is_split_without_losing_a_cent() -> None:

    odd = AidProgramme("p", "P", "half_per_term", {Stage.PRIMARY: Decimal("1000.01")})
    autumn = odd.entitlement("610831", Stage.PRIMARY, 1, False, "2017-autumn")
    spring = odd.entitlement("610831", Stage.PRIMARY, 1, False, "2018-spring")
    assert autumn is not None
    assert spring is not None
    assert (autumn.amount, spring.amount) == (Decimal("500.01"), Decimal("500.00"))


def test_an_unknown_stage_is_refused_naming_it(tmp_path: Path) -> None:
    path = write_catalogue(
        tmp_path,
        '[[programme]]\nid = "x"\nname = "X"\npayment = "half_per_term"\n'
        'amounts = { kindergarten = "750.00" }\n',
    )

    with pytest.raises(ValueError, match="kindergarten"):
        load_catalogue(path)
