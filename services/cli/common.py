"""What every `eduplan` command shares: consoles, options, the bus client, progress, reports."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, NoReturn, Protocol, TypeVar
from uuid import UUID, uuid4

import typer
from pydantic import BaseModel, TypeAdapter, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from contracts.envelope import Accepted, CommandEnvelope, CommandResult, Rejected
from contracts.subjects import actor_token
from services.cli import output
from shared import i18n, reporting_client
from shared.commandbus import CommandClient, Refused, ServiceUnavailable, new_command
from shared.jetstream import NatsUnreachable, connect_nats, nats_tls, user_of
from shared.service import DEFAULT_NATS
from shared.settings import get_settings

console = Console()
err = Console(stderr=True, soft_wrap=True)  # a message stays one line, whatever the width
T = TypeVar("T")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
NoWaitOption = Annotated[
    bool,
    typer.Option("--no-wait", help="Do not wait for the reports to include the changes."),
]
CountyOption = Annotated[str, typer.Option(help="County code, e.g. 610831.")]
OptionalCountyOption = Annotated[
    str | None, typer.Option(help="County code; omit for the province.")
]
Progressed = Callable[[int], None]


def said(result: Rejected) -> str:
    """A service's refusal in the reader's language (`--lang`), else its English message."""
    return i18n.refusal(result)


def fail(message: object, code: int = 2, label: str | None = "error") -> NoReturn:
    """Say what went wrong on one line of stderr and stop: exit status 2 is a usage error or
    a service that cannot be reached, 1 a refusal."""
    said = f"{label}: {message}" if label else str(message)
    err.print(said, style="red", markup=False, highlight=False)
    raise typer.Exit(code)


@contextmanager
def failing(*errors: type[Exception], where: str = "", after: str = "") -> Iterator[None]:
    """The `errors` raised inside are failures (exit status 2), said with `where` before
    (unless they say it already)."""
    try:
        yield
    except errors as exc:
        said = str(exc)
        fail(f"{'' if said.startswith(where) else where}{said}{after}")


def department_option(default: str) -> Any:
    return typer.Option(default, help=f"Issuing department (default {default}).")


def check(value: Any, kind: Any, name: str) -> Any:
    """Validate one option with a contract type; a bad value is a usage error (exit 2)."""
    if value is None:
        return None
    try:
        return TypeAdapter(kind).validate_python(value)
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise typer.BadParameter(message, param_hint=name) from None


@dataclass(frozen=True)
class Issuer:
    """The department the commands of one CLI invocation are issued for; they share one
    correlation id. Who issues them is the NATS identity the CLI connects as."""

    department: str
    correlation_id: UUID = field(default_factory=uuid4)

    def command(self, payload: BaseModel, command_id: UUID | None = None) -> CommandEnvelope:
        return new_command(
            payload,
            department=self.department,
            correlation_id=self.correlation_id,
            command_id=command_id,
        )


@dataclass
class Outcome:
    """What a batch run did: counts by kind, and each rejection with where it came from."""

    counts: Counter[str] = field(default_factory=Counter)
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # (where, code, message)

    def as_dict(self) -> dict[str, object]:
        return {
            **dict(self.counts),
            "rejected": [{"where": w, "code": c, "message": m} for w, c, m in self.rejected],
        }

    def tally_all(
        self,
        wheres: Iterable[str],
        results: Iterable[CommandResult],
        changed: str,
        unchanged: str,
        expected: Mapping[str, str] | None = None,
    ) -> None:
        """`tally` each result, named by the place it came from."""
        for where, result in zip(wheres, results, strict=True):
            self.tally(where, result, changed, unchanged, expected)

    def reject_line(self, line: int, error: str) -> None:
        """A line of a file that makes no valid command: rejected before anything is sent."""
        self.rejected.append((f"line {line}", "invalid_line", error))
        self.counts["rejected"] = len(self.rejected)

    def tally(
        self,
        where: str,
        result: CommandResult,
        changed: str,
        unchanged: str,
        expected: Mapping[str, str] | None = None,
    ) -> None:
        """Count an accepted result as changed or unchanged, a rejection whose code is
        `expected` under its name (an outcome, not a failure), else keep the rejection."""
        if isinstance(result, Accepted):
            self.counts[changed if result.event_ids else unchanged] += 1
        elif expected and result.code in expected:
            self.counts[expected[result.code]] += 1
        else:
            self.rejected.append((where, result.code, said(result)))
        self.counts["rejected"] = len(self.rejected)


class FileLine(Protocol):
    @property
    def line(self) -> int: ...
    @property
    def error(self) -> str: ...


L = TypeVar("L", bound=FileLine)


def good_lines(lines: Sequence[L], progress: Progressed) -> tuple[Outcome, list[L]]:
    """The lines of a file that make commands, and an outcome with the others rejected."""
    outcome = Outcome()
    for bad in (ln for ln in lines if ln.error):
        outcome.reject_line(bad.line, bad.error)
        progress(1)
    return outcome, [ln for ln in lines if not ln.error]


async def send_in_batches(
    client: CommandClient,
    commands: Sequence[CommandEnvelope],
    progress: Progressed,
    batch_size: int = 250,
    in_flight: int = 4,
) -> list[CommandResult]:
    """Send commands in batches, at most `in_flight` requests at a time; results in order."""
    results: list[CommandResult | None] = [None] * len(commands)
    gate = asyncio.Semaphore(in_flight)

    async def send(start: int) -> None:
        async with gate:
            batch = commands[start : start + batch_size]
            for i, result in enumerate(await client.send(batch)):
                results[start + i] = result
            progress(len(batch))

    try:
        async with asyncio.TaskGroup() as group:  # the first failure cancels the others
            for start in range(0, len(commands), batch_size):
                group.create_task(send(start))
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [r for r in results if r is not None]


def run(service: str, work: Callable[[CommandClient], Awaitable[T]], wait: bool = True) -> T:
    """Run `work` with a command client for `service`, as the NATS identity of the settings
    (its user is the actor; without one, `EDUPLAN_ACTOR` or the login name). Unreachable
    means exit status 2; a request the server refuses to this identity, exit status 1. When
    `work` recorded something, wait (unless `wait` is off) until the reports include it."""
    settings = get_settings()
    url = settings.nats_url or DEFAULT_NATS
    actor = user_of(url) or settings.actor or getpass.getuser()
    recorded: list[int] = []

    async def main() -> T:
        tls = nats_tls(settings.nats_tls_ca, settings.nats_tls_cert, settings.nats_tls_key)
        nc = await connect_nats(url, "eduplan-cli", tls=tls)
        try:
            client = CommandClient(
                nc,
                service,
                settings.namespace,
                settings.command_timeout,
                actor=actor_token(actor),
                jurisdiction=settings.jurisdiction,
            )
            result = await work(client)
            recorded.append(client.recorded)
            return result
        finally:
            await nc.close()

    try:
        done = asyncio.run(main())
    except (ServiceUnavailable, NatsUnreachable) as exc:
        fail(exc)
    except Refused as exc:
        fail(exc, 1, "refused")
    if wait and any(recorded):
        wait_for_reports([service], settings.report_wait)
    return done


def send_one(
    service: str, command: CommandEnvelope, as_json: bool, done: str, **keep: Any
) -> Accepted:
    """Send a single command; print its answer, with the ids in `keep` a user must note;
    a rejection is exit status 1."""
    (result,) = run(service, lambda client: client.send([command]))
    kept = {name: str(value) for name, value in keep.items()}
    if as_json:
        console.print_json(json.dumps({**kept, **result.model_dump(mode="json")}))
    if not isinstance(result, Accepted):
        if not as_json:
            rejected = i18n.text("cli.rejected")
            err.print(
                f"[red]{rejected}[/red] ({result.code}): {escape(said(result))}", highlight=False
            )
        raise typer.Exit(1)
    if not as_json:
        suffix = "" if result.event_ids else " (nothing changed)"
        ids = "".join(f"\n{k}: {v}" for k, v in kept.items())
        console.print(done + suffix + ids, highlight=False)
    return result


def send_command(
    service: str, payload: BaseModel, department: str, as_json: bool, done: str, **keep: Any
) -> Accepted:
    """`send_one` for a payload issued for `department`."""
    return send_one(service, Issuer(department).command(payload), as_json, done, **keep)


M = TypeVar("M", bound=BaseModel)


def build_command(model: type[M], options: Mapping[str, str] | None = None, /, **fields: Any) -> M:
    """A command from the options; an invalid one is a usage error (exit 2) naming the
    options at fault (`options` maps field paths to option names where they differ)."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_option(e['loc'], options or {})}: {str(e['msg']).removeprefix('Value error, ')}"
            for e in exc.errors(include_url=False)
        )
        fail(f"{problems}; nothing was sent")


