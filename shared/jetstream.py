"""NATS connections and the JetStream stream each service owns."""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import nats
import structlog
from faststream.nats.security import NatsSecurity, NatsUserPassword
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig, StreamInfo
from nats.js.errors import NotFoundError

from contracts.subjects import service_events, stream_name
from shared import i18n
from shared.servers import redact

log = structlog.get_logger()
T = TypeVar("T")


class NatsUnreachable(Exception):
    """The first connection to NATS failed: no server answers, or it refused the identity."""


class PermissionRefused(Exception):
    """The NATS server refused a publish or subscription of this identity."""


class StreamNotProvisioned(Exception):
    """A stream is missing and this identity may not create it."""


_VIOLATION = re.compile(r'permissions violation for (?:publish|subscription) to "([^"]+)"', re.I)


class Refusals:
    """The server's permission violations, matched to the requests waiting on them.

    NATS drops a publish the identity may not make and reports it asynchronously; without
    this, a refused request would only time out, with no reason given.
    """

    def __init__(self) -> None:
        self._waiting: dict[str, list[asyncio.Future[str]]] = {}

    def note(self, error: Exception) -> bool:
        match = _VIOLATION.search(str(error))
        if not match:
            return False
        for waiter in self._waiting.pop(match[1].lower(), []):  # the server lowercases it
            if not waiter.done():
                waiter.set_result(str(error))
        return True

    async def guard(self, subject: str, work: Awaitable[T]) -> T:
        """Await `work` unless the server refuses `subject` first (PermissionRefused)."""
        refused: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        subject = subject.lower()
        self._waiting.setdefault(subject, []).append(refused)
        task = asyncio.ensure_future(work)
        try:
            either: set[asyncio.Future[Any]] = {task, refused}
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            if refused.done():
                task.cancel()
                raise PermissionRefused(refused.result())
            return task.result()
        finally:
            # Cancelled meanwhile (e.g. by a batch's first failure): the request's own end is
            # not news, and must not be logged as a task exception never retrieved.
            if not task.done():
                task.cancel()
            elif not task.cancelled():
                task.exception()
            waiting = self._waiting.get(subject, [])
            if refused in waiting:
                waiting.remove(refused)
            if not waiting:
                self._waiting.pop(subject, None)


def refusals_of(nc: NATS) -> Refusals:
    found = getattr(nc, "refusals", None)
    return found if isinstance(found, Refusals) else Refusals()


async def request_or_refused(nc: NATS, subject: str, body: bytes, timeout: float) -> bytes:
    """A request that fails at once with PermissionRefused if the server refuses it."""
    reply = await refusals_of(nc).guard(subject, nc.request(subject, body, timeout=timeout))
    return reply.data


