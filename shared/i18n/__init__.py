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
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

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
