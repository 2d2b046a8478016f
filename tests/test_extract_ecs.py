"""Amazon ECS task definitions: claimed by content; environment from the family or the file name."""
from __future__ import annotations

import json

import pytest

from twinscan.classify import artifact_kind
from twinscan.extract.ecs import values
from twinscan.extract.values import ExtractError

from .conftest import cli_json

# The task definition parameters of the ECS developer guide (register-task-definition --cli-input-json).
TASK = """\
{
  "family": "%s",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "512",
  "memory": "1024",
  "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
  "containerDefinitions": [
    {
      "name": "api",
      "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:1.4.2",
      "essential": true,
      "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
      "environment": [
        {"name": "STRIPE_API_BASE", "value": "http://localhost:4111"},
        {"name": "POSTHOG_HOST", "value": "https:\\/\\/eu.i.posthog.com"},
        {"name": "GREETING", "value": "caf\\u00e9"}
      ],
      "secrets": [
        {"name": "STRIPE_SECRET_KEY", "valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/stripe"}
      ],
      "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/shop-api"}}
    }
  ]
}
"""


def test_environment_entries_at_their_bytes():
    data = (TASK % "shop-api").encode()
    got = {v.key: v for v in values(data, "task-definition.json")}
    assert sorted(got) == ["GREETING", "POSTHOG_HOST", "STRIPE_API_BASE"]
    assert got["POSTHOG_HOST"].value == "https://eu.i.posthog.com" and got["GREETING"].value == "café"
    v = got["STRIPE_API_BASE"]
    assert data[v.start:v.end] == b"http://localhost:4111" and v.environment is None


@pytest.mark.parametrize("family,path,env,why", [
    ("shop-api-staging", "task-definition.json", "staging", "task definition `family: shop-api-staging`"),
    ("shop-api", "ecs/task-definition.prod.json", "production", "file name `task-definition.prod.json`"),
    ("shop-api", "ecs/staging/task-definition.json", "staging", "directory `staging/`"),
])
def test_environment_of_a_task_definition(family, path, env, why):
    v = next(v for v in values((TASK % family).encode(), path) if v.key == "STRIPE_API_BASE")
    assert v.environment == env and why in v.reason and "container `api`" in v.reason


def test_describe_output_and_invalid_json():
    described = json.dumps({"taskDefinition": json.loads(TASK % "api-dev")}).encode()
    assert {v.environment for v in values(described, "td.json")} == {"development"}
    with pytest.raises(ExtractError, match="^invalid JSON"):
        values(b'{"containerDefinitions": [', "td.json")


@pytest.mark.parametrize("text,kind", [(TASK, "ecs"), ('{"name": "app", "version": "1.0.0"}', "image")])
def test_claimed_by_content(text, kind):
    assert artifact_kind("taskdef.json", lambda: text.encode()) == kind


def test_production_family_blocks_staging_family_reports(tmp_path):
    (tmp_path / "ecs").mkdir()
    (tmp_path / "ecs" / "api.json").write_text(TASK % "shop-api-prod")
    (tmp_path / "ecs" / "api-next.json").write_text(TASK % "shop-api-staging")
    code, doc = cli_json(["ecs"], cwd=tmp_path)
    assert code == 1
    by = {f["path"]: f for f in doc["findings"]}
    assert by["ecs/api.json"]["blocking"] and "task definition `family: shop-api-prod`" in by["ecs/api.json"]["reason"]
    assert not by["ecs/api-next.json"]["blocking"] and by["ecs/api-next.json"]["environment"] == "staging"
