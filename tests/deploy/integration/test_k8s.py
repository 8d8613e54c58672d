"""The kustomize manifests: hardened, probed, sized Deployments; valid objects; rendered overlays.

The structural rules are checked on the base files directly, so they hold on any machine. Where
`kubectl` (with its built-in kustomize) is installed, every overlay is also rendered and the output
checked; without it, each overlay's sources are resolved and validated instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from atelier_runtime.grpc_targets import parse_addresses

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "k8s"
SERVICES = sorted(path.parent.name for path in ROOT.glob("services/*/pyproject.toml"))
BACKENDS = [service for service in SERVICES if service != "edge"]
GRPC_PORT = 50051
EDGE_PORT = 8080
# The oldest Kubernetes we deploy to: the preStop `sleep` action is on by default from 1.30.
OLDEST_KUBERNETES = "1.30.0"
KUBERNETES_VERSIONS = (OLDEST_KUBERNETES, kubernetes_validate.latest_version())
BACKEND_ADDRESSES = {f"ATELIER_{backend.upper()}_ADDR": backend for backend in BACKENDS}
OVERLAYS = ("dev", "prod")
SHARED_CONFIG = {
    *BACKEND_ADDRESSES,
    "ATELIER_NATS_URL",
    "ATELIER_NATS_REPLICAS",
    "ATELIER_S3_ENDPOINT",
    "ATELIER_S3_BUCKET",
    "ATELIER_S3_REGION",
    "ATELIER_LOG_LEVEL",
    "ATELIER_SHUTDOWN_GRACE_S",
    "ATELIER_OTEL_EXPORTER",
}
SECRET_ENV = {
    "ATELIER_DATABASE_URL",
    "ATELIER_JWT_SECRET",
    "ATELIER_S3_ACCESS_KEY",
    "ATELIER_S3_SECRET_KEY",
    "ATELIER_STRIPE_WEBHOOK_SECRET",
}
NETWORK_POLICIES = K8S / "components" / "network-policies"
SCHEMA_PROBLEMS = (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError)
CPU_UNITS = {"m": 0.001}
MEMORY_UNITS = {"Ki": 1024.0, "Mi": 1024.0**2, "Gi": 1024.0**3}

Document = dict[str, Any]


def documents_in(path: Path) -> list[Document]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def manifest_files() -> Iterator[Path]:
    """Every YAML file under k8s/ that holds Kubernetes objects (not kustomize instructions)."""
    for path in sorted(K8S.rglob("*.yaml")):
        if path.name != "kustomization.yaml":
            yield path


def base_objects(service: str, kind: str) -> list[Document]:
    return [d for d in documents_in(K8S / "base" / f"{service}.yaml") if d["kind"] == kind]


def base_deployment(service: str) -> Document:
    (deployment,) = base_objects(service, "Deployment")
    return deployment


def kustomization(directory: Path) -> Document:
    loaded: Document = yaml.safe_load((directory / "kustomization.yaml").read_text())
    return loaded


def config_literals(directory: Path) -> dict[str, str]:
    """The atelier-config values a kustomization sets (or merges into the base's)."""
    generators = kustomization(directory).get("configMapGenerator", [])
    (generator,) = [g for g in generators if g["name"] == "atelier-config"]
    return dict(literal.split("=", 1) for literal in generator["literals"])


def shutdown_grace_s() -> float:
    return float(config_literals(K8S / "base")["ATELIER_SHUTDOWN_GRACE_S"])


def full_dns_target(backend: str, namespace: str) -> str:
    return f"dns:///{backend}.{namespace}.svc.cluster.local:{GRPC_PORT}"


def quantity(value: str | int, units: dict[str, float]) -> float:
    text = str(value)
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return float(text.removesuffix(suffix)) * factor
    return float(text)


def schema_errors(documents: list[Document]) -> list[str]:
    errors = []
    for document in documents:
        for version in KUBERNETES_VERSIONS:
            try:
                kubernetes_validate.validate(document, version, strict=True)
            except SCHEMA_PROBLEMS as exc:
                name = f"{document['kind']}/{document['metadata']['name']}"
                errors.append(f"{name} on {version}: {getattr(exc, 'message', exc)}")
    return errors


def assert_hardened(deployment: Document) -> None:
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["runAsNonRoot"] is True
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}


def assert_probed(deployment: Document, service: str) -> None:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    probes = [container[kind] for kind in ("startupProbe", "readinessProbe", "livenessProbe")]
    if service in BACKENDS:
        assert all(probe["grpc"]["port"] == GRPC_PORT for probe in probes)
    else:
        startup, readiness, liveness = (probe["httpGet"] for probe in probes)
        assert readiness["path"] == "/readyz"
        assert liveness["path"] == startup["path"] == "/healthz"


def assert_sized(deployment: Document) -> None:
    for container in deployment["spec"]["template"]["spec"]["containers"]:
        requests, limits = container["resources"]["requests"], container["resources"]["limits"]
        for resource, units in (("cpu", CPU_UNITS), ("memory", MEMORY_UNITS)):
            assert quantity(requests[resource], units) <= quantity(limits[resource], units)


