"""Google Cloud Run Knative services: claimed by content; environment from labels, name, file name."""
from __future__ import annotations

import pytest

from twinscan.classify import artifact_kind
from twinscan.extract.cloudrun import values

from .conftest import cli_json

# As `gcloud run services describe api --format export` writes it (Cloud Run YAML reference).
SERVICE = """\
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: {name}
  labels:
    cloud.googleapis.com/location: europe-west1
{labels}  annotations:
    run.googleapis.com/ingress: all
spec:
  template:
    metadata:
      annotations:
        autoscaling.knative.dev/maxScale: '10'
    spec:
      containerConcurrency: 80
      serviceAccountName: api@shop-prod.iam.gserviceaccount.com
      containers:
        - image: europe-west1-docker.pkg.dev/shop/api/api:1.4.2
          ports:
            - containerPort: 8080
          env:
            - name: STRIPE_API_BASE
              value: http://localhost:4111
            - name: POSTHOG_HOST
              value: "https://eu.i.posthog.com"
            # - name: TWILIO_API_BASE
            #   value: http://localhost:4116
            - name: STRIPE_SECRET_KEY
              valueFrom:
                secretKeyRef:
                  key: latest
                  name: stripe-secret-key
"""


def _service(name="api", labels=""):
    return SERVICE.format(name=name, labels=labels)


@pytest.mark.parametrize("name,labels,path,env,why", [
    ("api", "", "service.yaml", None, None),
    ("api-staging", "", "service.yaml", "staging", "Cloud Run service `metadata.name: api-staging`"),
    ("api", "    env: staging\n", "service.yaml", "staging", "Cloud Run service label `env: staging` (metadata.labels)"),
    ("api", "    environment: prod\n", "service.yaml", "production", "Cloud Run service label `environment: prod`"),
    ("api", "", "deploy/service-staging.yaml", "staging", "file name `service-staging.yaml` of the Cloud Run service"),
])
def test_environment_of_a_service(name, labels, path, env, why):
    data = _service(name, labels).encode()
    got = {v.key: v for v in values(data, path)}
    assert sorted(got) == ["POSTHOG_HOST", "STRIPE_API_BASE"]
    v = got["STRIPE_API_BASE"]
    assert data[v.start:v.end] == b"http://localhost:4111" and v.environment == env
    assert why is None and v.reason is None or why in v.reason


@pytest.mark.parametrize("text,kind", [(SERVICE, "cloudrun"), ("apiVersion: v1\nkind: Service\n", "kubernetes")])
def test_service_yaml_is_cloud_run_only_with_the_knative_api_version(text, kind):
    assert artifact_kind("service.yaml", lambda: text.encode()) == kind


def test_production_service_blocks_staging_services_report(tmp_path):
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "service.yaml").write_text(_service())
    (tmp_path / "deploy" / "service-staging.yaml").write_text(_service())
    (tmp_path / "deploy" / "api-dev.yaml").write_text(_service("api-dev"))
    (tmp_path / "deploy" / "labelled.yaml").write_text(_service("api", "    env: staging\n"))
    code, doc = cli_json(["deploy"], cwd=tmp_path)
    assert code == 1
    blocking = {(f["path"], f["key"]) for f in doc["findings"] if f["blocking"]}
    assert blocking == {("deploy/service.yaml", "STRIPE_API_BASE")}
    by_path = {f["path"]: f for f in doc["findings"] if f["key"] == "STRIPE_API_BASE"}
    assert by_path["deploy/service-staging.yaml"]["environment"] == "staging"
    assert "file name `service-staging.yaml`" in by_path["deploy/service-staging.yaml"]["reason"]
    assert "`metadata.name: api-dev`" in by_path["deploy/api-dev.yaml"]["reason"]
    assert "label `env: staging`" in by_path["deploy/labelled.yaml"]["reason"]
    comments = [f for f in doc["findings"] if f["url"] == "http://localhost:4116"]
    assert len(comments) == 4 and not any(f["blocking"] for f in comments)


def test_namespace_names_the_environment_after_labels_and_name():
    data = _service().replace("  name: api\n", "  name: api\n  namespace: shop-staging\n").encode()
    v = next(v for v in values(data, "service.yaml") if v.key == "STRIPE_API_BASE")
    assert (v.environment, v.reason) == ("staging", "Cloud Run service `metadata.namespace: shop-staging`")
