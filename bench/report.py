"""The printed table (each figure beside the raw limit or the peer's, as a ratio, and its target)
and the chart of latency against offered load."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = "bench/results/latest.json"
Getter = Callable[[dict[str, Any]], float]


def _get(*path: str) -> Getter:
    def read(results: dict[str, Any]) -> float:
        value: Any = results
        for key in path:
            value = value[key]
        return float(value)

    return read


# (figure, unit, value, compared with (name, value), target: (">=" | "<=", number))
ROWS: list[tuple[str, str, Getter, tuple[str, Getter] | None, tuple[str, float] | None]] = [
    ("raw: asyncpg COPY", "rows/s", _get("raw", "copy_rows_per_s"), None, None),
    ("raw: JetStream publish (pipelined)", "msgs/s", _get("raw", "publish_msgs_per_s"), None, None),
    ("raw: JetStream fetch(500) + ack", "msgs/s", _get("raw", "fetch_ack_msgs_per_s"), None, None),
    *[
        (
            f"commands, {n} in flight",
            "cmd/s",
            _get("commands", "in_flight", n, "achieved_per_s"),
            ("peer one aggregate per tx", _get("peer", "one_per_tx_aggregates_per_s")),
            (">=", 2000) if n == "64" else None,
        )
        for n in ("1", "16", "64")
    ],
    *[
        (
            f"commands, {n} in flight p99",
            "ms",
            _get("commands", "in_flight", n, "p99_ms"),
            None,
            None,
        )
        for n in ("1", "16", "64")
    ],
    *[
        (
            f"commands, offered {r}/s achieved",
            "cmd/s",
            _get("commands", "offered", r, "achieved_per_s"),
            None,
            None,
        )
        for r in ("500", "1000")
    ],
    *[
        (
            f"commands, offered {r}/s {p}",
            "ms",
            _get("commands", "offered", r, f"{p}_ms"),
            None,
            ("<=", 50) if (r, p) == ("1000", "p99") else None,
        )
        for r in ("500", "1000")
        for p in ("p50", "p99")
    ],
    (
        "command -> read model p99 at 500/s",
        "ms",
        _get("commands", "offered", "500", "visible_p99_ms"),
        None,
        ("<=", 100),
    ),
    (
        "CPU per command at 64 in flight (all)",
        "ms",
        _get("commands", "in_flight", "64", "cpu_ms_per_command", "total"),
        None,
        None,
    ),
    (
        "relay, empty store",
        "events/s",
        _get("relay", "empty_events_per_s"),
        ("raw publish", _get("raw", "publish_msgs_per_s")),
        (">=", 10_000),
    ),
    (
        "relay, store holding many events",
        "events/s",
        _get("relay", "deep_events_per_s"),
        ("raw publish", _get("raw", "publish_msgs_per_s")),
        (">=", 10_000),
    ),
    (
        "roster import",
        "events/s",
        _get("bulk", "import_events_per_s"),
        ("peer batched appends", _get("peer", "batched_events_per_s")),
        None,
    ),
    (
        "roster import (CLI to service) with personal parts sealed",
        "students/s",
        _get("encryption", "import", "students_per_s_sealed"),
        ("in clear", _get("encryption", "import", "students_per_s_in_clear")),
        None,
    ),
    (
        "roster import sealed / in clear (median chunk)",
        "ratio",
        _get("encryption", "import", "ratio"),
        None,
        (">=", 0.9),
    ),
    (
        "service's processing alone with personal parts sealed",
        "cmd/s",
        _get("encryption", "registrations_per_s_sealed"),
        ("in clear", _get("encryption", "registrations_per_s_in_clear")),
        None,
    ),
    (
        "processing alone sealed / in clear (median batch)",
        "ratio",
        _get("encryption", "ratio"),
        None,
        None,
    ),
    ("term grant", "students/s", _get("bulk", "grant_students_per_s"), None, None),
    (
        "read models complete after last grant reply",
        "s",
        _get("bulk", "complete_after_s"),
        None,
        ("<=", 10),
    ),
    (
        "exactly-once catch-up (aid_coverage)",
        "events/s",
        _get("projection", "catch_up_events_per_s"),
        ("peer in-memory fold", _get("peer", "fold_events_per_s")),
        None,
    ),
    (
        "full rebuild (every read model of the stream)",
        "events/s",
        _get("projection", "rebuild_events_per_s"),
        ("peer in-memory fold", _get("peer", "fold_events_per_s")),
        None,
    ),
    (
        "exactly-once catch-up vs peer's exactly-once runner",
        "events/s",
        _get("projection", "catch_up_events_per_s"),
        ("peer ProjectionRunner", _get("peer", "runner_events_per_s")),
        None,
    ),
    (
        "province: slowest rebuild extrapolated to 10 M",
        "s",
        _get("province", "slowest_rebuild_10m_s"),
        None,
        ("<=", 300),
    ),
    (
        "province: slowest query p95",
        "ms",
        _get("province", "slowest_query_p95_ms"),
        None,
        ("<=", 100),
    ),
]


def rows(results: dict[str, Any]) -> list[tuple[str, float, str, str, str, str]]:
    """(figure, value, unit, beside, ratio, target) for every figure the results hold."""
    out = []
    for name, unit, value, beside, target in ROWS:
        try:
            v = value(results)
        except (KeyError, TypeError):
            continue
        other, ratio = "", ""
        if beside is not None:
            try:
                b = beside[1](results)
                other, ratio = f"{beside[0]} {b:,.0f}", f"{v / b:.2f}x" if b else ""
            except (KeyError, TypeError):
                pass
        goal = ""
        if target is not None:
            op, limit = target
            met = v >= limit if op == ">=" else v <= limit
            goal = f"{op} {limit:,} {'ok' if met else 'MISSED'}"
        out.append((name, v, unit, other, ratio, goal))
    return out


def _header(results: dict[str, Any]) -> str:
    meta = results.get("meta", {})
    return (
        f"measured {meta.get('measured_at')} on {meta.get('machine')};"
        f" load average {_load(meta.get('load_average_before'))} before,"
        f" {_load(meta.get('load_average_after'))} after; {meta.get('total_seconds')} s"
    )


def table(results: dict[str, Any]) -> str:
    lines = [
        _header(results),
        f"{'figure':52} {'value':>10} {'unit':9} {'beside':>28} {'ratio':>7}  target",
    ]
    for name, v, unit, other, ratio, goal in rows(results):
        lines.append(f"{name:52} {_value(v, unit):>10} {unit:9} {other:>28} {ratio:>7}  {goal}")
    for name, reason in results.get("meta", {}).get("failed", {}).items():
        lines.append(f"section {name} FAILED: {reason}")
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    """The same table for the README (`python -m bench.report`)."""
    lines = [
        _header(results),
        "",
        "| figure | value | unit | beside | ratio | target |",
        "|---|---:|---|---|---:|---|",
    ]
    for name, v, unit, other, ratio, goal in rows(results):
        lines.append(f"| {name} | {_value(v, unit)} | {unit} | {other} | {ratio} | {goal} |")
    return "\n".join(lines)


def _value(v: float, unit: str) -> str:
    """A figure as printed: ratios to the hundredth (0.89 is not 0.9), the rest to a tenth."""
    return f"{v:.2f}" if unit == "ratio" else f"{v:,.1f}"


def _load(values: Any) -> str:
    return "/".join(f"{v:.2f}" for v in values) if values else "?"


def chart(results: dict[str, Any], path: Path) -> Path | None:
    """p50 and p99 of single commands against offered load (and the rate achieved)."""
    offered = results.get("commands", {}).get("offered")
    if not offered:
        return None
    try:
        import matplotlib  # noqa: PLC0415 - the optional bench extra

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        return None
    rates = sorted(offered, key=int)
    x = [int(r) for r in rates]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(x, [offered[r]["p50_ms"] for r in rates], "o-", label="p50")
    ax.plot(x, [offered[r]["p99_ms"] for r in rates], "s-", label="p99")
    if any("visible_p99_ms" in offered[r] for r in rates):
        pts = [
            (int(r), offered[r]["visible_p99_ms"]) for r in rates if "visible_p99_ms" in offered[r]
        ]
        ax.plot(*zip(*pts, strict=True), "^", label="p99 visible in read model")
    ax.set_xlabel("offered single commands per second")
    ax.set_ylabel("latency (ms)")
    ax.set_yscale("log")
    ax.axhline(50, color="grey", linestyle=":", linewidth=1)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    meta = results.get("meta", {})
    ax.set_title(f"RegisterStudent, one per request ({meta.get('measured_at', '')[:10]})")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


if __name__ == "__main__":
    import json
    import sys

    print(markdown(json.loads(Path(sys.argv[1] if len(sys.argv) > 1 else RESULTS).read_text())))
