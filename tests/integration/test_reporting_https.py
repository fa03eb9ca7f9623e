"""The reporting API over HTTPS: a certificate made here by a test CA (trustme), uvicorn given
the certificate and key files, and the CLI's client trusting that CA with a bearer token."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
import trustme

from services.projection.app import SettingsError, start_projection_service, tls_files
from shared import reporting_client
from shared.accounts import credentials, users
from shared.settings import Settings
from shared.testing import Sandbox, wait_for
from tests.e2e.conftest import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def https_settings(sandbox: Sandbox, ca: trustme.CA, tmp_path: Path) -> Settings:
    server = ca.issue_cert("127.0.0.1", "localhost")
    cert, key = tmp_path / "server.pem", tmp_path / "server.key"
    server.cert_chain_pems[0].write_to_path(str(cert))
    for pem in server.cert_chain_pems[1:]:
        pem.write_to_path(str(cert), append=True)
    server.private_key_pem.write_to_path(str(key))
    return Settings(
        nats_url=sandbox.nats_url,
        database_url=sandbox.database_url,
        namespace=sandbox.namespace,
        http_port=free_port(),
        http_certfile=cert,
        http_keyfile=key,
    )


@pytest.fixture
async def https_url(https_settings: Settings, ca: trustme.CA) -> AsyncIterator[str]:
    service = await start_projection_service(https_settings)
    url = f"https://127.0.0.1:{https_settings.http_port}"
    context = ssl.create_default_context()
    ca.configure_trust(context)
    try:
        async with httpx.AsyncClient(base_url=url, verify=context) as client:

            async def answers() -> bool:
                try:
                    return (await client.get("/health")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_for(answers, timeout=30)
        yield url
    finally:
        await service.close()


async def test_a_report_is_fetched_over_https_with_the_ca_and_a_token(
    https_url: str, pool: asyncpg.Pool, ca: trustme.CA, tmp_path: Path
) -> None:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    await users.add_user(pool, "tls.viewer", ["province_viewer"], [], "a long password")
    token, _ = await credentials.issue_token(pool, "tls.viewer", timedelta(hours=1))

    server = reporting_client.ReportingServer(https_url, token, ca_file)
    coverage = await asyncio.to_thread(
        reporting_client.fetch, server, "/api/aid-coverage", "GET", term="2017-autumn"
    )
    assert [r["stage"] for r in coverage][:2] == ["preschool", "primary"]
    assert all(r["registered"] == 0 for r in coverage)

    untrusted = reporting_client.ReportingServer(https_url, token)
    with pytest.raises(reporting_client.ReportUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        await asyncio.to_thread(
            reporting_client.fetch, untrusted, "/api/aid-coverage", term="2017-autumn"
        )

    context = ssl.create_default_context(cafile=str(ca_file))
    async with httpx.AsyncClient(base_url=https_url, verify=context) as browser:
        login = await browser.post(
            "/login",
            data={"name": "tls.viewer", "password": "a long password"},
            headers={"Origin": https_url},
        )
    assert login.status_code == 303
    assert "Secure" in login.headers["set-cookie"], "over HTTPS the cookie never travels in clear"


def test_a_certificate_without_its_key_is_refused_before_anything_starts(tmp_path: Path) -> None:
    cert = tmp_path / "server.pem"
    cert.write_text("not used")

    with pytest.raises(SettingsError, match="go together"):
        tls_files(Settings(http_certfile=cert))
    with pytest.raises(SettingsError, match="no such file"):
        tls_files(Settings(http_certfile=cert, http_keyfile=tmp_path / "missing.key"))
    assert tls_files(Settings()) is None
    assert Settings.model_fields["http_host"].default == "127.0.0.1", "not every interface"
