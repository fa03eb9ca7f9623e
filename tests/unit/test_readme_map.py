"""The README's map of folders matches the tree: every folder it names exists, and every
package of the layers (and every top folder) is named."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]


def mapped() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("### Where things are", 1)[1].split("```")[1]
    return {m.group(1) for m in re.finditer(r"^([a-z_][\w/]*/)", block, re.M)}


def packages(below: str) -> set[str]:
    return {
        f"{p.parent.relative_to(ROOT)}/"
        for p in (ROOT / below).glob("*/__init__.py")
        if not p.parent.name.startswith("_")
    }


def test_every_folder_the_map_names_exists() -> None:
    missing = sorted(f for f in mapped() if not (ROOT / f).is_dir())
    assert missing == []


def test_the_map_names_every_layer_package_and_top_folder() -> None:
    expected = {"contracts/", "shared/", "deploy/", "examples/", "tests/", "bench/"}
    expected |= {
        f"{p.relative_to(ROOT)}/"
        for p in (ROOT / "shared").iterdir()
        if p.is_dir() and (p / "__init__.py").exists()
    }
    expected |= {"contracts/files/"}
    expected |= packages("services") | packages("services/projection")
    assert sorted(expected - mapped()) == []