async def connect_nats(
    url: str, name: str, *, wait: float = 5.0, tls: ssl.SSLContext | None = None
) -> NATS:
    """Connect, reconnecting forever once connected; give up the first connect after `wait`
    seconds, or at once if the server refuses the credentials (NatsUnreachable).

    `url` may list several servers separated by commas. Credentials in the first URL are also
    passed as options, so they reach cluster nodes discovered later as well.
    """
    client = FastHeaderClient()
    refused = asyncio.Event()
    last_error: list[str] = []

    async def on_error(error: Exception) -> None:
        if client.refusals.note(error):
            log.warning("nats_permission_refused", connection=name, error=str(error))
            return
        last_error[:] = [str(error) or type(error).__name__]
        if "authorization violation" in str(error).lower() or isinstance(
            error, nats.errors.AuthorizationError
        ):
            refused.set()
        log.debug("nats_connection_error", connection=name, error=last_error[0])

    connecting = asyncio.ensure_future(
        client.connect(
            name=name,
            **server_options(url, tls),  # type: ignore[arg-type]
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=2,
            error_cb=on_error,
        )
    )
    refusal = asyncio.ensure_future(refused.wait())
    await asyncio.wait({connecting, refusal}, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
    refusal.cancel()
    if connecting.done() and connecting.exception() is None:
        return client
    connecting.cancel()
    with contextlib.suppress(Exception):
        await client.close()
    reason = (
        i18n.text("error.nats_refused_user")
        if refused.is_set()
        else (
            last_error[0]
            if last_error
            else i18n.text("error.nats_no_answer", seconds=f"{wait:.0f}")
        )
    )
    raise NatsUnreachable(i18n.text("error.nats_unreachable", url=redact(url), reason=reason))


def server_options(url: str, tls: ssl.SSLContext | None = None) -> dict[str, object]:
    """Connect options for a URL that may list several servers separated by commas.

    Credentials in the first URL are also passed as options: nats-py does not carry them over
    to the cluster nodes it discovers later. A user gets replies under `_INBOX_<user>`, the
    only inbox the server's permissions let it read (deploy/nats/nats-server.conf), so no
    user can overhear the replies or pull deliveries meant for another.
    """
    servers, user, password = _parse(url)
    options: dict[str, object] = {"servers": servers}
    if user:
        options |= {"user": user, "password": password, "inbox_prefix": f"_INBOX_{user}"}
    if tls is not None:
        options["tls"] = tls
    return options


def broker_options(url: str, tls: ssl.SSLContext | None = None) -> dict[str, object]:
    """The same for FastStream's NatsBroker, which takes credentials and TLS as `security`
    (and refuses them in the URLs as well)."""
    servers, user, password = _parse(url)
    options: dict[str, object] = {"servers": [_without_credentials(s) for s in servers]}
    if user:
        options |= {
            "security": NatsUserPassword(user, password, ssl_context=tls),
            "inbox_prefix": f"_INBOX_{user}",
        }
    elif tls is not None:
        options["security"] = NatsSecurity(ssl_context=tls)
    return options


def _without_credentials(server: str) -> str:
    parts = urlsplit(server)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def user_of(url: str) -> str | None:
    """The NATS user named in a URL, if any."""
    return _parse(url)[1] or None


def _parse(url: str) -> tuple[list[str], str, str]:
    servers = [u.strip() for u in url.split(",") if u.strip()]
    first = urlsplit(servers[0])
    return servers, unquote(first.username or ""), unquote(first.password or "")


def nats_tls(
    ca_file: Path | None, cert_file: Path | None, key_file: Path | None
) -> ssl.SSLContext | None:
    """A TLS context trusting `ca_file` (else the system's CAs), with a client certificate if
    given; None when no TLS setting is given (plain TCP, or `tls://` URLs with system CAs)."""
    if ca_file is None and cert_file is None:
        return None
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    if cert_file is not None:
        context.load_cert_chain(str(cert_file), str(key_file) if key_file else None)
    return context


def stream_config(
    service: str, namespace: str, duplicate_window: float, replicas: int = 1
) -> StreamConfig:
    return StreamConfig(
        name=stream_name(service, namespace),
        description=f"Events of the {service} service: facts, kept for replay and audit.",
        subjects=[service_events(service, namespace)],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_age=0,
        duplicate_window=duplicate_window,
        num_replicas=replicas,
    )


async def ensure_stream(
    js: JetStreamContext,
    service: str,
    namespace: str = "",
    duplicate_window: float = 7200,
    replicas: int = 1,
) -> StreamInfo:
    """The service's stream, created or brought to the configured settings where this
    identity may; in a secured deployment streams are provisioned by an operator
    (`eduplan provision`) and a service may only read its stream's information."""
    config = stream_config(service, namespace, duplicate_window, replicas)
    name = config.name or ""
    refusals = refusals_of(js._nc)
    try:
        info = await js.stream_info(name)
    except NotFoundError:
        try:
            created = await refusals.guard(f"$JS.API.STREAM.CREATE.{name}", js.add_stream(config))
        except PermissionRefused:
            raise StreamNotProvisioned(
                f"stream {name} does not exist and this identity may not create it:"
                " run `eduplan provision` first"
            ) from None
        log.info("stream_created", stream=name)
        return created
    if _same(info.config, config):
        return info
    try:
        return await refusals.guard(f"$JS.API.STREAM.UPDATE.{name}", js.update_stream(config))
    except PermissionRefused:
        log.warning("stream_settings_differ", stream=name, hint="run `eduplan provision`")
        return info


def _same(actual: StreamConfig, wanted: StreamConfig) -> bool:
    return (
        actual.subjects == wanted.subjects
        and actual.duplicate_window == wanted.duplicate_window
        and (actual.num_replicas or 1) == wanted.num_replicas
        and actual.retention == wanted.retention
        and actual.storage == wanted.storage
        and not actual.max_age
    )


class FastHeaderClient(NATS):
    """nats-py's client with a header parser that checks names in C, not char by char, and
    the server's permission refusals at hand (`refusals`).

    nats-py 2.16 spends a quarter of a projection's catch-up time in `_parse_header_lines`
    testing each character of each header name for whitespace; the result is the same.
    """

    def __init__(self) -> None:
        super().__init__()
        self.refusals = Refusals()

    @staticmethod
    def _parse_header_lines(raw: bytes) -> dict[str, str]:
        out: dict[str, str] = {}
        for line in raw.split(b"\r\n"):
            name, sep, value = line.partition(b":")
            if not sep:
                continue
            key = name.strip()
            if not key or len(key.split()) != 1 or not key.isascii():
                continue
            out[key.decode("ascii")] = value.strip().decode("utf-8", "replace")
        return out
