"""`eduplan projection ...`: operate the read models (status, rebuild, dead letters)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Annotated, Any

import typer

from services.cli.common import JsonOption, console, err, fetch, progress, show
from services.cli.output import View, labelled

app = typer.Typer(
    help="Operate the read models: status, rebuild, dead letters.", no_args_is_help=True
)


def _state(state: Mapping[str, Any] | None) -> str:
    if not state:
        return ""
    said = labelled("status", state["state"])
    return f"{said}: {state['error']}" if state["error"] else said


STATUS = View(
    "read_models_title",
    "projection state sources lag parked dead_letters rebuild",
    {
        "state": _state,
        "sources": lambda r: ", ".join(
            f"{s}: {v['checkpoint']}/{v['stream_last']}" for s, v in r["sources"].items()
        ),
        "lag": lambda r: sum(v["lag"] for v in r["sources"].values()),
        "rebuild": lambda r: _state(r["rebuild"]),
    },
)
DEAD_LETTERS = View(
    "dead_letters_title",
    "projection event_type stream_id version attempts failed_at error",
    rows=lambda found: found["dead_letters"],
    values=lambda found: found,
)


@app.command("status")
def status(as_json: JsonOption = False) -> None:
    """How far each read model has read its streams, whether it can make progress (and why
    not), parked events and dead letters. Exit status 1 if one cannot make progress."""
    rows = fetch("/admin/projections")
    show(rows, as_json, STATUS)
    if any(r["stalled"] for r in rows):
        raise typer.Exit(1)


@app.command("rebuild")
def rebuild(
    name: Annotated[str, typer.Argument(help="Projection, e.g. aid_coverage.")],
    cancel: Annotated[
        bool, typer.Option("--cancel", help="Cancel the rebuild under way instead.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Rebuild a read model from the start of its streams while the current one keeps
    serving, then swap it in. Shows progress; exit status 1 if the rebuild failed or was
    cancelled. With --cancel, stop the rebuild under way (the current read model stays)."""
    if cancel:
        current = fetch("/admin/projections/rebuild/cancel", "POST", projection=name)
    else:
        fetch("/admin/projections/rebuild", "POST", projection=name)
        current = _follow_rebuild(name)
    if as_json:
        console.print_json(data=current)
    else:
        done = sum(current["reached"].values())
        console.print(
            f"{name}: {current['state']} in {current['seconds']} s "
            f"({done} events){' — ' + current['error'] if current['error'] else ''}"
        )
    if current["state"] != "done":
        raise typer.Exit(1)


def _follow_rebuild(name: str) -> dict[str, Any]:
    """Show the progress of a rebuild until it is done, failed or cancelled."""
    bar, advance = progress(f"rebuilding {name}", 1)
    done = 0
    with bar:
        while True:
            (state,) = [r for r in fetch("/admin/projections") if r["projection"] == name]
            current: dict[str, Any] = state["rebuild"]
            total = sum(current["targets"].values()) or 1
            reached = min(sum(current["reached"].values()), total)
            bar.update(bar.task_ids[0], total=total)
            advance(reached - done)
            done = reached
            if current["state"] in ("done", "failed", "cancelled"):
                return current
            time.sleep(0.2)


@app.command("dead-letters")
def dead_letters(
    projection: Annotated[str | None, typer.Option(help="Only this projection.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Events a read model could not apply, with the error."""
    found = fetch("/api/dead-letters", projection=projection)
    show(found, as_json, DEAD_LETTERS)


@app.command("retry-dead-letters")
def retry_dead_letters(
    projection: Annotated[str | None, typer.Option(help="Only this projection.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Apply the dead letters again (after a fix); events that waited behind them follow."""
    result = fetch("/admin/projections/retry-dead-letters", "POST", projection=projection)
    if as_json:
        console.print_json(data=result)
    else:
        for name, counts in result.items():
            console.print(f"{name}: {counts['applied']} applied, {counts['still_dead']} still dead")
    if any(c["still_dead"] for c in result.values()):
        err.print("[yellow]some events still fail: see `eduplan projection dead-letters`")
        raise typer.Exit(1)
