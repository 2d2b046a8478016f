"""Commands that run inside the container (issue 12): a Dockerfile `HEALTHCHECK`, a `RUN`/`CMD`
that curls the app itself, a compose `healthcheck.test`, Kubernetes probes and lifecycle hooks
carry the role `container-command`; a value set for the build (`RUN VITE_X=… npm run build`,
`echo VITE_X=… >> .env`, `ARG`/`ENV` before the build) carries `service`, which no key or file
role may override. Files are written after the tools' own documentation examples (Docker's
HEALTHCHECK reference, the compose spec's healthcheck, Kubernetes' probe and lifecycle tasks)."""
from __future__ import annotations

from twinscan.extract import compose, dockerfile, kubernetes
from twinscan.extract.values import Options

from .conftest import cli_json

CC, SERVICE = "container-command", "service"

DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG HTTP_PROXY=http://127.0.0.1:3128
FROM node:22-alpine AS deps
ENV VITE_POSTHOG_HOST=http://localhost:8000
FROM deps AS build
WORKDIR /app
COPY . .
ARG VITE_STRIPE_BASE_URL=http://localhost:4111
RUN --mount=type=cache,target=/root/.npm npm ci && \\
    VITE_API_URL=http://localhost:8080 npm run build
RUN echo "VITE_TWIN_URL=http://localhost:4112" >> .env
ENV AFTER_BUILD=http://localhost:9000

FROM node:22-alpine AS runtime
ENV OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317
COPY --from=build /app/dist ./dist
RUN node server.mjs & sleep 2 && curl -fsS http://localhost:3000/ready && kill %1
HEALTHCHECK --interval=5m --timeout=3s \\
  CMD curl -f http://localhost/ || exit 1
