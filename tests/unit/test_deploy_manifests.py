"""The Kubernetes manifests under deploy/k8s: valid against the Kubernetes schemas (offline,
from the `kubernetes-validate` package), complete, probed, limited, and holding no secret."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from shared.launcher import SERVICES
from shared.provision import DOMAIN_SERVICES

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
NATS = K8S.parent / "nats"
KUBERNETES = "1.30.0"
NOT_MANIFESTS = {"kustomization.yaml", "nats-values.yaml"}
MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name not in NOT_MANIFESTS)


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def every_document() -> list[dict[str, Any]]:
    return [d for p in MANIFESTS for d in documents(p)]


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_each_manifest_is_valid_kubernetes(path: Path) -> None:
    for document in documents(path):
        kubernetes_validate.validate(document, KUBERNETES, strict=True)


def test_a_broken_manifest_is_caught() -> None:
    broken = documents(K8S / "assistance.yaml")[0]
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES, strict=True)


def test_the_kustomization_lists_every_manifest() -> None:
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == [p.name for p in MANIFESTS]


def test_every_service_runs_probed_and_limited() -> None:
    deployments = {d["metadata"]["name"]: d for d in every_document() if d["kind"] == "Deployment"}
    assert set(deployments) == {f"eduplan-{s}" for s in (*DOMAIN_SERVICES, "projection")}
    for name, deployment in deployments.items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        service = name.removeprefix("eduplan-")
        assert container["command"] == ["python", "-m", SERVICES[service]]
        assert container["readinessProbe"], name
        assert container["livenessProbe"], name
        assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
        assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"]


def test_no_manifest_holds_a_secret() -> None:
    for path in [*MANIFESTS, K8S / "nats-values.yaml"]:
        text = path.read_text()
        assert not re.search(r"(?i)password\s*[:=]\s*['\"]?\w", text), path.name
        assert not re.search(r"://[^:/@\s]+:[^@\s]+@", text), f"credentials in a URL: {path}"
    for document in every_document():
        for container in _containers(document):
            for env in container.get("env", []):
                if env["name"].endswith("_URL") and "DATABASE" in env["name"] + "NATS":
                    assert "secretKeyRef" in env.get("valueFrom", {}), env


def test_nats_gets_every_password_its_configuration_reads() -> None:
    wanted = set()
    for path in NATS.glob("*.conf"):
        text = "\n".join(line.split("#", 1)[0] for line in path.read_text().splitlines())
        wanted |= set(re.findall(r"\$(NATS_\w+_PASSWORD)", text))
    values = yaml.safe_load((K8S / "nats-values.yaml").read_text())
    given = {e["name"] for e in values["container"]["env"]}
    assert wanted - {"NATS_ROUTE_PASSWORD"} <= given


def _containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    spec = document.get("spec", {})
    template = spec.get("template", {}).get("spec", {})
    return list(template.get("containers", []))
