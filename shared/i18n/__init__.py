"""What a person reads, in Simplified Chinese (the default) or English, from one catalogue.

The catalogue is gettext: `locale/<lang>/LC_MESSAGES/eduplan.po`, read with Babel's `read_po`
when first needed (no compiled `.mo` in the repository). Every entry has a context naming what
it labels (`stage`, `programme`, `status`, `subject`, `unit`, `county`, `school`, `field`,
`alert_kind`, `indicator`, `ui`, `cli` ...) and the machine id as its msgid, so a program that
knows only a field and a value (a CLI generated from the contracts, the dashboard's script)
can label it: `label("stage", "high_school")` is 高中, or "High school" in English. An id the
catalogue lacks is shown as it is, with spaces for underscores: never an error.

The language is, in order: what the person asked (`--lang`, the dashboard's `?lang=`), the
browser's Accept-Language, `EDUPLAN_LANG`, else Chinese.

A sentence the server builds (a task's progress, an error) is kept as a `Phrase`: its key and
values, the values themselves phrases, names of ids (`named`), lists (`listing`), dates or
figures. It is said in the reader's language only at the edge (the HTTP answer, the CLI), with
`localized(body, lang)`, so that no English is stored or sent where Chinese is asked. A phrase
crossing the bus or kept in an event is a `contracts.sentence.Sentence` (`sentence`, `spoken`);
a service's refusal carries one, said by `refusal` (context `rejection`, whose msgids are the
English templates themselves).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from contracts.envelope import Rejected
from contracts.sentence import Named, Plain, Reason, ReasonPart, Sentence, Value

LANGUAGES = ("zh", "en")
DEFAULT = "zh"
LOCALES = {"zh": "zh_CN", "en": "en"}
CATALOGUES = Path(__file__).with_name("locale")
DOMAIN = "eduplan"


def language(asked: str | None = None, accept_language: str | None = None) -> str:
    """The language to speak: `asked` if it names one, else the first of Accept-Language we
    speak (by quality), else EDUPLAN_LANG, else Chinese."""
    tags = [asked, *_by_quality(accept_language or ""), os.environ.get("EDUPLAN_LANG")]
    for tag in tags:
        found = _known(tag)
        if found:
            return found
    return DEFAULT


def _known(tag: str | None) -> str | None:
    if not tag:
        return None
    primary = tag.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGUAGES else None


def _by_quality(header: str) -> list[str]:
    ranked = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, i, tag))
    return [tag for _, _, tag in sorted(ranked)]


@cache
def entries(lang: str) -> Mapping[str, Mapping[str, str]]:
    """Every entry of `lang` by context, then id, read from its .po file once (the dashboard's
    script reads the same table as JSON)."""
    path = CATALOGUES / LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        parsed = read_po(po, locale=LOCALES[lang], domain=DOMAIN)
    table: dict[str, dict[str, str]] = {}
    for message in parsed:
        if message.id and message.string and message.context:
            table.setdefault(message.context, {})[str(message.id)] = str(message.string)
    return table


def label(context: str, value: object, lang: str | None = None) -> str:
    """The human name of a machine id (`label("programme", "hs_tuition_waiver")`)."""
    if value is None:
        return ""
    key = str(value)
    found = entries(lang or language()).get(context, {}).get(key)
    return found if found is not None else key.replace("_", " ")


def text(key: str, lang: str | None = None, /, **values: object) -> str:
    """A sentence of the `ui` or `cli` context, filled in: `text("cli.error")`."""
    context, _, msgid = key.partition(".")
    template = entries(lang or language()).get(context, {}).get(msgid, msgid)
    return template.format(**values) if values else template


def money(amount: object) -> str:
    """¥ with thousands separators and fen: ¥1,234,567.50 (the same in both languages)."""
    value = Decimal(str(amount))
    return f"-¥{-value:,.2f}" if value < 0 else f"¥{value:,.2f}"


def number(value: object) -> str:
    """An integer with thousands separators; a decimal keeps its digits (1,234.567)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    exact = Decimal(str(value))
    exponent = exact.as_tuple().exponent
    places = max(-exponent, 0) if isinstance(exponent, int) else 0
    return f"{exact:,.{places}f}"


def day(value: date | datetime | str, lang: str | None = None) -> str:
    """2017年11月20日 in Chinese, 2017-11-20 in English."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if (lang or language()) == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def term(value: str, lang: str | None = None) -> str:
    """A term id as a person reads it: 2017-autumn is 2017年秋季 or 2017 autumn."""
    year, _, season = value.partition("-")
    if not season:
        return value
    return text("ui.term_label", lang, year=year, season=label("season", season, lang))


LIST_SEPARATORS = {"zh": "、", "en": ", "}
CLAUSE_SEPARATORS = {"zh": "；", "en": "; "}


@dataclass(frozen=True)
class Phrase:
    """A sentence of the catalogue (`context.msgid`) with its values, not yet in a language."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)

    def render(self, lang: str | None = None) -> str:
        lang = lang or language()
        return text(self.key, lang, **{k: said(v, lang) for k, v in self.values.items()})


@dataclass(frozen=True)
class Name:
    """The name of a machine id, said in the reader's language (`label`; a `term` id as
    `term` writes it)."""

    context: str
    id: object

    def render(self, lang: str | None = None) -> str:
        if self.context == "term":
            return term(str(self.id), lang)
        if self.context == "date":
            return day(str(self.id), lang)
        if self.context == "money":
            return money(self.id)
        if self.context == "field_path":
            return field_path(str(self.id), lang)
        return label(self.context, self.id, lang)


