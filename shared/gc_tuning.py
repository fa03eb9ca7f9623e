"""Garbage-collector settings of the long-running processes (services and projection).

Requests and batches allocate many short-lived objects; with the default thresholds a full
collection walks every object made at startup (modules, pydantic schemas, caches) again and
again, which cost a projection about a fifth of its catch-up speed (`make bench`) and made a
command service's throughput swing from batch to batch.
"""

from __future__ import annotations

import gc


def tune_gc_for_batches() -> None:
    """Collect cyclic garbage less often."""
    gc.set_threshold(50_000, 20, 100)


def freeze_startup_objects() -> None:
    """Move what startup made out of the collector's sight: it lives as long as the process,
    so no collection needs to walk it again."""
    gc.collect()
    gc.freeze()