CMD ["sh", "-c", "wget -qO- http://127.0.0.1:3000/warm; exec node server.mjs"]
"""


def _roles(vals, data: bytes) -> dict[str, tuple[str | None, str]]:
    return {data[v.start:v.end].decode(): (v.role, v.key) for v in vals}


def test_dockerfile_roles_from_values():
    data = DOCKERFILE.encode()
    vals = dockerfile.values(data, "Dockerfile", Options())
    roles = _roles(vals, data)
    assert roles["curl -f http://localhost/ || exit 1"] == (CC, "HEALTHCHECK")
    assert roles["curl -fsS http://localhost:3000/ready"] == (CC, "RUN")
    assert roles["wget -qO- http://127.0.0.1:3000/warm"] == (CC, "CMD")
    # set for the build: service, whatever the key
    assert roles["http://localhost:8080"] == (SERVICE, "VITE_API_URL")
    assert roles["http://localhost:4112"] == (SERVICE, "VITE_TWIN_URL")
    assert roles["http://localhost:4111"] == (SERVICE, "VITE_STRIPE_BASE_URL")
    assert roles["http://localhost:8000"] == (SERVICE, "VITE_POSTHOG_HOST")  # ENV of the base the build stage runs on
    # not feeding a build: the key and the file decide (no role from the extractor)
    assert roles["http://localhost:9000"] == (None, "AFTER_BUILD")
    assert roles["http://localhost:4317"] == (None, "OTEL_EXPORTER_OTLP_ENDPOINT")
    assert roles["http://127.0.0.1:3128"] == (None, "HTTP_PROXY")  # Docker's predefined proxy build arg
    why = {v.key: v.role_reason for v in vals}
    assert why["HEALTHCHECK"] == "Dockerfile `HEALTHCHECK` (runs inside the container)"
    assert "npm run build" in why["VITE_STRIPE_BASE_URL"] and "stage `build`" in why["VITE_STRIPE_BASE_URL"]
    # stage environments are unchanged by roles
    assert {v.environment for v in vals if v.role == CC} == {"production"}


def test_dockerfile_curl_of_another_host_and_plain_commands_get_no_role():
    data = (b"FROM alpine:3.20\n"
            b"RUN curl -fsSL https://deb.nodesource.com/setup_22.x | sh\n"
            b"CMD [\"node\", \"server.mjs\", \"--stripe\", \"http://localhost:4111\"]\n")
    vals = dockerfile.values(data, "Dockerfile", Options())
    assert [v for v in vals if v.role == CC] == []


def test_dockerfile_healthcheck_none_and_exec_form():
    data = (b"FROM nginx:1.27\nHEALTHCHECK NONE\nFROM nginx:1.27\n"
            b'HEALTHCHECK --start-period=10s CMD ["curl", "--fail", "http://127.0.0.1:8080/fpm-ping"]\n')
    vals = dockerfile.values(data, "Dockerfile", Options())
    assert [(v.key, v.role, v.value) for v in vals] == [
        ("HEALTHCHECK", CC, '["curl", "--fail", "http://127.0.0.1:8080/fpm-ping"]')]


def test_dockerfile_through_the_cli(tmp_path):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    code, report = cli_json([tmp_path / "Dockerfile"])
    by_url = {f["url"]: f for f in report["findings"]}
    seen = {u: (f["key"], f["role"], f["blocking"]) for u, f in by_url.items()}
    assert seen["http://localhost/"] == ("HEALTHCHECK", CC, False)
    assert seen["http://localhost:3000/ready"] == ("RUN", CC, False)
    assert seen["http://127.0.0.1:3000/warm"] == ("CMD", CC, False)
    assert "Dockerfile `HEALTHCHECK` (runs inside the container)" in by_url["http://localhost/"]["reason"]
    # values set for the build block whatever their port: Vite inlines them
    assert seen["http://localhost:8080"] == ("VITE_API_URL", SERVICE, True)
    assert seen["http://localhost:4112"] == ("VITE_TWIN_URL", SERVICE, True)
    assert seen["http://localhost:4111"] == ("VITE_STRIPE_BASE_URL", SERVICE, True)
    assert seen["http://localhost:8000"] == ("VITE_POSTHOG_HOST", SERVICE, True)
    assert seen["http://localhost:4317"] == ("OTEL_EXPORTER_OTLP_ENDPOINT", "sidecar", False)
    assert all(f["production"] for f in report["findings"] if f["url"] != "http://127.0.0.1:3128")
    assert code == 1


def test_dockerfile_container_command_with_twin_evidence_keeps_blocking(tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "FROM node:22-alpine\n"
        "RUN node server.mjs & sleep 1 && curl -fsS http://localhost:4111/v1/charges\n"
        "HEALTHCHECK CMD curl -f http://localhost:3000/stripe/health || exit 1\n")
    code, report = cli_json([tmp_path / "Dockerfile"])
    seen = {f["url"]: (f["role"], f["blocking"]) for f in report["findings"]}
    assert seen == {"http://localhost:4111/v1/charges": (CC, True), "http://localhost:3000/stripe/health": (CC, True)}
    assert code == 1


COMPOSE = """\
services:
  web:
    image: ghcr.io/acme/web:1.0
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:3000/health"]
      interval: 1m30s
      timeout: 10s
      retries: 3
      start_period: 40s
  proxy:
    image: nginx:1.27
    healthcheck:
      test: ["CMD-SHELL", "curl -f http://localhost || exit 1"]
  worker:
    image: ghcr.io/acme/worker:1.0
    healthcheck:
      test: curl -f http://127.0.0.1:8081/healthz || exit 1
    environment:
      STRIPE_API_BASE: http://localhost:4111