def assert_outlives_its_shutdown(deployment: Document) -> None:
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pod["terminationGracePeriodSeconds"] > pre_stop + shutdown_grace_s()


def assert_secrets_are_referenced(deployment: Document) -> None:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    for variable in container["env"]:
        if variable["name"] in SECRET_ENV:
            assert "value" not in variable, variable["name"]
            assert variable["valueFrom"]["secretKeyRef"]["name"] == "atelier-secrets"


def test_every_yaml_file_under_k8s_parses_to_kubernetes_objects_or_kustomizations() -> None:
    paths = sorted(K8S.rglob("*.y*ml"))
    assert len(paths) > len(SERVICES)
    for path in paths:
        for document in documents_in(path):
            assert {"apiVersion", "kind"} <= set(document), path


def test_base_holds_one_manifest_per_service_and_lists_each() -> None:
    resources = kustomization(K8S / "base")["resources"]
    assert sorted(resources) == sorted(f"{service}.yaml" for service in SERVICES)
    for service in SERVICES:
        kinds = sorted(d["kind"] for d in documents_in(K8S / "base" / f"{service}.yaml"))
        assert kinds == ["Deployment", "Service"]


@pytest.mark.parametrize("service", SERVICES)
def test_base_deployment_runs_hardened(service: str) -> None:
    assert_hardened(base_deployment(service))


@pytest.mark.parametrize("service", SERVICES)
def test_base_deployment_is_probed_natively(service: str) -> None:
    assert_probed(base_deployment(service), service)


@pytest.mark.parametrize("service", SERVICES)
def test_base_deployment_requests_and_limits_resources(service: str) -> None:
    assert_sized(base_deployment(service))


@pytest.mark.parametrize("service", SERVICES)
def test_base_deployment_waits_longer_than_the_service_drains(service: str) -> None:
    assert_outlives_its_shutdown(base_deployment(service))


@pytest.mark.parametrize("service", SERVICES)
def test_base_deployment_takes_secrets_by_reference_and_config_from_the_shared_map(
    service: str,
) -> None:
    deployment = base_deployment(service)
    assert_secrets_are_referenced(deployment)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["envFrom"] == [{"configMapRef": {"name": "atelier-config"}}]
    assert container["image"] == f"atelier/{service}"


@pytest.mark.parametrize("service", SERVICES)
def test_service_routes_to_the_port_the_container_listens_on(service: str) -> None:
    (service_object,) = base_objects(service, "Service")
    (container,) = base_deployment(service)["spec"]["template"]["spec"]["containers"]
    (port,) = service_object["spec"]["ports"]
    (container_port,) = container["ports"]
    assert port["targetPort"] == container_port["name"]
    assert container_port["containerPort"] == (EDGE_PORT if service == "edge" else GRPC_PORT)
    labels = base_deployment(service)["spec"]["template"]["metadata"]["labels"]
    assert service_object["spec"]["selector"].items() <= labels.items()


@pytest.mark.parametrize("service", SERVICES)
def test_backends_are_headless_so_callers_balance_over_their_pods(service: str) -> None:
    (service_object,) = base_objects(service, "Service")
    headless = service_object["spec"].get("clusterIP") == "None"
    assert headless == (service in BACKENDS)


def test_base_reaches_each_backend_by_dns_name_in_the_namespace_it_is_deployed_to() -> None:
    literals = config_literals(K8S / "base")
    for variable, backend in BACKEND_ADDRESSES.items():
        assert literals[variable] == f"dns:///{backend}:{GRPC_PORT}"
        assert [str(a) for a in parse_addresses(literals[variable])] == [f"{backend}:{GRPC_PORT}"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_names_each_backend_in_full_in_its_own_namespace(overlay: str) -> None:
    directory = K8S / "overlays" / overlay
    namespace = kustomization(directory)["namespace"]
    literals = config_literals(directory)
    for variable, backend in BACKEND_ADDRESSES.items():
        assert literals[variable] == full_dns_target(backend, namespace)
        parse_addresses(literals[variable])


def test_no_container_overrides_the_shared_backend_addresses() -> None:
    for service in SERVICES:
        (container,) = base_deployment(service)["spec"]["template"]["spec"]["containers"]
        assert not {variable["name"] for variable in container["env"]} & set(BACKEND_ADDRESSES)


def test_no_secret_values_are_kept_in_the_manifests() -> None:
    for path in manifest_files():
        assert all(d["kind"] != "Secret" for d in documents_in(path)), path
    for path in K8S.rglob("kustomization.yaml"):
        assert "secretGenerator" not in kustomization(path.parent), path


def test_shared_config_map_holds_the_non_secret_settings() -> None:
    (generator,) = kustomization(K8S / "base")["configMapGenerator"]
    keys = {literal.split("=", 1)[0] for literal in generator["literals"]}
    assert generator["name"] == "atelier-config"
    assert keys == SHARED_CONFIG
    assert not keys & SECRET_ENV


def test_every_manifest_is_a_valid_kubernetes_object() -> None:
    documents = [document for path in manifest_files() for document in documents_in(path)]
    assert len(documents) >= 2 * len(SERVICES)
    assert schema_errors(documents) == []


def test_prod_scales_edge_and_generation_by_cpu_and_pins_the_rest() -> None:
    prod = K8S / "overlays" / "prod"
    autoscalers = documents_in(prod / "autoscaling.yaml")
    targets = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in autoscalers}
    assert targets == {"edge", "generation"}
    assert all(hpa["spec"]["minReplicas"] >= 2 for hpa in autoscalers)
    # A fixed count beside an autoscaler would reset the autoscaler's choice on every apply.
    pinned = {entry["name"]: entry["count"] for entry in kustomization(prod)["replicas"]}
    assert set(pinned) == set(SERVICES) - targets
    assert all(count >= 2 for count in pinned.values())
    assert all("replicas" not in base_deployment(service)["spec"] for service in SERVICES)


