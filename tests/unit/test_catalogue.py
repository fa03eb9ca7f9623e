"""The aid catalogue is data: a file a department edits, loaded as events from a term on.

The file reader refuses a file as a whole, naming the programme and the field; the catalogue
aggregate records only what a load changes, and answers which definitions are in force for
a term; a yearly amount is split between the terms to the cent.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from contracts.assistance.commands import LoadAidCatalogue, ProgrammeDefinition
from contracts.assistance.events import AidProgrammeSet, AidProgrammeWithdrawn
from contracts.assistance.types import PROVINCE, Payment
from contracts.files.aid_catalogue import (
    DEFAULT_CATALOGUE,
    DEFAULT_EFFECTIVE_FROM,
    CatalogueError,
    read_catalogue_file,
)
from contracts.types import GRADES, Stage
from services.assistance.catalogue import load_catalogue
from services.assistance.domain.catalogue import (
    CATALOGUE,
    AidCatalogue,
    Entitlement,
    entitlement,
    load,
)

DEFAULT_FILE = read_catalogue_file()
DEFAULT = load_catalogue()


def write_catalogue(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "aid_catalogue.toml"
    path.write_text(text, encoding="utf-8")
    return path


def programme(programme_id: str = "p", **fields: Any) -> ProgrammeDefinition:
    values: dict[str, Any] = {
        "programme": programme_id,
        "name": programme_id.upper(),
        "payment": Payment.HALF_PER_TERM,
        "amounts": {Stage.PRIMARY: Decimal("100.00")},
    }
    return ProgrammeDefinition.model_validate({**values, **fields})


def by_id(definitions: list[ProgrammeDefinition]) -> dict[str, ProgrammeDefinition]:
    return {p.programme: p for p in definitions}


def loading(
    given: list[BaseModel], effective_from: str, *programmes: ProgrammeDefinition
) -> list[BaseModel]:
    """What loading these programmes from the term records on the catalogue of `given`."""
    command = LoadAidCatalogue(effective_from=effective_from, programmes=list(programmes))
    return load(CATALOGUE.fold(given), command)


# The default file ------------------------------------------------------------------------------


def test_the_default_catalogue_holds_the_standards_of_the_plan() -> None:
    assert DEFAULT_CATALOGUE.name == "aid_catalogue.toml"
    assert DEFAULT_EFFECTIVE_FROM == "2016-autumn"
    assert [p.programme for p in DEFAULT_FILE] == [
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
        "univ_provincial_poor_grant",
    ]
    assert [p.programme for p in DEFAULT.in_force("2017-autumn")] == sorted(by_id(DEFAULT_FILE))


def test_every_programme_names_real_stages_grades_and_payment() -> None:
    for p in DEFAULT_FILE:
        stages = set(p.amounts) | {s for table in p.county_amounts.values() for s in table}
        assert all(isinstance(s, Stage) for s in stages), p.programme
        assert isinstance(p.payment, Payment), p.programme
        assert p.name, p.programme
        for grade in p.grades or ():
            assert all(1 <= grade <= GRADES[s] for s in stages), p.programme


def test_every_stage_of_the_one_stop_chain_has_some_aid() -> None:
    covered = {s for p in DEFAULT_FILE for s in p.amounts}

    assert covered == set(Stage)


def test_default_amounts_are_yuan_with_exactly_two_decimals() -> None:
    for p in DEFAULT_FILE:
        for stage, amount in p.amounts.items():
            assert isinstance(amount, Decimal)
            assert amount.as_tuple().exponent == -2, (p.programme, stage, amount)
            assert amount > 0 or p.category_amounts, (p.programme, stage)


def test_the_default_yearly_amounts_are_the_2016_2017_standards() -> None:
    amounts = {p.programme: p.amounts for p in DEFAULT_FILE}

    assert amounts["preschool_grant"] == {Stage.PRESCHOOL: Decimal("750.00")}
    assert amounts["preschool_fee_waiver"] == {}
    assert amounts["boarding_living_allowance"] == {
        Stage.PRIMARY: Decimal("1000.00"),
        Stage.JUNIOR: Decimal("1250.00"),
    }
    assert amounts["nutrition_meal_subsidy"] == {
        Stage.PRIMARY: Decimal("800.00"),
        Stage.JUNIOR: Decimal("800.00"),
    }
    assert amounts["hs_national_grant"] == {Stage.HIGH_SCHOOL: Decimal("2500.00")}
    assert amounts["vet_tuition_waiver"] == {Stage.VOCATIONAL: Decimal("2000.00")}
    assert amounts["rain_dew_plan_subsidy"] == {Stage.VOCATIONAL: Decimal("3000.00")}
    assert amounts["univ_national_grant"] == {
        Stage.UNDERGRADUATE: Decimal("3000.00"),
        Stage.JUNIOR_COLLEGE: Decimal("3000.00"),
    }
    assert amounts["freshman_travel_grant"] == {
        Stage.UNDERGRADUATE: Decimal("500.00"),
        Stage.JUNIOR_COLLEGE: Decimal("500.00"),
    }


def test_only_boarders_get_the_boarding_allowance_and_only_freshmen_the_travel_grant() -> None:
    defaults = by_id(DEFAULT_FILE)

    assert [p for p, d in defaults.items() if d.boarding_only] == ["boarding_living_allowance"]
    assert {p: d.grades for p, d in defaults.items() if d.grades} == {"freshman_travel_grant": [1]}
    assert [p for p, d in defaults.items() if d.payment == Payment.AUTUMN_ONCE] == [
        "freshman_travel_grant"
    ]


# A county's own amounts ------------------------------------------------------------------------

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
        ("preschool_fee_waiver", "600.25", "1200.50"),
        ("preschool_grant", "450.00", "900.00"),
    ]
    assert [(e.programme, str(e.amount), str(e.annual_amount)) for e in yuyang] == [
        ("preschool_grant", "375.00", "750.00"),
    ]


def test_amounts_written_without_cents_are_granted_to_the_cent(tmp_path: Path) -> None:
    catalogue = load_catalogue(write_catalogue(tmp_path, COUNTY_CATALOGUE))

    (spring,) = catalogue.entitlements("610802", Stage.PRESCHOOL, 1, False, "2018-spring")

    assert (str(spring.amount), str(spring.annual_amount)) == ("375.00", "750.00")


# A file that cannot be used --------------------------------------------------------------------


def test_a_file_that_is_not_toml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write_catalogue(tmp_path, '[[programme]]\nid = "preschool_grant" name\n')

    with pytest.raises(CatalogueError, match=r"not valid TOML.*line 2"):
        read_catalogue_file(path)


@pytest.mark.parametrize("text", ["", "programme = 3\n", 'title = "aid"\n'])
def test_a_file_without_programmes_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(CatalogueError, match=r"no \[\[programme\]\] table"):
        read_catalogue_file(write_catalogue(tmp_path, text))


def test_a_programme_without_amounts_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = write_catalogue(
        tmp_path, '[[programme]]\nid = "preschool_grant"\nname = "P"\npayment = "half_per_term"\n'
    )

    with pytest.raises(CatalogueError, match=r"programme preschool_grant: amounts: Field required"):
        read_catalogue_file(path)


def test_a_programme_without_an_id_is_named_by_its_place_in_the_file(tmp_path: Path) -> None:
    path = write_catalogue(
        tmp_path,
        '[[programme]]\nid = "p"\nname = "P"\npayment = "half_per_term"\namounts = {}\n'
        '[[programme]]\nname = "Q"\npayment = "half_per_term"\namounts = {}\n',
    )

    with pytest.raises(CatalogueError, match=r"programme #2: .*Field required"):
        read_catalogue_file(path)


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ('"-5.00"', "greater than or equal to 0"),
        ('"1.005"', "2 decimal places"),
        ('"abc"', "valid decimal"),
    ],
)
def test_a_bad_amount_is_refused_naming_the_programme_and_field(
    tmp_path: Path, amount: str, reason: str
) -> None:
    path = write_catalogue(
        tmp_path,
        f'[[programme]]\nid = "p"\nname = "P"\npayment = "half_per_term"\n'
        f"amounts = {{ primary = {amount} }}\n",
    )

    with pytest.raises(CatalogueError, match=rf"programme p: amounts\.primary: .*{reason}"):
        read_catalogue_file(path)


def test_an_unknown_payment_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = write_catalogue(
        tmp_path, '[[programme]]\nid = "p"\nname = "P"\npayment = "monthly"\namounts = {}\n'
    )

    with pytest.raises(CatalogueError, match=r"programme p: payment: .*half_per_term"):
        read_catalogue_file(path)


def test_a_grade_no_stage_of_the_programme_has_is_refused(tmp_path: Path) -> None:
    path = write_catalogue(
        tmp_path,
        '[[programme]]\nid = "p"\nname = "P"\npayment = "half_per_term"\ngrades = [9]\n'
        'amounts = { primary = "100.00" }\n',
    )

    with pytest.raises(
        CatalogueError, match=r"programme p: grade 9 exists in none of its stages \(primary\)"
    ):
        read_catalogue_file(path)


def test_an_unknown_stage_is_refused_naming_it(tmp_path: Path) -> None:
    path = write_catalogue(
        tmp_path,
        '[[programme]]\nid = "x"\nname = "X"\npayment = "half_per_term"\n'
        'amounts = { kindergarten = "750.00" }\n',
    )

    with pytest.raises(CatalogueError, match=r"programme x: amounts\.kindergarten"):
        read_catalogue_file(path)


def test_a_county_code_that_is_not_six_digits_is_refused(tmp_path: Path) -> None:
    path = write_catalogue(
        tmp_path,
        '[[programme]]\nid = "x"\nname = "X"\npayment = "half_per_term"\namounts = {}\n'
        'county_amounts = { 6108 = { preschool = "1.00" } }\n',
    )

    with pytest.raises(CatalogueError, match=r"programme x: county_amounts\.6108"):
        read_catalogue_file(path)


def test_an_unknown_field_is_refused_naming_it(tmp_path: Path) -> None:
    path = write_catalogue(
        tmp_path,
        '[[programme]]\nid = "x"\nname = "X"\npayment = "half_per_term"\namounts = {}\n'
        "boarding = true\n",
    )

    with pytest.raises(CatalogueError, match=r"programme x: boarding: Extra inputs"):
        read_catalogue_file(path)


def test_a_programme_listed_twice_refuses_the_file(tmp_path: Path) -> None:
    table = '[[programme]]\nid = "p"\nname = "P"\npayment = "half_per_term"\namounts = {}\n'
    path = write_catalogue(tmp_path, table * 2)

    with pytest.raises(CatalogueError, match="programmes listed twice: p"):
        read_catalogue_file(path)


# Programme definitions (the contract) ----------------------------------------------------------


def test_grades_of_any_of_its_stages_are_allowed() -> None:
    both = programme(amounts={Stage.PRIMARY: "1.00", Stage.JUNIOR: "1.00"}, grades=[1, 6])
    county_only = programme(
        amounts={}, county_amounts={"610831": {Stage.PRESCHOOL: "1.00"}}, grades=[3]
    )

    assert both.grades == [1, 6]
    assert county_only.grades == [3]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"amounts": {Stage.JUNIOR: "1.00"}, "grades": [4]},
            "grade 4 exists in none of its stages (junior)",
        ),
        ({"grades": [0]}, "grade 0 exists in none of its stages (primary)"),
        ({"amounts": {}, "grades": [1]}, "grade 1 exists in none of its stages (no stage)"),
        (
            {"amounts": {Stage.JUNIOR: "1.00", Stage.HIGH_SCHOOL: "1.00"}, "grades": [1, 5]},
            "grade 5 exists in none of its stages (high_school, junior)",
        ),
    ],
)
def test_a_grade_that_exists_in_none_of_its_stages_is_refused(
    fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError) as refusal:
        programme(**fields)

    assert message in str(refusal.value)


@pytest.mark.parametrize(
    "fields",
    [
        {"programme": "Preschool-Grant"},
        {"name": ""},
        {"payment": "monthly"},
        {"amounts": {Stage.PRIMARY: "-1.00"}},
        {"amounts": {Stage.PRIMARY: "1.001"}},
        {"county_amounts": {"61083": {Stage.PRIMARY: "1.00"}}},
    ],
    ids=lambda fields: next(iter(fields)),
)
def test_a_programme_definition_checks_its_fields(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as refusal:
        programme(**fields)

    assert next(iter(fields)) in str(refusal.value)


def test_a_catalogue_load_names_each_programme_once_and_at_least_one() -> None:
    with pytest.raises(ValidationError, match="programmes listed twice: p"):
        LoadAidCatalogue(effective_from="2017-autumn", programmes=[programme(), programme()])
    with pytest.raises(ValidationError, match="programmes"):
        LoadAidCatalogue(effective_from="2017-autumn", programmes=[])
    with pytest.raises(ValidationError, match="effective_from"):
        LoadAidCatalogue(effective_from="2017-winter", programmes=[programme()])


# The catalogue aggregate -----------------------------------------------------------------------


def test_the_first_load_sets_every_programme_from_its_term() -> None:
    then = loading([], "2016-autumn", *DEFAULT_FILE)

    assert then == [
        AidProgrammeSet(effective_from="2016-autumn", definition=p) for p in DEFAULT_FILE
    ]


def test_loading_the_same_file_again_records_nothing() -> None:
    given = loading([], "2016-autumn", *DEFAULT_FILE)

    assert loading(given, "2016-autumn", *DEFAULT_FILE) == []
    assert loading(given, "2018-autumn", *DEFAULT_FILE) == [], "nothing differs later either"


def test_a_load_records_only_the_programmes_that_changed() -> None:
    given = loading([], "2016-autumn", programme("a"), programme("b"))
    dearer_b = programme("b", amounts={Stage.PRIMARY: "150.00"})

    then = loading(given, "2018-autumn", programme("a"), dearer_b)

    assert then == [AidProgrammeSet(effective_from="2018-autumn", definition=dearer_b)]


def test_an_amount_written_differently_but_equal_is_no_change() -> None:
    given = loading([], "2016-autumn", programme("a", amounts={Stage.PRIMARY: "100"}))

    assert loading(given, "2018-autumn", programme("a", amounts={Stage.PRIMARY: "100.00"})) == []


def test_a_programme_left_out_of_a_load_is_withdrawn_from_its_term() -> None:
    given = loading([], "2016-autumn", programme("a"), programme("c"), programme("b"))

    then = loading(given, "2018-autumn", programme("a"))

    assert then == [
        AidProgrammeWithdrawn(effective_from="2018-autumn", programme="b"),
        AidProgrammeWithdrawn(effective_from="2018-autumn", programme="c"),
    ]


def test_a_withdrawn_programme_listed_again_is_set_again() -> None:
    given = loading([], "2016-autumn", programme("a"), programme("b"))
    given += loading(given, "2017-autumn", programme("a"))

    then = loading(given, "2018-autumn", programme("a"), programme("b"))

    assert then == [AidProgrammeSet(effective_from="2018-autumn", definition=programme("b"))]


def test_the_definitions_in_force_follow_the_term_they_apply_from() -> None:
    dearer = programme("a", amounts={Stage.PRIMARY: "150.00"})
    given = loading([], "2016-autumn", programme("a"), programme("b"))
    given += loading(given, "2018-autumn", dearer, programme("b"))
    given += loading(given, "2019-spring", dearer)

    catalogue = CATALOGUE.fold(given)

    assert catalogue.in_force("2016-spring") == []
    assert catalogue.in_force("2016-autumn") == [programme("a"), programme("b")]
    assert catalogue.in_force("2018-spring") == [programme("a"), programme("b")]
    assert catalogue.in_force("2018-autumn") == [dearer, programme("b")]
    assert catalogue.in_force("2019-spring") == [dearer]
    assert catalogue.in_force("2025-autumn") == [dearer]


def test_a_later_load_from_the_same_term_replaces_the_earlier_one() -> None:
    given = loading([], "2016-autumn", programme("a"))
    given += loading(given, "2018-autumn", programme("a", amounts={Stage.PRIMARY: "150.00"}))
    given += loading(given, "2018-autumn", programme("a", amounts={Stage.PRIMARY: "120.00"}))

    catalogue = CATALOGUE.fold(given)

    assert catalogue.in_force("2018-autumn")[0].amounts == {Stage.PRIMARY: Decimal("120.00")}
    assert [term for term, _ in catalogue.versions["a"]] == ["2016-autumn", "2018-autumn"]


def test_a_load_from_a_term_between_versions_changes_only_until_the_next_one() -> None:
    given = loading([], "2016-autumn", programme("a"))
    given += loading(given, "2019-autumn", programme("a", amounts={Stage.PRIMARY: "300.00"}))
    given += loading(given, "2017-autumn", programme("a", amounts={Stage.PRIMARY: "200.00"}))

    catalogue = CATALOGUE.fold(given)

    assert [
        str(catalogue.in_force(t)[0].amounts[Stage.PRIMARY])
        for t in (
            "2017-spring",
            "2017-autumn",
            "2019-spring",
            "2019-autumn",
        )
    ] == ["100.00", "200.00", "200.00", "300.00"]


def test_the_catalogue_is_the_provinces() -> None:
    assert CATALOGUE.county(AidCatalogue()) == PROVINCE == "610000"
    assert AidCatalogue().in_force("2017-autumn") == []


def test_the_default_catalogue_is_the_file_loaded_from_its_default_term() -> None:
    assert CATALOGUE.fold(loading([], "2016-autumn", *DEFAULT_FILE)) == DEFAULT
    assert load_catalogue(effective_from="2018-autumn").in_force("2018-spring") == []


# What a programme gives for a term -------------------------------------------------------------


def term_amounts(yearly: str) -> tuple[str, str]:
    p = programme(amounts={Stage.PRIMARY: yearly})
    autumn = entitlement(p, "610831", Stage.PRIMARY, 1, False, "2017-autumn")
    spring = entitlement(p, "610831", Stage.PRIMARY, 1, False, "2018-spring")
    assert autumn is not None
    assert spring is not None
    assert autumn.annual_amount == spring.annual_amount == Decimal(yearly)
    return str(autumn.amount), str(spring.amount)


@pytest.mark.parametrize(
    ("yearly", "autumn", "spring"),
    [
        ("1000.00", "500.00", "500.00"),
        ("1000.01", "500.01", "500.00"),
        ("1000.03", "500.02", "500.01"),
        ("1200.50", "600.25", "600.25"),
        ("0.01", "0.01", "0.00"),
        ("999.99", "500.00", "499.99"),
    ],
)
def test_an_odd_yearly_amount_is_split_autumn_half_up_and_spring_the_rest(
    yearly: str, autumn: str, spring: str
) -> None:
    assert term_amounts(yearly) == (autumn, spring)
    assert Decimal(autumn) + Decimal(spring) == Decimal(yearly)


def test_an_autumn_once_programme_gives_the_whole_amount_in_autumn_once_in_a_life() -> None:
    travel = programme(payment=Payment.AUTUMN_ONCE, amounts={Stage.UNDERGRADUATE: "500"})

    autumn = entitlement(travel, "610831", Stage.UNDERGRADUATE, 1, False, "2017-autumn")
    spring = entitlement(travel, "610831", Stage.UNDERGRADUATE, 1, False, "2018-spring")

    assert autumn == Entitlement("p", Decimal("500.00"), Decimal("500.00"), once=True)
    assert spring is None


def test_a_programme_gives_nothing_outside_its_stages_grades_or_boarding() -> None:
    meals = programme(amounts={Stage.PRIMARY: "800.00"}, grades=[1, 2], boarding_only=True)

    def gives(stage: Stage, grade: int, boarding: bool) -> bool:
        return entitlement(meals, "610831", stage, grade, boarding, "2017-autumn") is not None

    assert gives(Stage.PRIMARY, 2, True)
    assert not gives(Stage.JUNIOR, 2, True)
    assert not gives(Stage.PRIMARY, 3, True)
    assert not gives(Stage.PRIMARY, 2, False)


def test_a_county_amount_applies_to_its_county_and_stage_only() -> None:
    fee = programme(
        amounts={Stage.PRIMARY: "100.00"},
        county_amounts={"610831": {Stage.PRESCHOOL: "600.00"}},
    )

    def yearly(county: str, stage: Stage) -> str | None:
        found = entitlement(fee, county, stage, 1, False, "2017-autumn")
        return None if found is None else str(found.annual_amount)

    assert yearly("610831", Stage.PRESCHOOL) == "600.00"
    assert yearly("610831", Stage.PRIMARY) == "100.00"
    assert yearly("610802", Stage.PRESCHOOL) is None
    assert yearly("610802", Stage.PRIMARY) == "100.00"


def test_entitlements_of_the_default_catalogue_come_in_programme_order() -> None:
    found = DEFAULT.entitlements("610831", Stage.VOCATIONAL, 2, False, "2017-autumn")

    assert [e.programme for e in found] == [
        "rain_dew_plan_subsidy",
        "vet_national_grant",
        "vet_tuition_waiver",
    ]


# What the catalogue must express (DOMAIN.md, "Aid standards") ---------------------------------


def pay(p: ProgrammeDefinition, stage: Stage, grade: int, category: str | None) -> Decimal | None:
    """The yearly amount a student of this school category is entitled to, if any."""
    found = entitlement(p, "610831", stage, grade, True, "2017-autumn", category)
    return found.annual_amount if found else None


def test_the_high_school_tuition_waiver_goes_by_the_schools_grade() -> None:
    waiver = by_id(DEFAULT_FILE)["hs_tuition_waiver"]

    assert [
        pay(waiver, Stage.HIGH_SCHOOL, 1, c) for c in ("provincial", "city", "rural", None)
    ] == [Decimal("800.00"), Decimal("350.00"), Decimal("200.00"), Decimal("350.00")]


def test_the_travel_grant_is_1000_out_of_the_province_and_500_in_it() -> None:
    travel = by_id(DEFAULT_FILE)["freshman_travel_grant"]

    assert pay(travel, Stage.UNDERGRADUATE, 1, "out_of_province") == Decimal("1000.00")
    assert pay(travel, Stage.JUNIOR_COLLEGE, 1, "in_province") == Decimal("500.00")


def test_registered_poor_students_at_provincial_universities_get_3500() -> None:
    grant = by_id(DEFAULT_FILE)["univ_provincial_poor_grant"]

    assert pay(grant, Stage.UNDERGRADUATE, 2, "in_province") == Decimal("3500.00")
    assert pay(grant, Stage.UNDERGRADUATE, 2, "out_of_province") is None
    assert pay(grant, Stage.HIGH_SCHOOL, 2, "in_province") is None


def test_the_preschool_grants_final_year_rule_is_a_setting() -> None:
    every_year = by_id(DEFAULT_FILE)["preschool_grant"]
    final_year = every_year.model_copy(update={"final_year_only": True})

    assert not every_year.final_year_only
    assert pay(every_year, Stage.PRESCHOOL, 1, None) == Decimal("750.00")
    assert pay(final_year, Stage.PRESCHOOL, 1, None) is None
    assert pay(final_year, Stage.PRESCHOOL, 3, None) == Decimal("750.00")
