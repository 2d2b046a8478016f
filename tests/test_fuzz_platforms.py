"""Property tests for the deploy-platform extractors: realistic files, a little damaged, hold the
extractor contract (values inside the buffer; nothing raised but ExtractError; no hang)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinscan.extract import cloudrun, ecs, sam, serverless, systemd, terraform

from .test_extract_cloudrun import SERVICE
from .test_extract_ecs import TASK
from .test_extract_sam import TEMPLATE
from .test_extract_serverless import SERVERLESS
from .test_extract_systemd import UNIT
from .test_extract_terraform import MAIN_TF, TFVARS
from .test_fuzz_extractors import FUZZ, check_values, mutated

pytestmark = pytest.mark.slow  # Hypothesis fuzz suites

SAMPLES = [
    (cloudrun, "deploy/service-staging.yaml", SERVICE.format(name="api-staging", labels="    env: staging\n")),
    (ecs, "ecs/task-definition.json", TASK % "shop-api-prod"),
    (sam, "template.yaml", TEMPLATE),
    (serverless, "serverless.yml", SERVERLESS),
    (systemd, "deploy/api.service", UNIT),
    (systemd, "deploy/api.service.d/override.conf", "[Service]\nEnvironment=\"A=b c\" 'D=e'\\\n  F=\\x41\\u00e9\n"),
    (terraform, "envs/prod/main.tf", MAIN_TF),
    (terraform, "environments/staging/terraform.tfvars", TFVARS % "staging"),
]


@FUZZ
@given(st.data())
def test_platform_extractors_contract(data):
    module, path, text = data.draw(st.sampled_from(SAMPLES))
    check_values(module, data.draw(mutated(text.encode())), path)
