"""JSON Schema files of every registered contract, generated from the pydantic models.

Events are described as published (serialization mode: amounts and ids are strings), commands
as accepted (validation mode). `python -m contracts.generate` writes the files;
`--check` only compares them and exits 1 when the committed files are out of date. The
AsyncAPI document and the changelog of contract versions are generated and checked alike.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from contracts import asyncapi, changelog
from contracts.catalogue import Message, messages

ROOT = Path(__file__).parent
SCHEMAS = "schemas"


def _text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def generate() -> dict[str, str]:
    """Every schema file, as {path relative to the contracts package: file text}."""
    return {m.schema_path: _text(m.schema()) for m in sorted(messages(), key=_path)}


def _path(message: Message) -> str:
    return message.schema_path


def committed(root: Path = ROOT) -> dict[str, str]:
    """The schema files on disk, in the same shape as `generate()`."""
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted((root / SCHEMAS).rglob("*.json"))
    }


def differences(root: Path = ROOT) -> list[str]:
    """Lines like 'missing: path', one per file that does not match the generated one."""
    wanted, found = generate(), committed(root)
    return (
        [f"missing: {p}" for p in wanted if p not in found]
        + [f"differs: {p}" for p in wanted if p in found and found[p] != wanted[p]]
        + [f"extra: {p}" for p in found if p not in wanted]
    )


def write(root: Path = ROOT) -> None:
    wanted = generate()
    for path in committed(root):
        if path not in wanted:
            (root / path).unlink()
    for path, text in wanted.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.generate", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="only compare; exit 1 if files are out of date"
    )
    args = parser.parse_args(argv)
    if asyncapi.main(["--check"] if args.check else []):
        return 1
    changes = ROOT / changelog.FILE
    if not args.check:
        write()
        changes.write_text(changelog.markdown(), encoding="utf-8")
        return 0
    if not changes.exists() or changes.read_text(encoding="utf-8") != changelog.markdown():
        print(f"contracts/{changelog.FILE} is out of date: run python -m contracts.generate")
        return 1
    problems = differences()
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print("contract schemas are out of date: run python -m contracts.generate", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