def field_path(path: str, lang: str | None = None) -> str:
    """A field within a command as the reader's language names it: `personal.name` is
    个人信息 › 姓名, `commands.0` 命令 › 第1项; a field the catalogue does not name is shown
    as its id, the name the command line's option is made from."""
    lang = lang or language()
    names = entries(lang).get("field", {})
    return " › ".join(
        text("ui.item_number", lang, number=int(part) + 1)
        if part.isdigit()
        else names.get(part, part)
        for part in path.split(".")
    )


@dataclass(frozen=True)
class Listing:
    """Items said one after another: 语文、数学 or "Chinese, Mathematics" (clauses: ；/ ;)."""

    items: tuple[object, ...]
    clauses: bool = False

    def render(self, lang: str | None = None) -> str:
        lang = lang or language()
        separator = (CLAUSE_SEPARATORS if self.clauses else LIST_SEPARATORS)[lang]
        return separator.join(said(item, lang) for item in self.items)


Said = Phrase | Name | Listing
"""Anything `localized` says in a language."""


def phrase(key: str, /, **values: object) -> Phrase:
    """`phrase("progress.students_aided", aided=3, eligible=4, term="2017-autumn")`."""
    return Phrase(key, values)


def named(context: str, value: object) -> Name:
    return Name(context, value)


def listing(items: Iterable[object], clauses: bool = False) -> Listing:
    return Listing(tuple(items), clauses)


def said(value: object, lang: str | None = None) -> str:
    """A value of a sentence in `lang`: a phrase, name or listing rendered, a date as the
    language writes it, anything else as it is (a year is a figure too: 2017, not 2,017)."""
    if isinstance(value, Said):
        return value.render(lang)
    if isinstance(value, date):
        return day(value, lang)
    return str(value)


def localized(body: Any, lang: str | None = None) -> Any:
    """`body` (JSON-like) with every phrase, name and listing in it said in `lang`."""
    if isinstance(body, Said):
        return body.render(lang)
    if isinstance(body, dict):
        return {k: localized(v, lang) for k, v in body.items()}
    if isinstance(body, list | tuple):
        return [localized(v, lang) for v in body]
    return body


def sentence(key: str, values: Mapping[str, object] | None = None) -> Sentence:
    """A phrase as the contracts carry it (no catalogue is read: cheap where it is made)."""
    return Sentence(key=key, values={k: _value(v) for k, v in (values or {}).items()})


def reason(key: str, values: Mapping[str, object] | None = None) -> Reason:
    """A refusal as the reply carries it: like `sentence`, but a phrase among the values (or
    in a listing) travels as a sentence of its own, said in the reader's language too."""
    return Reason(key=key, values={k: _part_or_parts(v) for k, v in (values or {}).items()})


def spoken(kept: Sentence | Reason) -> Phrase:
    """A sentence of the contracts as a phrase to say."""
    return Phrase(kept.key, {k: _said(v) for k, v in kept.values.items()})


def plain(value: object) -> str:
    """A value as the English text beside a sentence writes it: ids as they are (`aid_center`,
    `2017-autumn`), lists with commas."""
    if isinstance(value, Name):
        return str(value.id)
    if isinstance(value, Listing):
        return ("; " if value.clauses else ", ").join(plain(v) for v in value.items)
    if isinstance(value, Phrase):
        return text(value.key, "en").format_map({k: plain(v) for k, v in value.values.items()})
    return str(value)


def refusal(rejected: Rejected, lang: str | None = None) -> str:
    """A service's refusal in the reader's language; its English `message` when it carries no
    sentence this catalogue knows (an older service, a new template not yet translated)."""
    lang = lang or language()
    reason = rejected.reason
    if reason is None:
        return rejected.message
    if not all(_known_key(key, lang) for key in _keys(reason)):
        return rejected.message
    try:
        return spoken(reason).render(lang)
    except (KeyError, IndexError, ValueError):  # values that do not fit the template
        return rejected.message


def prefix(kind: str, lang: str | None = None) -> str:
    """What starts a line the CLI writes about a failure, `kind` being `error` or `refused`:
    错误： or "error: "."""
    lang = lang or language()
    return text(f"cli.{kind}", lang) + ("：" if lang == "zh" else ": ")


def _keys(kept: Sentence | Reason) -> Iterable[str]:
    yield kept.key
    for value in kept.values.values():
        for part in value if isinstance(value, list) else [value]:
            if isinstance(part, Reason):
                yield from _keys(part)


def _known_key(key: str, lang: str) -> bool:
    context, _, msgid = key.partition(".")
    return msgid in entries(lang).get(context, {})


def _part_or_parts(value: object) -> ReasonPart | list[ReasonPart]:
    if isinstance(value, Listing):
        return [_part(v) for v in value.items]
    if isinstance(value, list | tuple):
        return [_part(v) for v in value]
    return _part(value)


def _part(value: object) -> ReasonPart:
    if isinstance(value, Phrase):
        return reason(value.key, value.values)
    return _plain(value)


def _value(value: object) -> Value:
    if isinstance(value, Listing):
        return [_plain(v) for v in value.items]
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return _plain(value)


def _plain(value: object) -> Plain:
    if isinstance(value, Name):
        return Named(context=value.context, id=str(value.id))
    if isinstance(value, date):
        day = value.date() if isinstance(value, datetime) else value
        return Named(context="date", id=day.isoformat())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return plain(value)  # text (an enum's value), a decimal, a uuid ...


def _said(value: Value | ReasonPart | list[ReasonPart]) -> object:
    if isinstance(value, list):
        clauses = bool(value) and all(isinstance(v, Reason) for v in value)
        return Listing(tuple(_said(v) for v in value), clauses)
    if isinstance(value, Reason):
        return spoken(value)
    if isinstance(value, Named):
        return Name(value.context, value.id)
    return value
