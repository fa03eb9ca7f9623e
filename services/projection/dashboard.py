"""The dashboard page and its files, served by the projection service (no external CDN)."""

from __future__ import annotations

from pathlib import Path

from services.projection.http import Asset

STATIC = Path(__file__).with_name("static")
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


def assets() -> dict[str, Asset]:
    """`/` is the dashboard; every other file of static/ under `/static/<name>`."""
    files = {
        f"/static/{p.name}": Asset(p.read_bytes(), TYPES.get(p.suffix, "application/octet-stream"))
        for p in sorted(STATIC.iterdir())
        if p.is_file()
    }
    if "/static/index.html" in files:
        files["/"] = files["/static/index.html"]
    return files
