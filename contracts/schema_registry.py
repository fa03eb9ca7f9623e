"""Read the schema registry on the bus: every message schema in a JetStream key-value bucket.

Each service puts the schemas of its events and commands (and the envelopes) into the bucket
`SCHEMAS` (`<NS>_SCHEMAS` under a namespace) when it starts, under the key
`<type>.v<version>`, as a `RegisteredSchema` in JSON. A downstream consumer that has only this
package and nats-py reads one with `fetch_schema`: a single direct get, so it needs no more
permission than `$JS.API.DIRECT.GET.KV_SCHEMAS.>`. This is the one module of `contracts` that
needs nats-py; the others need pydantic only.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Literal

from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from pydantic import BaseModel, ConfigDict, Field

from contracts.subjects import stream_name

KV_OPERATION = "KV-Operation"
"""Header JetStream puts on a deleted or purged key's marker."""


def bucket_name(namespace: str = "") -> str:
    """SCHEMAS, or <NS>_SCHEMAS: namespaced like the streams."""
    return stream_name("schemas", namespace)


def schema_key(message_type: str, version: int) -> str:
    return f"{message_type}.v{version}"


def kv_stream(namespace: str = "") -> str:
    """The stream behind the bucket, as JetStream names it."""
    return f"KV_{bucket_name(namespace)}"


def key_subject(key: str, namespace: str = "") -> str:
    return f"$KV.{bucket_name(namespace)}.{key}"


class RegisteredSchema(BaseModel):
    """One message schema as the registry holds it. Readers ignore fields they do not know."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    kind: Literal["envelope", "event", "command"] = Field(description="What the message is.")
    service: str = Field(
        description="Publisher of the event or server of the command; '' for envelopes."
    )
    type: str = Field(description="Event or command type, e.g. StudentRegistered.")
    version: int = Field(ge=1, description="Schema version; commands have only version 1.")
    mode: Literal["full", "backward", "forward"] = Field(
        description="Compatibility kept within the version: see the README's contracts section."
    )
    json_schema: dict[str, Any] = Field(alias="schema", description="JSON Schema (2020-12).")
    example: dict[str, Any] | None = Field(description="A valid message body, if one exists.")
    released: date | None = Field(description="When this schema was released; None: not yet.")
    revision: int = Field(
        ge=1,
        description="Released revisions of this version up to this schema (+1 when it is not "
        "released yet): a service never replaces a higher revision with a lower one.",
    )

    @property
    def key(self) -> str:
        return schema_key(self.type, self.version)

    def to_bytes(self) -> bytes:
        """Canonical JSON: the same schema always gives the same bytes."""
        data = self.model_dump(mode="json", by_alias=True)
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class RegistryUnavailable(RuntimeError):
    """The bucket does not exist, or the server did not answer (or refused: permissions)."""


async def fetch_schema(
    js: JetStreamContext, message_type: str, version: int, namespace: str = ""
) -> RegisteredSchema | None:
    """The registered schema of a message type and version; None if nobody registered it."""
    key = schema_key(message_type, version)
    try:
        msg = await js.get_msg(
            kv_stream(namespace), subject=key_subject(key, namespace), direct=True
        )
    except NotFoundError:
        return None
    except (NoRespondersError, NatsTimeout, TimeoutError):
        # A missing bucket and a refused request both go unanswered.
        bucket = bucket_name(namespace)
        raise RegistryUnavailable(f"{bucket} did not answer: no bucket, or no permission") from None
    if (msg.headers or {}).get(KV_OPERATION) in ("DEL", "PURGE") or not msg.data:
        return None
    return RegisteredSchema.model_validate_json(msg.data)
