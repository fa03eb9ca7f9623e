"""NATS over TLS with client certificates, as the EDUPLAN_NATS_TLS_* settings configure it:
a service serves commands and relays its events, a client without the CA or without a
certificate of its own is turned away with one clear line."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from contracts.envelope import Accepted
from services.assistance.app import configure as configure_assistance
from shared.commandbus import CommandClient, new_command
from shared.jetstream import NatsUnreachable, connect_nats, nats_tls
from shared.servers import _free_port, _nats_binary, port_open, terminate
from shared.service import start_service
from shared.settings import Settings
from shared.testing import Sandbox, wait_for
from tests.support.builders import register_student

pytestmark = pytest.mark.integration


class Certificates:
    def __init__(self, folder: Path) -> None:
        ca = trustme.CA()
        self.ca = folder / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca))
        self.server = folder / "server.pem"
        ca.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(
            str(self.server)
        )
        client = ca.issue_cert("assistance.eduplan")
        self.client_cert, self.client_key = folder / "client.pem", folder / "client.key"
        client.cert_chain_pems[0].write_to_path(str(self.client_cert))
        client.private_key_pem.write_to_path(str(self.client_key))


@pytest.fixture(scope="module")
def tls_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Certificates]]:
    """nats-server requiring TLS and a client certificate signed by the test CA."""
    folder = tmp_path_factory.mktemp("nats-tls")
    certs = Certificates(folder)
    (folder / "tls.conf").write_text(
        f'jetstream {{ store_dir: "{folder / "js"}" }}\n'
        f'tls {{ cert_file: "{certs.server}", key_file: "{certs.server}",'
        f' ca_file: "{certs.ca}", verify: true, timeout: 2 }}\n'
    )
    port = _free_port()
    process = subprocess.Popen(
        [_nats_binary(), "-c", str(folder / "tls.conf"), "-a", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", port, timeout=0.1):
            assert process.poll() is None, "nats-server exited"
            assert time.monotonic() < deadline, "nats-server did not start"
            time.sleep(0.02)
        yield f"nats://127.0.0.1:{port}", certs
    finally:
        terminate(process)


async def test_a_service_serves_and_relays_over_tls(
    tls_nats: tuple[str, Certificates], sandbox: Sandbox
) -> None:
    url, certs = tls_nats
    settings = Settings(
        nats_url=url,
        database_url=sandbox.database_url,
        namespace=sandbox.namespace,
        nats_tls_ca=certs.ca,
        nats_tls_cert=certs.client_cert,
        nats_tls_key=certs.client_key,
    )
    runtime = await start_service("assistance", configure_assistance, settings)
    tls = nats_tls(certs.ca, certs.client_cert, certs.client_key)
    nc = await connect_nats(url, "tls-client", tls=tls)
    try:
        client = CommandClient(nc, "assistance", sandbox.namespace)
        (result,) = await client.send([new_command(register_student(), department="aid_center")])
        assert isinstance(result, Accepted)
        js = nc.jetstream()
        stream = f"{sandbox.namespace.upper()}_ASSISTANCE"

        async def relayed() -> bool:
            return (await js.stream_info(stream)).state.messages >= 2  # catalogue + student

        await wait_for(relayed, timeout=20)
    finally:
        await nc.close()
        await runtime.close()
        await nc_delete_stream(url, tls, stream)


async def nc_delete_stream(url: str, tls: object, stream: str) -> None:
    nc = await connect_nats(url, "cleanup", tls=tls)  # type: ignore[arg-type]
    try:
        await nc.jetstream().delete_stream(stream)
    finally:
        await nc.close()


async def test_without_the_ca_or_a_client_certificate_nats_turns_the_client_away(
    tls_nats: tuple[str, Certificates],
) -> None:
    url, certs = tls_nats
    started = time.monotonic()
    with pytest.raises(NatsUnreachable, match=re.escape(url)):
        await connect_nats(url, "no-ca", wait=3)  # system CAs do not know the test CA
    with pytest.raises(NatsUnreachable, match=re.escape(url)):
        await connect_nats(url, "no-cert", wait=3, tls=nats_tls(certs.ca, None, None))
    assert time.monotonic() - started < 10
