"""Is a JSON Schema a compatible revision of the one released under the same version?

Two schemas are walked side by side (local `$ref`s resolved) and every difference becomes a
`Change`: what happened to which field, and in which direction it moves the set of valid
messages. Narrowing breaks readers of old messages (backward), widening breaks old readers of
new messages (forward). The mode of a contract says which directions it refuses:

- events are read by consumers we do not know, old and new, so `FULL`: a new optional field
  (readers ignore fields they do not know), a reworded description and a new value of an
  *open* enum (`x-open-enum`) pass; anything else needs a new version and an upcaster;
- commands are read by their service only, which is upgraded before its clients, so
  `BACKWARD`: whatever old clients send must stay valid.

A change of meaning cannot be seen in a schema: it is marked in the field's description as
`Changed in vN: ...` and is refused within a released version.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

Schema = dict[str, Any]

OPEN_ENUM = "x-open-enum"
"""Marks a schema whose enum may gain values within a version: readers accept unknown ones."""

MEANING_CHANGED = re.compile(r"Changed in v(\d+):")
"""How a description marks a change of meaning, e.g. 'Changed in v2: in fen, not yuan.'"""

LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
WALKED = {"type", "enum", "anyOf", "oneOf", "properties", "required", "items"}
WALKED |= {"additionalProperties", "patternProperties", "propertyNames", "$ref", "$defs"}
IGNORED = {"title", "examples", "$id", "$schema", "description", "default", OPEN_ENUM}


class Direction(Enum):
    NONE = "compatible"
    NARROWER = "narrower"  # some message valid before is invalid now
    WIDER = "wider"  # some message valid now was invalid before
    BOTH = "changed"


class Mode(Enum):
    BACKWARD = "backward"  # readers on the new schema read messages written on the old one
    FORWARD = "forward"  # readers on the old schema read messages written on the new one
    FULL = "full"  # both

    def refuses(self, direction: Direction) -> bool:
        return (
            direction is Direction.BOTH
            or direction
            in {
                Mode.BACKWARD: {Direction.NARROWER},
                Mode.FORWARD: {Direction.WIDER},
                Mode.FULL: {Direction.NARROWER, Direction.WIDER},
            }[self]
        )


@dataclass(frozen=True)
class Change:
    path: str
    """Dotted field path, `[]` for array items, empty for the message itself."""
    what: str
    direction: Direction

    def __str__(self) -> str:
        return f"{self.path or '(message)'}: {self.what}"


def changes(old: Schema, new: Schema) -> list[Change]:
    """Every difference between two schemas of one message, compatible or not."""
    return list(dict.fromkeys(_Walk(old, new).compare(old, new, "", is_open=False)))


def breaking(old: Schema, new: Schema, mode: Mode) -> list[Change]:
    return [c for c in changes(old, new) if mode.refuses(c.direction)]


class _Walk:
    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.roots = (old_root, new_root)

    def compare(self, old: Schema, new: Schema, path: str, *, is_open: bool) -> Iterator[Change]:
        old, new = resolve(old, self.roots[0]), resolve(new, self.roots[1])
        yield from _described(old, new, path)
        if old.get("default") != new.get("default"):
            what = f"default changed from {old.get('default')!r} to {new.get('default')!r}"
            yield Change(path, what, Direction.BOTH)
        is_open = is_open or bool(old.get(OPEN_ENUM) and new.get(OPEN_ENUM))
        if _is_union(old) or _is_union(new):
            yield from self._union(old, new, path, is_open)
            return
        yield from _types(old, new, path)
        yield from _enums(old, new, path, is_open)
        yield from _bounds(old, new, path)
        yield from _other_keywords(old, new, path)
        yield from self._object(old, new, path, is_open)
        if "items" in old and "items" in new:
            yield from self.compare(old["items"], new["items"], f"{path}[]", is_open=is_open)
        elif "items" in old or "items" in new:
            yield Change(path, "items constraint added or removed", Direction.BOTH)

    def _union(self, old: Schema, new: Schema, path: str, is_open: bool) -> Iterator[Change]:
        """Each old branch must live on in a new branch (and the reverse), else it narrowed."""
        olds, news = _branches(old), _branches(new)
        for branch in olds:
            match = self._closest(branch, news, path, is_open)
            if match is None:
                yield Change(path, f"no longer accepts {_kind(branch)}", Direction.NARROWER)
            else:
                yield from match
        for branch in news:
            if self._closest(branch, olds, path, is_open, reverse=True) is None:
                yield Change(path, f"now also accepts {_kind(branch)}", Direction.WIDER)

    def _closest(
        self, branch: Schema, among: list[Schema], path: str, is_open: bool, reverse: bool = False
    ) -> list[Change] | None:
        kind = types_of(resolve(branch, self.roots[1 if reverse else 0]))
        found = []
        for other in among:
            if not kind & types_of(resolve(other, self.roots[0 if reverse else 1])):
                continue
            pair = (other, branch) if reverse else (branch, other)
            found.append(list(self.compare(*pair, path, is_open=is_open)))
        return min(found, key=len) if found else None

    def _object(self, old: Schema, new: Schema, path: str, is_open: bool) -> Iterator[Change]:
        before, after = old.get("properties", {}), new.get("properties", {})
        required_before, required_after = set(old.get("required", [])), set(new.get("required", []))
        added = [n for n in after if n not in before]
        for name, schema in before.items():
            at = f"{path}.{name}" if path else name
            if name not in after:
                renamed = [n for n in added if _same_shape(schema, after[n])]
                hint = f" (renamed to {renamed[0]}?)" if renamed else ""
                yield Change(at, f"removed{hint}", Direction.BOTH)
                continue
            if name in required_before and name not in required_after:
                yield Change(at, "no longer required", Direction.WIDER)
            if name in required_after and name not in required_before:
                yield Change(at, "now required", Direction.NARROWER)
            yield from self.compare(schema, after[name], at, is_open=is_open)
        for name in added:
            at = f"{path}.{name}" if path else name
            if name in required_after:
                yield Change(at, "new required field", Direction.NARROWER)
            else:
                yield Change(at, "new optional field", Direction.NONE)
        for keyword in ("additionalProperties", "patternProperties", "propertyNames"):
            yield from self._open_part(old, new, path, keyword, is_open)

    def _open_part(
        self, old: Schema, new: Schema, path: str, keyword: str, is_open: bool
    ) -> Iterator[Change]:
        a, b = old.get(keyword), new.get(keyword)
        if a == b:
            return
        if isinstance(a, dict) and isinstance(b, dict) and keyword != "patternProperties":
            yield from self.compare(a, b, f"{path}{{{keyword}}}", is_open=is_open)
        elif keyword == "additionalProperties" and b is False:
            yield Change(path, "unknown fields now refused", Direction.NARROWER)
        elif keyword == "additionalProperties" and a is False:
            yield Change(path, "unknown fields now allowed", Direction.NONE)
        else:
            yield Change(path, f"{keyword} changed", Direction.BOTH)


def resolve(node: Schema, root: Schema) -> Schema:
    """A node with its local `$ref` replaced by the definition (siblings win, as in 2020-12)."""
    seen = set()
    while "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/$defs/") or ref in seen:
            raise ValueError(f"cannot follow $ref {ref}")
        seen.add(ref)
        rest = {k: v for k, v in node.items() if k != "$ref"}
        node = {**root["$defs"][ref.removeprefix("#/$defs/")], **rest}
    return node


def _is_union(node: Schema) -> bool:
    return "anyOf" in node or "oneOf" in node


def _branches(node: Schema) -> list[Schema]:
    """The alternatives of a union; a plain node is one, without what the caller compared."""
    if _is_union(node):
        return list(node.get("anyOf") or node.get("oneOf") or [])
    return [{k: v for k, v in node.items() if k not in ("description", "default", "title")}]


def types_of(node: Schema) -> set[str]:
    declared = node.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return set(declared)
    values = node.get("enum", [node["const"]] if "const" in node else None)
    if values is not None:
        return {_json_type(v) for v in values}
    if "properties" in node:
        return {"object"}
    return {"any"}


def _json_type(value: Any) -> str:
    for kind, cls in (("null", type(None)), ("boolean", bool), ("integer", int)):
        if isinstance(value, cls):
            return kind
    return {float: "number", str: "string", list: "array"}.get(type(value), "object")


def _kind(node: Schema) -> str:
    return " or ".join(sorted(types_of(node)))


def _types(old: Schema, new: Schema, path: str) -> Iterator[Change]:
    before, after = types_of(old), types_of(new)
    lost = {t for t in before - after if not (t == "integer" and "number" in after)}
    gained = {t for t in after - before if not (t == "integer" and "number" in before)}
    if "any" in after:
        lost = set()
    if "any" in before:
        gained = set()
    if lost:
        yield Change(path, f"no longer accepts {' or '.join(sorted(lost))}", Direction.NARROWER)
    if gained:
        yield Change(path, f"now also accepts {' or '.join(sorted(gained))}", Direction.WIDER)


def _enums(old: Schema, new: Schema, path: str, is_open: bool) -> Iterator[Change]:
    before, after = old.get("enum"), new.get("enum")
    if before is None and after is None:
        return
    if before is None or after is None:
        narrowed = before is None
        what = "now limited to listed values" if narrowed else "no longer limited to listed values"
        yield Change(path, what, Direction.NARROWER if narrowed else Direction.WIDER)
        return
    if removed := [v for v in before if v not in after]:
        yield Change(path, f"enum lost {_listed(removed)}", Direction.NARROWER)
    if added := [v for v in after if v not in before]:
        if is_open:
            yield Change(path, f"open enum gained {_listed(added)}", Direction.NONE)
        else:
            yield Change(path, f"closed enum gained {_listed(added)}", Direction.WIDER)


def _listed(values: list[Any]) -> str:
    return ", ".join(repr(v) for v in values)


def _bounds(old: Schema, new: Schema, path: str) -> Iterator[Change]:
    for keyword in LOWER_BOUNDS + UPPER_BOUNDS:
        a, b = old.get(keyword), new.get(keyword)
        if a == b:
            continue
        lower = keyword in LOWER_BOUNDS
        tighter = a is None if b is not None else False
        if a is not None and b is not None:
            tighter = b > a if lower else b < a
        direction = Direction.NARROWER if tighter else Direction.WIDER
        yield Change(path, f"{keyword} changed from {a} to {b}", direction)


def _other_keywords(old: Schema, new: Schema, path: str) -> Iterator[Change]:
    """Constraints whose old and new values cannot be ordered: any change is refused."""
    handled = WALKED | IGNORED | set(LOWER_BOUNDS) | set(UPPER_BOUNDS) | {"enum"}
    for keyword in sorted((old.keys() | new.keys()) - handled):
        if keyword.startswith("x-") and keyword != "x-subject":
            continue
        a, b = old.get(keyword), new.get(keyword)
        if a == b:
            continue
        direction = Direction.BOTH
        if a is None or b is None:
            direction = Direction.NARROWER if a is None else Direction.WIDER
        yield Change(path, f"{keyword} changed from {a!r} to {b!r}", direction)


def _described(old: Schema, new: Schema, path: str) -> Iterator[Change]:
    before, after = old.get("description", ""), new.get("description", "")
    if before == after:
        return
    marks = MEANING_CHANGED.findall(after)
    if marks != MEANING_CHANGED.findall(before):
        mark = f"marked 'Changed in v{marks[-1]}:'" if marks else "its 'Changed in' mark removed"
        yield Change(path, f"meaning changed ({mark})", Direction.BOTH)
    else:
        yield Change(path, "description reworded", Direction.NONE)


def _same_shape(a: Schema, b: Schema) -> bool:
    def shape(node: Schema) -> Schema:
        return {k: v for k, v in node.items() if k not in ("title", "description")}

    return shape(a) == shape(b)
