"""Audit search parameters: what they mean, what is refused (400), and figures as searches."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from contracts.registry import EVENTS
from services.projection.http import (
    EXCEPTION_HANDLERS,
    Download,
    Handler,
    HttpError,
    answer,
    query,
)
from services.projection.read_models import projections, routes
from services.projection.read_models.audit import ROUTES
from services.projection.read_models.audit.figures import FIGURES, figure_search
from services.projection.read_models.audit.search import (
    Cursor,
    ExportQuery,
    SearchQuery,
    where,
)
from shared.moments import CHINA

NO_POOL: Any = None  # the parameters are refused before the database is touched


def test_the_audit_routes_and_read_model_are_served() -> None:
    assert set(ROUTES) == {
        "/api/audit/events",
        "/api/audit/export.csv",
        "/api/audit/behind",
        "/api/audit/figures",
    }
    assert set(ROUTES) <= set(routes())
    (audit,) = [p for p in projections() if p.name == "audit"]
    assert audit.sources == ("assistance", "staffing", "pairing", "evaluation", "alerts")


def test_a_date_means_the_whole_day_in_china_standard_time() -> None:
    q = SearchQuery.model_validate({"since": "2017-09-01", "until": "2017-09-02"})

    assert q.since == datetime(2017, 9, 1, tzinfo=CHINA)
    assert q.until == datetime(2017, 9, 3, tzinfo=CHINA), "until a date: up to its very end"


def test_a_time_without_offset_is_china_standard_time_and_until_includes_it() -> None:
    q = SearchQuery.model_validate({"since": "2017-09-01T08:30", "until": "2017-09-01T10:00Z"})

    assert q.since == datetime(2017, 9, 1, 0, 30, tzinfo=UTC)
    assert q.until == datetime(2017, 9, 1, 10, tzinfo=UTC) + timedelta(microseconds=1)


def test_event_types_may_be_listed_comma_separated() -> None:
    q = SearchQuery.model_validate({"event_type": "AidGranted, AidPaid,,"})

    assert q.event_type == ["AidGranted", "AidPaid"]
    assert SearchQuery.model_validate({"event_type": ","}).event_type is None


def test_the_payload_filter_is_a_json_object() -> None:
    q = SearchQuery.model_validate({"payload": '{"term":"2017-autumn","stage":"primary"}'})

    assert q.payload == {"term": "2017-autumn", "stage": "primary"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2017-13-01"}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2017-09-01T25:00"}, "until"),
        ({"payload": "{term: 2017}"}, "payload"),
        ({"payload": '["term"]'}, "payload"),
        ({"county": "6108"}, "county"),
        ({"correlation_id": "not-a-uuid"}, "correlation_id"),
        ({"limit": "0"}, "limit"),
        ({"limit": "10001"}, "limit"),
        ({"after": "yesterday"}, "after"),
        ({"after": "12.assistance"}, "after"),
        ({"student": "x"}, "student"),
    ],
)
def test_bad_search_parameters_are_refused_naming_them(params: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        SearchQuery.model_validate(params)

    assert field in str(refused.value)


def test_an_export_takes_up_to_100000_rows_a_request() -> None:
    assert ExportQuery.model_validate({}).limit == 100_000
    with pytest.raises(ValidationError):
        ExportQuery.model_validate({"limit": "100001"})


def test_a_cursor_survives_its_trip_through_a_url() -> None:
    cursor = Cursor(datetime(2017, 9, 1, 8, 30, 0, 123456, tzinfo=UTC), "assistance", 42)

    assert str(cursor) == "1504254600123456.assistance.42"
    assert Cursor.parse(str(cursor)) == cursor
    assert SearchQuery.model_validate({"after": str(cursor)}).after == cursor


def test_filters_become_one_where_clause_with_numbered_arguments() -> None:
    q = SearchQuery.model_validate(
        {"actor": "li", "event_type": "AidGranted,AidPaid", "payload": '{"term":"2017-autumn"}'}
    )

    condition, args = where(q)

    assert condition == "actor = $1 AND event_type = ANY($2::text[]) AND payload @> $3::jsonb"
    assert args == ["li", ["AidGranted", "AidPaid"], '{"term":"2017-autumn"}']
    assert where(SearchQuery()) == ("TRUE", [])


def test_a_figure_is_a_search_by_event_type_county_and_payload() -> None:
    name, search = figure_search(
        {"figure": "aid-coverage", "term": "2017-autumn", "county": "610831", "stage": "primary"}
    )

    assert name == "aid-coverage"
    assert search == {
        "event_type": "AidGranted",
        "county": "610831",
        "payload": '{"term": "2017-autumn", "stage": "primary"}',
        "limit": "100",
    }
    _, dispatches = figure_search({"figure": "university-dispatches", "school_year": "2017"})
    assert json.loads(dispatches["payload"]) == {"school_year": 2017}, "typed as in the payload"
    _, missing = figure_search({"figure": "aid-missing", "term": "2017-autumn"})
    assert missing["payload_path"] == "$.entitled.size() == 0"


@pytest.mark.parametrize(
    ("params", "code", "words"),
    [
        ({"figure": "aid-happiness", "term": "2017-autumn"}, "unknown_figure", "aid-coverage"),
        ({"figure": "aid-coverage"}, "bad_request", "needs term"),
        ({"figure": "aid-coverage", "term": "2017-summer"}, "bad_request", "term: a term"),
        ({"figure": "aid-coverage", "term": "2017-autumn", "stage": "kindergarten"}, None, ""),
        ({"figure": "dropout-alerts", "term": "2017-autumn"}, "bad_request", "takes county"),
    ],
)
def test_bad_figures_and_their_parameters_are_refused(
    params: dict[str, str], code: str | None, words: str
) -> None:
    with pytest.raises(HttpError) as refused:
        figure_search(params)

    assert refused.value.status == 400
    assert code is None or refused.value.code == code
    assert words in str(refused.value)


def test_every_figure_names_real_events_and_parameters_every_one_of_them_carries() -> None:
    latest = {s.event_type: s.model for s in EVENTS}
    for name, figure in FIGURES.items():
        assert set(figure.required) <= set(figure.params), name
        assert figure.event_types, name
        for event_type in figure.event_types:
            fields = latest[event_type].model_fields
            missing = set(figure.params) - set(fields)
            assert not missing, f"{name}: {event_type} has no {missing}: it would never match"


@pytest.mark.parametrize(
    ("params", "payload"),
    [
        (
            {"figure": "balance", "year": "2017", "stage": "junior"},
            {"year": 2017, "stage": "junior"},
        ),
        ({"figure": "master-teachers", "subject": "mathematics"}, {"subject": "mathematics"}),
        ({"figure": "alerts", "kind": "missing_aid"}, {"kind": "missing_aid"}),
        ({"figure": "teacher-supply", "school_year": "2018"}, {"school_year": 2018}),
    ],
)
def test_figures_of_every_work_stream_are_searches_typed_as_their_payloads(
    params: dict[str, str], payload: dict[str, Any]
) -> None:
    _, search = figure_search(params)

    assert json.loads(search["payload"]) == payload
    assert set(search["event_type"].split(",")) == set(FIGURES[params["figure"]].event_types)


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"figure": "balance", "stage": "junior"}, "needs year"),
        ({"figure": "balance", "year": "2017", "stage": "senior"}, "stage:"),
        ({"figure": "alerts", "kind": "late_lunch"}, "kind:"),
        ({"figure": "master-teachers", "subject": "Maths!"}, "subject:"),
    ],
)
def test_bad_parameters_of_the_other_work_streams_are_refused(
    params: dict[str, str], words: str
) -> None:
    with pytest.raises(HttpError) as refused:
        figure_search(params)

    assert (refused.value.status, refused.value.code) == (400, "bad_request")
    assert words in str(refused.value)


def plain_app(handlers: dict[str, Handler]) -> Starlette:
    """The reporting API's plumbing (answers and errors) without its logins."""

    def endpoint(handler: Handler) -> Any:
        async def respond(request: Request) -> Response:
            return answer(await handler(query(request)))

        return respond

    routes = [Route(path, endpoint(h)) for path, h in handlers.items()]
    return Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS)