def _option(loc: tuple[int | str, ...], options: Mapping[str, str]) -> str:
    path = ".".join(str(x) for x in loc if not isinstance(x, int))
    if not path:
        return "options"
    return options.get(path, "--" + path.split(".")[0].replace("_", "-"))


def read_file(read: Callable[[], T], *errors: type[Exception], where: str = "") -> T:
    """What a file holds; a file that cannot be read as a whole is a usage error (exit 2)."""
    with failing(*errors, where=where, after="; nothing was sent"):
        return read()


def progress(description: str, total: int) -> tuple[Progress, Progressed]:
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
    )
    task = bar.add_task(description, total=total)
    return bar, lambda n: bar.advance(task, n)


def batch(
    service: str,
    description: str,
    total: int,
    work: Callable[[CommandClient, Progressed], Awaitable[Outcome]],
    as_json: bool,
    headline: str,
    wait: bool = True,
) -> None:
    """Run a batch with a progress bar of `total` steps, then print its outcome; any
    rejection makes the exit status 1."""

    async def with_bar(client: CommandClient) -> Outcome:
        bar, advance = progress(description, total)
        with bar:
            return await work(client, advance)

    report_outcome(run(service, with_bar, wait), as_json, headline)


def report_outcome(outcome: Outcome, as_json: bool, headline: str) -> None:
    """Print a batch outcome; any rejection makes the exit status 1."""
    if as_json:
        console.print_json(json.dumps(outcome.as_dict(), ensure_ascii=False))
    else:
        for where, code, message in outcome.rejected:
            err.print(f"[yellow]{where}[/yellow]: {message} [dim]({code})[/dim]", highlight=False)
        console.print(headline.format_map(defaultdict(int, outcome.counts)), highlight=False)
    if outcome.rejected:
        raise typer.Exit(1)


