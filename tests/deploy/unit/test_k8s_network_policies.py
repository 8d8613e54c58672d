"""The opt-in network-policies component: default deny, then exactly the flows the platform uses.

A small evaluator applies the policies to the pods' labels the way a NetworkPolicy controller
does (same namespace; a flow needs the caller's egress and the callee's ingress both allowed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "k8s"
COMPONENT = K8S / "components" / "network-policies"
SERVICES = sorted(path.parent.name for path in ROOT.glob("services/*/pyproject.toml"))
BACKENDS = [service for service in SERVICES if service != "edge"]
GRPC, POSTGRES, NATS, HTTPS, DNS = 50051, 5432, 4222, 443, 53
OUTSIDE: dict[str, str] | None = None  # a peer that is no Atelier pod (internet, managed database)

Policy = dict[str, Any]
Labels = dict[str, str] | None


def load(path: Path) -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def policies() -> list[Policy]:
    component = load(COMPONENT / "kustomization.yaml")[0]
    assert component["kind"] == "Component"
    return [policy for file in component["resources"] for policy in load(COMPONENT / file)]


def policies_named(name: str) -> list[Policy]:
    return [policy for policy in policies() if policy["metadata"]["name"] == name]


def pod_labels(service: str) -> dict[str, str]:
    """The labels of the service's pods once the base kustomization has added its common ones."""
    (deployment,) = [d for d in load(K8S / "base" / f"{service}.yaml") if d["kind"] == "Deployment"]
    labels: dict[str, str] = dict(deployment["spec"]["template"]["metadata"]["labels"])
    for entry in load(K8S / "base" / "kustomization.yaml")[0]["labels"]:
        if entry.get("includeTemplates"):
            labels.update(entry["pairs"])
    return labels


def selects(selector: dict[str, Any], labels: Labels) -> bool:
    if labels is None:
        return False
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", "the evaluator knows `In` only"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def peer_matches(peer: dict[str, Any], labels: Labels) -> bool:
    if "namespaceSelector" in peer:
        return False  # only cluster DNS is reached in another namespace
    if "ipBlock" in peer:
        return labels is None
    return selects(peer["podSelector"], labels)


def rule_allows(rule: dict[str, Any], peers_key: str, peer: Labels, port: int) -> bool:
    ports = rule.get("ports")
    if ports is not None and all(entry["port"] != port for entry in ports):
        return False
    peers = rule.get(peers_key)
    return peers is None or any(peer_matches(candidate, peer) for candidate in peers)


def direction_allows(direction: str, pod: Labels, peer: Labels, port: int) -> bool:
    if pod is None:
        return True  # nothing outside the namespace's Atelier pods is governed here
    rules_key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    specs = [policy["spec"] for policy in policies()]
    governing = [
        spec
        for spec in specs
        if direction in spec["policyTypes"] and selects(spec["podSelector"], pod)
    ]
    if not governing:
        return True
    return any(
        rule_allows(rule, peers_key, peer, port)
        for spec in governing
        for rule in spec.get(rules_key, [])
    )


def allowed(source: Labels, destination: Labels, port: int) -> bool:
    return direction_allows("Egress", source, destination, port) and direction_allows(
        "Ingress", destination, source, port
    )


def test_every_atelier_pod_is_denied_by_default() -> None:
    (deny,) = policies_named("atelier-default-deny")
    assert set(deny["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny["spec"]
    assert "egress" not in deny["spec"]
    assert all(selects(deny["spec"]["podSelector"], pod_labels(s)) for s in SERVICES)


@pytest.mark.parametrize("backend", BACKENDS)
def test_edge_may_call_every_backend(backend: str) -> None:
    assert allowed(pod_labels("edge"), pod_labels(backend), GRPC)


@pytest.mark.parametrize("caller", ["generation", "billing"])
def test_the_sagas_may_call_credits(caller: str) -> None:
    assert allowed(pod_labels(caller), pod_labels("credits"), GRPC)


@pytest.mark.parametrize(
    ("caller", "callee"),
    [("credits", "generation"), ("media", "credits"), ("credits", "edge"), ("media", "billing")],
)
def test_services_may_not_call_what_they_never_call(caller: str, callee: str) -> None:
    assert not allowed(pod_labels(caller), pod_labels(callee), GRPC)


@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_reaches_postgres_and_nats_and_is_closed_to_outside(backend: str) -> None:
    assert allowed(pod_labels(backend), OUTSIDE, POSTGRES)
    assert allowed(pod_labels(backend), OUTSIDE, NATS)
    assert not allowed(OUTSIDE, pod_labels(backend), GRPC)


def test_edge_is_public_reaches_nats_and_has_no_database() -> None:
    assert allowed(OUTSIDE, pod_labels("edge"), 8080)
    assert allowed(pod_labels("edge"), OUTSIDE, NATS)
    assert not allowed(pod_labels("edge"), OUTSIDE, POSTGRES)


def test_only_services_with_outside_partners_may_call_https() -> None:
    reaching = {service for service in SERVICES if allowed(pod_labels(service), OUTSIDE, HTTPS)}
    assert reaching == {"edge", "generation", "media", "billing"}


def test_every_service_may_resolve_names() -> None:
    (dns,) = policies_named("atelier-allow-dns")
    assert all(selects(dns["spec"]["podSelector"], pod_labels(s)) for s in SERVICES)
    (rule,) = dns["spec"]["egress"]
    assert {entry["port"] for entry in rule["ports"]} == {DNS}
