"""CLI commands made from the contracts, so that adding a command to a contract adds it here.

A command that sends one contract command gets one option per field of the model (nested
parts such as `personal` flattened), named `--<field-name>` unless the work stream names it
otherwise, its help from the field's description and the command's help from the model's
docstring; the whole command is validated by the model before anything is sent. A report is
one API path with its query options and a table. Hand-written commands remain only where a
command does more (files, batches, progress).
"""

from __future__ import annotations

import inspect
import json
import re
import types
import typing
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID, uuid4

import typer
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from contracts.registry import commands_of
from services.cli.common import (
    Issuer,
    Outcome,
    Progressed,
    batch,
    build_command,
    check,
    fetch,
    progress,
    read_file,
    report_outcome,
    run,
    send_command,
    show,
)
from shared.commandbus import CommandClient

Convert = Callable[[str], Any]
Table = Callable[[Any, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Verb:
    """How one contract command appears on the command line, where its defaults do not fit."""

    model: type[BaseModel]
    name: str | None = None  # "pair establish"; default: the model's name in kebab case
    done: str = "done"  # printed on success, formatted with the fields' values
    new_ids: tuple[str, ...] = ()  # UUID fields made up when left out, and printed
    convert: Mapping[str, Convert] = field(default_factory=dict)  # field path -> each value
    department: str | None = None  # the issuing department, when not the stream's
    hidden: tuple[str, ...] = ()  # fields `fill` computes, not offered as options
    optional: tuple[str, ...] = ()  # required fields a user may leave to `fill`
    fill: Callable[[dict[str, Any]], None] | None = None  # completes the fields before checking


@dataclass(frozen=True)
class Param:
    """A query option of a report: checked with its contract type before asking."""

    name: str
    kind: Any
    help: str
    required: bool = False
    option: str | None = None  # default: --<name>
    flag: bool = False  # a switch, sent as "true" when on

    @property
    def option_name(self) -> str:
        return self.option or "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class Report:
    """A report of the projection service: `path` asked with the params, shown by `table`."""

    name: str
    path: str
    doc: str
    params: Sequence[Param]
    table: Table


Items = Callable[[CommandClient, Mapping[str, Any]], Awaitable[list[str]]]
SendEach = Callable[
    [CommandClient, list[str], dict[str, Any], Issuer, Progressed], Awaitable[Outcome]
]


@dataclass(frozen=True)
class ForEach:
    """A contract command sent once for each of many (every student of a county): an option
    per field of the model but `each`, which is filled in per item, and the options `over`
    that choose the items; `items` finds them (once), `send` sends and counts the commands."""

    model: type[BaseModel]
    name: str
    doc: str
    each: str
    over: Sequence[Param]
    items: Items
    send: SendEach
    doing: str  # the progress bar's, formatted with the options' values
    headline: str  # the outcome's, formatted with its counts
    defaults: Mapping[str, Any] = field(default_factory=dict)  # field -> default option value
    department: str | None = None


@dataclass(frozen=True)
class FileBatch:
    """A command that sends what a file holds as one batch: `read` the file (its `errors`
    refuse it as a whole, exit status 2), then `send` it with a progress bar of `steps`."""

    name: str
    doc: str
    file_help: str
    read: Callable[[Path], Any]
    errors: tuple[type[Exception], ...]
    send: Callable[[CommandClient, Any, Issuer, Progressed], Awaitable[Outcome]]
    doing: str
    headline: str
    steps: Callable[[Any], int] = len
    default: Path | None = None  # the file read when none is given
    department: str | None = None


@dataclass(frozen=True)
class Stream:
    """A service's commands on the command line: every command of its contracts, by default
    under the model's name; `verbs` rename or explain some; `skip` are written by hand."""

    service: str
    department: str
    options: Mapping[str, str] = field(default_factory=dict)
    helps: Mapping[str, str] = field(default_factory=dict)  # field path -> help, where the
    # option takes something else than the field (a registry number for a student id)
    groups: Mapping[str, str] = field(default_factory=dict)
    verbs: Sequence[Verb] = ()
    skip: Collection[type[BaseModel]] = ()
    reports: Sequence[Report] = ()
    batches: Sequence[ForEach] = ()
    files: Sequence[FileBatch] = ()


def add_stream(
    app: typer.Typer, stream: Stream, reports_to: typer.Typer | None = None
) -> dict[str, typer.Typer]:
    """Attach the stream's commands to `app`, its reports to `reports_to` (default `app`);
    returns the sub-command groups."""
    groups = {
        name: typer.Typer(help=text, no_args_is_help=True) for name, text in stream.groups.items()
    }
    for name, group in groups.items():
        app.add_typer(group, name=name)
    named = {v.model: v for v in stream.verbs}
    skip = {*stream.skip, *(b.model for b in stream.batches)}
    for spec in commands_of(stream.service):
        if spec.model in skip:
            continue
        verb = named.get(spec.model, Verb(spec.model))
        _place(app, groups, verb.name or _kebab(spec.model.__name__), _command(stream, verb))
    for report in stream.reports:
        _place(reports_to or app, groups, report.name, _report(report))
    for each in stream.batches:
        _place(app, groups, each.name, _for_each(stream, each))
    for file in stream.files:
        _place(app, groups, file.name, _file_batch(stream, file))
    return groups


def _place(app: typer.Typer, groups: Mapping[str, typer.Typer], name: str, fn: Any) -> None:
    group, _, verb = name.rpartition(" ")
    (groups[group] if group else app).command(verb)(fn)


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


@dataclass(frozen=True)
class _Leaf:
    path: str  # "personal.name"
    info: FieldInfo
    required: bool
    option: str
    param: str  # the Python parameter's name


def _leaves(model: type[BaseModel], options: Mapping[str, str], prefix: str = "") -> list[_Leaf]:
    leaves = []
    for name, info in model.model_fields.items():
        path = prefix + name
        nested = info.annotation
        if inspect.isclass(nested) and issubclass(nested, BaseModel) and path not in options:
            for leaf in _leaves(nested, options, path + "."):
                required = leaf.required and info.is_required()
                leaves.append(_Leaf(leaf.path, leaf.info, required, leaf.option, leaf.param))
            continue
        option = options.get(path, "--" + name.replace("_", "-"))
        leaves.append(_Leaf(path, info, info.is_required(), option, path.replace(".", "__")))
    return leaves


def _is_list(annotation: Any) -> bool:
    if typing.get_origin(annotation) in (list, tuple, set, frozenset, dict):
        return True
    args = typing.get_args(annotation)
    union = isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union
    return union and any(_is_list(a) for a in args)


def _is_bool(annotation: Any) -> bool:
    return annotation is bool


def _holds_model(annotation: Any) -> bool:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_model(a) for a in typing.get_args(annotation))


def _params(
    stream: Stream, leaves: Sequence[_Leaf], verb: Verb, defaults: Mapping[str, Any]
) -> list[inspect.Parameter]:
    """One option per leaf, its help the field's description (and its values, for an enum)."""
    params = []
    for leaf in leaves:
        described = stream.helps.get(leaf.path) or (leaf.info.description or "").strip()
        help_ = described + _choices(leaf.info.annotation)
        if leaf.path in verb.new_ids:
            help_ += " A new id when left out (printed)."
        if _is_bool(leaf.info.annotation):
            kind: Any = bool
            default: Any = bool(leaf.info.default) if not leaf.required else False
        elif _is_list(leaf.info.annotation):
            kind, default = (list[str], inspect.Parameter.empty if leaf.required else None)
        elif leaf.path in defaults:
            kind, default = str, str(defaults[leaf.path])
        else:
            required = leaf.required and leaf.path not in (*verb.new_ids, *verb.optional)
            kind, default = (str, inspect.Parameter.empty) if required else (str | None, None)
        params.append(_parameter(leaf.param, kind, typer.Option(leaf.option, help=help_), default))
    return [*params, _department(verb.department or stream.department), _JSON]


def _department(default: str) -> inspect.Parameter:
    help_ = f"Issuing department (default {default})."
    return _parameter("department", str, typer.Option(help=help_), default)


def _fields(leaves: Sequence[_Leaf], given: Mapping[str, Any], verb: Verb) -> dict[str, Any]:
    """The model's fields from the options given (nested parts rebuilt, values converted)."""
    fields: dict[str, Any] = {}
    for leaf in leaves:
        value = given[leaf.param]
        if value is None or (value == [] and not leaf.required):
            continue
        _put(fields, leaf.path, _converted(value, leaf, verb.convert.get(leaf.path)))
    return fields


def _command(stream: Stream, verb: Verb) -> Callable[..., None]:
    leaves = [lf for lf in _leaves(verb.model, stream.options) if lf.path not in verb.hidden]
    options = {lf.path: lf.option for lf in leaves}

    def command(**given: Any) -> None:
        made: dict[str, UUID] = {}
        for leaf in (lf for lf in leaves if lf.path in verb.new_ids):
            value = check(given[leaf.param], UUID, leaf.option) or uuid4()
            given[leaf.param] = made[leaf.path.rpartition(".")[2]] = value
        fields = _fields(leaves, given, verb)
        if verb.fill:
            verb.fill(fields)
        payload = build_command(verb.model, options, **fields)
        said = {lf.path.rpartition(".")[2]: given[lf.param] for lf in leaves}
        flat = fields | {k: v for k, v in said.items() if v is not None} | made
        done = verb.done.format_map(_Blank(flat))
        send_command(stream.service, payload, given["department"], given["as_json"], done, **made)

    return _made(
        command, verb.model.__doc__ or "", verb.model.__name__, _params(stream, leaves, verb, {})
    )


def _made(
    command: Callable[..., None], doc: str, name: str, params: list[inspect.Parameter]
) -> Callable[..., None]:
    """`command` as Typer sees a function of these keyword parameters."""
    command.__doc__ = inspect.cleandoc(doc)
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__name__ = _kebab(name).replace("-", "_").replace(" ", "_")
    return command


def _for_each(stream: Stream, spec: ForEach) -> Callable[..., None]:
    verb = Verb(spec.model, department=spec.department)
    leaves = [lf for lf in _leaves(spec.model, stream.options) if lf.path != spec.each]
    over = [_option(p) for p in spec.over]
    params = [*_params(stream, leaves, verb, spec.defaults), *over, _NO_WAIT]
    options = {lf.path: lf.option for lf in leaves}

    def command(**given: Any) -> None:
        asked = {p.name: check(given[p.name], p.kind, p.option_name) for p in spec.over}
        fields = _fields(leaves, given, verb) | {spec.each: uuid4()}  # checked for every item
        fields = build_command(spec.model, options, **fields).model_dump(exclude={spec.each})
        issuer = Issuer(given["department"])

        async def work(client: CommandClient) -> Outcome:
            items = await spec.items(client, asked)
            bar, advance = progress(spec.doing.format_map(_Blank(given)), len(items))
            with bar:
                return await spec.send(client, items, fields, issuer, advance)

        outcome = run(stream.service, work, wait=not given["no_wait"])
        report_outcome(outcome, given["as_json"], spec.headline)

    return _made(command, spec.doc, spec.name, params)


def _file_batch(stream: Stream, spec: FileBatch) -> Callable[..., None]:
    argument = typer.Argument(exists=True, dir_okay=False, help=spec.file_help)
    file = _parameter("file", Path, argument, spec.default or inspect.Parameter.empty)

    def command(file: Path, department: str, as_json: bool, no_wait: bool) -> None:
        held = read_file(lambda: spec.read(file), *spec.errors, where=f"{file}: ")
        issuer = Issuer(department)
        send = spec.send
        steps = spec.steps(held)
        work = lambda client, bar: send(client, held, issuer, bar)  # noqa: E731
        batch(stream.service, spec.doing, steps, work, as_json, spec.headline, not no_wait)

    params = [file, _department(spec.department or stream.department), _JSON, _NO_WAIT]
    return _made(command, spec.doc, spec.name, params)


def _choices(annotation: Any) -> str:
    """Say the values an enum field takes (contracts describe the field, not its values)."""
    kinds = [annotation, *typing.get_args(annotation)]
    for kind in kinds:
        if inspect.isclass(kind) and issubclass(kind, Enum):
            return " One of: " + ", ".join(str(m.value) for m in kind) + "."
    return ""


def _converted(value: Any, leaf: _Leaf, convert: Convert | None) -> Any:
    """Each value through the stream's converter, or JSON for a part that is a model."""
    if convert is None and _holds_model(leaf.info.annotation):
        convert = _json(leaf.option)
    if convert is None:
        return value
    if not isinstance(value, list):
        return convert(value)
    converted = [convert(v) for v in value]
    return dict(converted) if typing.get_origin(leaf.info.annotation) is dict else converted


def _json(option: str) -> Convert:
    def parse(text: str) -> Any:
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise typer.BadParameter(f"{text!r} is not JSON", param_hint=option) from None

    return parse


def _put(fields: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        fields = fields.setdefault(part, {})
    fields[leaf] = value


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def _parameter(name: str, kind: Any, option: Any, default: Any) -> inspect.Parameter:
    """A keyword parameter Typer reads as `option` (the signature a made command gets)."""
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[kind, option], default=default
    )


_JSON = _parameter("as_json", bool, typer.Option("--json", help="Print JSON."), False)
_NO_WAIT = _parameter(
    "no_wait",
    bool,
    typer.Option("--no-wait", help="Do not wait for the reports to include the changes."),
    False,
)


def _option(p: Param) -> inspect.Parameter:
    if p.flag:
        return _parameter(p.name, bool, typer.Option(p.option_name, help=p.help), False)
    kind, default = (str, inspect.Parameter.empty) if p.required else (str | None, None)
    return _parameter(p.name, kind, typer.Option(p.option_name, help=p.help), default)


def _report(report: Report) -> Callable[..., None]:
    def command(**given: Any) -> None:
        asked: dict[str, Any] = {}
        for p in report.params:
            value = given[p.name]
            if p.flag:
                asked[p.name] = "true" if value else None
            else:
                check(value, p.kind, p.option_name)
                asked[p.name] = value
        body = fetch(report.path, **asked)
        show(body, given["as_json"], lambda b: report.table(b, asked))

    return _made(command, report.doc, report.name, [*map(_option, report.params), _JSON])


def with_options(params: Sequence[Param], into: str) -> Callable[[Callable[..., None]], Any]:
    """Give a hand-written command the options `params` where its parameter `into` stands;
    their values (checked with their contract types) reach it as one dict `into`."""

    def wrap(fn: Callable[..., None]) -> Callable[..., None]:
        hints = typing.get_type_hints(fn, include_extras=True)
        made = [_option(p) for p in params]
        kept = []
        for p in inspect.signature(fn).parameters.values():
            q = p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints[p.name])
            kept += made if p.name == into else [q]

        def command(**given: Any) -> None:
            asked = {p.name: given.pop(p.name) for p in params}
            for p in params:
                check(asked[p.name], p.kind, p.option_name)
            fn(**given, **{into: asked})

        return _made(command, fn.__doc__ or "", fn.__name__, kept)

    return wrap


def validated(kind: Any, option: str) -> Convert:
    """A converter that checks one value with a contract type (a usage error names the
    option)."""
    adapter = TypeAdapter(kind)

    def convert(text: str) -> Any:
        try:
            return adapter.validate_python(text)
        except ValidationError as exc:
            message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            raise typer.BadParameter(message, param_hint=option) from None

    return convert