def fetch(path: str, method: str = "GET", **params: str | None) -> Any:
    """A report (or, with POST, an admin action) of the projection service, asked with the
    token of EDUPLAN_REPORTING_TOKEN; unreachable or refused means exit status 2."""
    try:
        server = reporting_client.ReportingServer.from_settings(get_settings())
        body, freshness = reporting_client.fetch_report(server, path, method, params)
    except reporting_client.ReportUnavailable as exc:
        fail(exc)
    if freshness:
        _say(reporting_client.freshness_note(freshness), "dim")
    return body


def wait_for_reports(sources: Sequence[str], timeout: float) -> None:
    """Wait (bounded, never an error) until the reports include what `sources` recorded."""
    server = reporting_client.ReportingServer.from_settings(get_settings())
    reporting_client.wait_for_reports(server, sources, timeout, _say)


def _say(message: str, style: str) -> None:
    err.print(message, style=style, markup=False, highlight=False)


def show(rows: Any, as_json: bool, table: Callable[[Any], Any]) -> None:
    """Rows as JSON, as CSV (`--csv`), or as a table in the person's language."""
    if as_json:
        console.print_json(json.dumps(rows, ensure_ascii=False, default=str))
        return
    shown = table(rows)
    if output.OUTPUT.csv and isinstance(shown, Table):
        sys.stdout.write(output.as_csv(shown))
    else:
        console.print(shown)