# Rendering the overlays -----------------------------------------------------------------------


def kubectl() -> str | None:
    return shutil.which("kubectl")


def prod_with_network_policies(workdir: Path) -> Path:
    """An overlay that opts into the component the way the README tells operators to."""
    prod = K8S / "overlays" / "prod"
    overlay = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": kustomization(prod)["namespace"],
        "resources": [os.path.relpath(prod, workdir)],
        "components": [os.path.relpath(NETWORK_POLICIES, workdir)],
    }
    (workdir / "kustomization.yaml").write_text(yaml.safe_dump(overlay))
    return workdir


def overlay_directory(name: str, workdir: Path) -> Path:
    if name == "prod+network-policies":
        return prod_with_network_policies(workdir)
    return K8S / "overlays" / name


def render(directory: Path, kubectl_path: str) -> list[Document]:
    rendered = subprocess.run(
        [kubectl_path, "kustomize", str(directory)], capture_output=True, text=True, check=False
    )
    assert rendered.returncode == 0, rendered.stderr
    return [document for document in yaml.safe_load_all(rendered.stdout) if document]


def sources_of(directory: Path) -> Iterator[Path]:
    """Every file and directory an overlay pulls in, transitively (what kustomize would read)."""
    instructions = kustomization(directory)
    for entry in [*instructions.get("resources", []), *instructions.get("components", [])]:
        source = (directory / entry).resolve()
        assert source.exists(), f"{directory}: {entry} does not exist"
        yield source
        if source.is_dir():
            yield from sources_of(source)


def assert_rendered_output_is_deployable(name: str, documents: list[Document]) -> None:
    assert schema_errors(documents) == []
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    assert sorted(deployments) == SERVICES
    (config_map,) = [d for d in documents if d["kind"] == "ConfigMap"]
    for service, deployment in deployments.items():
        assert_hardened(deployment)
        assert_probed(deployment, service)
        assert_sized(deployment)
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        # The generated, hash-suffixed name must have replaced the base reference.
        assert container["envFrom"][0]["configMapRef"]["name"] == config_map["metadata"]["name"]
        image, _, tag = container["image"].rpartition(":")
        assert image.endswith(f"atelier/{service}")
        assert tag not in ("", "latest")
    assert all(d["metadata"].get("namespace") for d in documents if d["kind"] != "Namespace")
    namespace = config_map["metadata"]["namespace"]
    for variable, backend in BACKEND_ADDRESSES.items():
        assert config_map["data"][variable] == full_dns_target(backend, namespace)
    services = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Service"}
    assert {name for name, s in services.items() if s["spec"].get("clusterIP") == "None"} == set(
        BACKENDS
    )
    policies = [d for d in documents if d["kind"] == "NetworkPolicy"]
    assert bool(policies) == name.endswith("+network-policies")


@pytest.mark.parametrize("name", ["dev", "prod", "prod+network-policies"])
def test_overlay_renders_to_deployable_objects(name: str, tmp_path: Path) -> None:
    directory = overlay_directory(name, tmp_path)
    kubectl_path = kubectl()
    if kubectl_path is not None:
        assert_rendered_output_is_deployable(name, render(directory, kubectl_path))
        return
    # No kustomize here: check that everything the overlay names exists and is itself valid.
    sources = list(sources_of(directory))
    assert K8S / "base" / "edge.yaml" in sources
    documents = [d for path in sources if path.is_file() for d in documents_in(path)]
    assert documents
    assert schema_errors(documents) == []


def test_streams_are_replicated_three_times_in_production_and_once_elsewhere() -> None:
    overlays = {
        name: (K8S / "overlays" / name / "kustomization.yaml").read_text() for name in OVERLAYS
    }
    assert "ATELIER_NATS_REPLICAS=3" in overlays["prod"]
    assert "ATELIER_NATS_REPLICAS" not in overlays["dev"]
    assert "ATELIER_NATS_REPLICAS=1" in (K8S / "base" / "kustomization.yaml").read_text()
