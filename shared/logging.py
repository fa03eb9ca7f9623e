"""structlog set-up: key-value events, JSON when not on a terminal, one line per event.

Libraries log through the standard `logging` module (nats-py, uvicorn, asyncio) or their own
handlers (faststream): every record is routed to one handler rendered by structlog, so
when logs are JSON, every line is JSON, tracebacks included (as a field).
"""

from __future__ import annotations

import logging
import sys
from types import TracebackType

import structlog

BROKER_LOGGER = "eduplan.broker"


def configure_logging(level: str = "INFO", json: bool | None = None, service: str = "") -> None:
    as_json = (not sys.stderr.isatty()) if json is None else json
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    )
    numeric = logging.getLevelName(level.upper())
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    tracebacks = [structlog.processors.format_exc_info] if as_json else []
    _route_standard_logging(numeric, shared, [*tracebacks, renderer])
    structlog.configure(
        processors=[*shared, *tracebacks, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    if service:
        structlog.contextvars.bind_contextvars(service=service)
    if as_json:
        sys.excepthook = _log_uncaught


def broker_logger() -> logging.Logger:
    """The logger to give faststream (`NatsBroker(logger=...)`): its records go through the
    same handler as everything else, instead of faststream's own coloured one."""
    return logging.getLogger(BROKER_LOGGER)


def _route_standard_logging(
    level: int,
    shared: list[structlog.types.Processor],
    rendering: list[structlog.types.Processor],
) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                *shared,
                structlog.stdlib.add_logger_name,
                structlog.stdlib.ExtraAdder(),
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *rendering,
            ],
        )
    )
    root = logging.getLogger()
    # Plain stream handlers (basicConfig's, an earlier call's) would print a second, raw line.
    root.handlers = [h for h in root.handlers if type(h) is not logging.StreamHandler]
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
    # faststream gives its loggers handlers of their own and stops propagation: undo that.
    for name in ("faststream", BROKER_LOGGER):
        own = logging.getLogger(name)
        own.handlers = []
        own.propagate = True
    for noisy in ("faststream", BROKER_LOGGER, "nats", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _log_uncaught(
    kind: type[BaseException], value: BaseException, traceback: TracebackType | None
) -> None:
    structlog.get_logger().critical("uncaught_exception", exc_info=(kind, value, traceback))