"""


def test_compose_healthcheck_test_string_and_list_forms():
    data = COMPOSE.encode()
    vals = compose.values(data, "compose.yaml", Options())
    roles = _roles(vals, data)
    assert roles["http://localhost:3000/health"] == (CC, "healthcheck.test")
    assert roles["curl -f http://localhost || exit 1"] == (CC, "healthcheck.test")
    assert roles["curl -f http://127.0.0.1:8081/healthz || exit 1"] == (CC, "healthcheck.test")
    assert roles["http://localhost:4111"] == (None, "STRIPE_API_BASE")
    assert {v.role_reason for v in vals if v.role == CC} == {
        f"compose `services.{s}.healthcheck.test` (runs inside the container)" for s in ("web", "proxy", "worker")}


def test_compose_healthcheck_through_the_cli(tmp_path):
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    code, report = cli_json([tmp_path / "compose.yaml"])
    seen = {f["url"]: (f["key"], f["role"], f["blocking"]) for f in report["findings"]}
    assert seen == {"http://localhost:3000/health": ("healthcheck.test", CC, False),
                    "http://localhost": ("healthcheck.test", CC, False),
                    "http://127.0.0.1:8081/healthz": ("healthcheck.test", CC, False),
                    "http://localhost:4111": ("STRIPE_API_BASE", SERVICE, True)}
    assert code == 1  # the twin in `environment:` blocks


def _workload(kind: str) -> str:
    container = """\
          - name: app
            image: ghcr.io/acme/app:1.0
            env:
            - name: STRIPE_URL
              value: https://api.stripe.com
            livenessProbe:
              exec:
                command: ["curl", "-f", "http://localhost:8080/health"]
            readinessProbe:
              httpGet:
                host: 127.0.0.1
                path: /healthz
                port: 8080
                httpHeaders:
                - name: Custom-Header
                  value: Awesome
            startupProbe:
              grpc:
                port: 2379
            lifecycle:
              postStart:
                exec:
                  command: ["/bin/sh", "-c", "curl -X POST http://localhost:8080/warm"]
              preStop:
                httpGet:
                  path: /drain
                  port: 8080
"""
    sidecar = """\
          initContainers:
          - name: log-shipper
            image: fluent/fluent-bit:3.0
            restartPolicy: Always
            startupProbe:
              tcpSocket:
                host: localhost
                port: 24224