async def asgi_get(app: Starlette, path: str, query: str) -> tuple[int, dict[str, str], bytes]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get(f"{path}?{query}")
    return response.status_code, dict(response.headers), response.content


async def test_over_http_an_unknown_figure_is_a_400_and_a_download_is_an_attachment() -> None:
    async def behind(params: dict[str, str]) -> Any:
        return await ROUTES["/api/audit/behind"](NO_POOL, "reporting", params)

    async def csv(params: dict[str, str]) -> Any:
        return Download(
            b"a,b\r\n1,2\r\n", "text/csv; charset=utf-8", "x.csv", {"Eduplan-Rows": "1"}
        )

    app = plain_app({"/api/audit/behind": behind, "/x.csv": csv})

    status, _, body = await asgi_get(app, "/api/audit/behind", "figure=nope")
    assert status == 400
    assert json.loads(body)["error"] == "unknown_figure"
    status, _, body = await asgi_get(app, "/api/audit/behind", "term=2017-autumn")
    assert (status, json.loads(body)["error"]) == (400, "bad_request"), "no figure given"

    status, headers, body = await asgi_get(app, "/x.csv", "")
    assert (status, body) == (200, b"a,b\r\n1,2\r\n")
    assert headers["content-type"] == "text/csv; charset=utf-8"
    assert headers["content-disposition"] == 'attachment; filename="x.csv"'
    assert headers["eduplan-rows"] == "1"
    status, _, body = await asgi_get(app, "/nowhere", "")
    assert (status, json.loads(body)["error"]) == (404, "not_found")
