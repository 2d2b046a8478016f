"""systemd units and drop-ins: `Environment=` values, `EnvironmentFile=` followed, the unit's environment."""
from __future__ import annotations

import pytest

from twinscan.classify import artifact_kind
from twinscan.extract.systemd import values

from .conftest import cli_json

# systemd.exec(5) "Environment=": quoted words, several assignments per line, C escapes, continuation.
UNIT = """\
[Unit]
Description=Shop checkout API
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=shop
WorkingDirectory=/srv/shop/api
EnvironmentFile=-/etc/shop/api.env
Environment="STRIPE_API_BASE=http://localhost:4111" "GREETING=hello world"
Environment=PORT=8080 POSTHOG_HOST=https://eu.i.posthog.com \\
    'TWILIO_API_BASE=http://localhost:4116'
# Environment=SENDGRID_API_BASE=http://localhost:4117
Environment=ESCAPED=caf\\xc3\\xa9
ExecStart=/usr/bin/node server.js
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""


def test_every_assignment_at_its_bytes():
    data = UNIT.encode()
    got = {v.key: v for v in values(data, "deploy/api.service")}
    assert sorted(got) == ["ESCAPED", "GREETING", "PORT", "POSTHOG_HOST", "STRIPE_API_BASE", "TWILIO_API_BASE"]
    assert got["GREETING"].value == "hello world"
    for key in ("STRIPE_API_BASE", "GREETING", "POSTHOG_HOST", "TWILIO_API_BASE"):
        v = got[key]
        assert data[v.start:v.end].decode() == v.value and v.environment is None
    assert data[got["ESCAPED"].start:got["ESCAPED"].end] == b"caf\\xc3\\xa9"


@pytest.mark.parametrize("path,extra,env,why", [
    ("deploy/api-staging.service", "", "staging", "unit name `api-staging.service`"),
    ("deploy/api.service", "Environment=APP_ENV=staging NODE_ENV=production\n", "staging",
     "`Environment=APP_ENV=staging` in unit `api.service`"),
    ("deploy/api.service", "Environment=NODE_ENV=development\n", "development", "`Environment=NODE_ENV=development`"),
    ("deploy/api-dev.service.d/override.conf", "", "development", "unit name `api-dev.service`"),
    ("systemd/staging/api.service", "", "staging", "directory `staging/` of unit `api.service`"),
])
def test_environment_of_a_unit(path, extra, env, why):
    text = UNIT if path.endswith(".service") else "[Service]\n" + UNIT.split("[Service]\n")[1]
    data = text.replace("ExecStart", extra + "ExecStart").encode()
    v = next(v for v in values(data, path) if v.key == "STRIPE_API_BASE")
    assert v.environment == env and why in v.reason


@pytest.mark.parametrize("path", ["api.service", "etc/systemd/system/api.service.d/10-env.conf"])
def test_claimed(path):
    assert artifact_kind(path) == "systemd"


def _tree(tmp_path, files):
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_units_drop_ins_and_environment_files(tmp_path):
    """Production unit blocks; a staging unit's values and its env file report; a drop-in's
    `APP_ENV=` makes its whole unit staging (drop-ins apply after the unit)."""
    _tree(tmp_path, {
        "deploy/systemd/api.service": UNIT,
        "deploy/etc/shop/api.env": "SENDGRID_API_BASE=http://localhost:4117\n",
        "deploy/staging/api-staging.service": UNIT.replace("/etc/shop/api.env", "/etc/shop/api-staging.env"),
        "deploy/staging/api-staging.env": "SENDGRID_API_BASE=http://localhost:4118\n",
        "deploy/systemd/worker.service": UNIT.replace("-/etc/shop/api.env", "worker.env"),
        "deploy/systemd/worker.env": "SENDGRID_API_BASE=http://localhost:4119\n",
        "deploy/systemd/worker.service.d/10-stage.conf": "[Service]\nEnvironment=APP_ENV=staging\n",
    })
    code, doc = cli_json(["deploy"], cwd=tmp_path)
    assert code == 1
    blocking = sorted((f["path"], f["key"], f["url"]) for f in doc["findings"] if f["blocking"])
    assert blocking == [
        ("deploy/etc/shop/api.env", "SENDGRID_API_BASE", "http://localhost:4117"),
        ("deploy/systemd/api.service", "STRIPE_API_BASE", "http://localhost:4111"),
        ("deploy/systemd/api.service", "TWILIO_API_BASE", "http://localhost:4116"),
    ]
    by = {(f["path"], f["url"]): f for f in doc["findings"]}
    staged = by[("deploy/staging/api-staging.service", "http://localhost:4111")]
    assert staged["environment"] == "staging" and "unit name `api-staging.service`" in staged["reason"]
    env_file = by[("deploy/staging/api-staging.env", "http://localhost:4118")]
    assert env_file["environment"] == "staging" and not env_file["blocking"]
    assert "loaded by `EnvironmentFile=` of unit `api-staging.service`" in env_file["reason"]
    worker = by[("deploy/systemd/worker.service", "http://localhost:4111")]
    assert worker["environment"] == "staging" and "drop-ins" in worker["reason"]
    assert by[("deploy/systemd/worker.env", "http://localhost:4119")]["environment"] == "staging"
    assert "loaded by `EnvironmentFile=`" in by[("deploy/etc/shop/api.env", "http://localhost:4117")]["reason"]


def test_a_truncated_utf8_character_stays_inside_the_line():
    """Found by the fuzz test: a lead byte of a 3-byte character right before the newline."""
    data = b"[Service]\nEnvironment=F=\\x41\xe0\nExecStart=/bin/true\n"
    v = values(data, "api.service")[0]
    assert (v.key, v.end) == ("F", data.index(b"\n", 10)) and v.value.startswith("A")