"""
    body = sidecar + "          containers:\n" + container
    head = f"apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: app\n  namespace: shop-production\nspec:\n"
    if kind == "Pod":
        return head + "\n".join(line[8:] for line in body.splitlines()) + "\n"
    if kind == "CronJob":  # the pod spec at spec.jobTemplate.spec.template.spec: the body's own indentation
        return head + "  schedule: '0 * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n" + body
    return head + "  template:\n    spec:\n" + "\n".join(line[4:] for line in body.splitlines()) + "\n"


def test_kubernetes_probes_and_hooks_in_every_workload_shape():
    for kind in ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"):
        data = _workload(kind).encode()
        vals = kubernetes.values(data, "k8s/app.yaml", Options())
        roles = _roles(vals, data)
        assert roles["http://localhost:8080/health"] == (CC, "livenessProbe.exec.command[2]"), kind
        assert roles["127.0.0.1"] == (CC, "readinessProbe.httpGet.host"), kind
        assert roles["/healthz"] == (CC, "readinessProbe.httpGet.path"), kind
        assert roles["2379"] == (CC, "startupProbe.grpc.port"), kind
        assert roles["curl -X POST http://localhost:8080/warm"] == (CC, "lifecycle.postStart.exec.command[2]"), kind
        assert roles["/drain"] == (CC, "lifecycle.preStop.httpGet.path"), kind
        assert roles["localhost"] == (CC, "startupProbe.tcpSocket.host"), kind  # the sidecar init container
        assert roles["https://api.stripe.com"] == (None, "STRIPE_URL"), kind
        assert {v.environment for v in vals} == {"production"}, kind
        reasons = {v.role_reason for v in vals if v.role == CC}
        assert "`lifecycle.preStop` hook of container `app` (runs inside the container)" in reasons, kind
        assert "`startupProbe` of container `log-shipper` (the kubelet runs it inside the container)" in reasons, kind


def test_kubernetes_probes_through_the_cli(tmp_path):
    k8s = tmp_path / "k8s"
    k8s.mkdir()
    (k8s / "deployment.yaml").write_text(_workload("Deployment"))
    code, report = cli_json([k8s / "deployment.yaml"])
    seen = {f["url"]: (f["key"], f["role"], f["blocking"]) for f in report["findings"]}
    assert seen == {"http://localhost:8080/health": ("livenessProbe.exec.command[2]", CC, False),
                    "http://localhost:8080/warm": ("lifecycle.postStart.exec.command[2]", CC, False)}
    assert all(f["production"] for f in report["findings"]) and code == 0


def test_kubernetes_probe_with_a_hosted_twin_keeps_blocking(tmp_path):
    k8s = tmp_path / "k8s"
    k8s.mkdir()
    (k8s / "deployment.yaml").write_text(_workload("Deployment").replace(
        "http://localhost:8080/health", "https://api.wondertwin.dev/twins/stripe/health"))
    code, report = cli_json([k8s / "deployment.yaml"])
    seen = {f["url"]: (f["role"], f["blocking"]) for f in report["findings"]}
    assert seen["https://api.wondertwin.dev/twins/stripe/health"] == (CC, True)
    assert seen["http://localhost:8080/warm"] == (CC, False)
    assert code == 1


def test_dockerfile_exec_form_script_gives_the_role_only_to_its_curl():
    data = (b"FROM node:22-alpine\n"
            b'CMD ["sh", "-c", "curl -fsS http://localhost:3000/warm; exec node server.mjs --api http://localhost:9999"]\n'
            b'ENTRYPOINT ["wget", "-qO-", "http://[::1]:3000/ready"]\n')
    vals = dockerfile.values(data, "Dockerfile", Options())
    assert sorted((v.key, v.value) for v in vals if v.role == CC) == [
        ("CMD", "curl -fsS http://localhost:3000/warm"), ("ENTRYPOINT", '["wget", "-qO-", "http://[::1]:3000/ready"]')]


def test_repository_fixture_rows_for_commands_proxies_and_comments():
    """fixtures/repos/expected.yaml (the repository assembled from real templates): every row whose
    role is container-command or proxy is held by a value of that role, and every comment row is
    a comment, never blocking, keyed by its line (the overlay files are the repository's own).
    The finding carries the row's role and verdict."""
    import yaml

    from twinscan.extract import nginx
    from twinscan.extract.registry import kind_of

    from .conftest import ROOT

    repos = ROOT / "fixtures" / "repos"
    rows = [r for r in yaml.safe_load((repos / "expected.yaml").read_text())["urls"]
            if (r["role"] in (CC, "comment") or r["role"] == "proxy" and kind_of(r["file"]) == "nginx")
            and (repos / "overlay" / r["file"]).is_file()]  # other proxies (HTTP_PROXY) take the role from their key
    assert {r["role"] for r in rows} == {CC, "proxy", "comment"} and len(rows) >= 9
    code, report = cli_json(sorted({r["file"] for r in rows}), cwd=repos / "overlay")
    found = {(f["path"], f["line"], f["url"]): f for f in report["findings"]}
    extractors = {"dockerfile": dockerfile, "compose": compose, "kubernetes": kubernetes, "nginx": nginx}
    for r in rows:
        f = found[(r["file"], r["line"], r["url"])]
        assert f["production"], r
        assert (f["role"], f["blocking"]) == (r["role"], r["verdict"] == "blocking"), r
        if r["role"] == "comment":
            assert (f["context"], f["blocking"]) == ("comment", False), r
            continue
        data = (repos / "overlay" / r["file"]).read_bytes()
        vals = extractors[kind_of(r["file"])].values(data, r["file"], Options())
        holders = [v for v in vals if v.start <= f["offset"] < v.end]
        assert holders and min(holders, key=lambda v: v.end - v.start).role == r["role"], r
