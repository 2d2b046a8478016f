"""`twinscan guard --emit go`: the emitted Go package, compiled with Debian's Go toolchain (golang-go,
offline: no module is downloaded), rejects exactly what the Python guard rejects — and the TypeScript
guard, on the shared table — and reads loopback hosts exactly as twinscan/urls.py does."""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from twinscan import engine, guard, services, urls
from twinscan.runtime import goguard

from .conftest import cli
from .guard_table import ENVS, ORG_TWIN_URLS, PLAIN_KEY, SERVICE_KEY, TABLE

# A `_test.go` beside the emitted file: it reads input.json (the test's cwd is the package
# directory), runs the exported API and the unexported host readers, and writes output.json.
DRIVER = r'''package twinguard

import (
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"testing"
)

type input struct {
	Rows      [][2]string         `json:"rows"`
	Envs      []map[string]string `json:"envs"`
	Hosts     []string            `json:"hosts"`
	Endpoints []string            `json:"endpoints"`
	Sources   []string            `json:"sources"`
}

func violations(t *testing.T, err error) [][2]string {
	got := [][2]string{}
	if err == nil {
		return got
	}
	var te *TwinURLError
	if !errors.As(err, &te) || len(te.Violations) == 0 {
		t.Fatalf("not a TwinURLError with violations: %v", err)
	}
	for _, v := range te.Violations {
		got = append(got, [2]string{v.Rule, v.URL})
	}
	return got
}

func TestDump(t *testing.T) {
	data, err := os.ReadFile("input.json")
	if err != nil {
		t.Fatal(err)
	}
	var in input
	if err := json.Unmarshal(data, &in); err != nil {
		t.Fatal(err)
	}
	out := map[string]interface{}{}
	rows := [][][2]string{}
	for _, r := range in.Rows {
		rows = append(rows, violations(t, CheckURL(r[0], r[1])))
	}
	out["rows"] = rows
	envs, messages := [][][3]string{}, []string{}
	for _, env := range in.Envs {
		got := [][3]string{}
		for _, v := range FindTwins(env) {
			got = append(got, [3]string{v.Name, v.Rule, v.URL})
		}
		envs = append(envs, got)
		msg := ""
		if err := CheckServices(env); err != nil {
			msg = err.Error()
		}
		messages = append(messages, msg)
	}
	out["envs"], out["messages"] = envs, messages
	hosts := [][2]bool{}
	for _, h := range in.Hosts {
		hosts = append(hosts, [2]bool{isLoopbackHost(h), isUnspecifiedHost(h)})
	}
	out["hosts"] = hosts
	eps := []interface{}{}
	for _, v := range in.Endpoints {
		if host, url, ok := endpoint(v); ok {
			eps = append(eps, []string{host, url})
		} else {
			eps = append(eps, nil)
		}
	}
	out["endpoints"] = eps
	errs := []string{}
	for _, s := range in.Sources {
		if _, err := regexp.Compile(s); err != nil {
			errs = append(errs, err.Error())
		}
	}
	out["compile_errors"] = errs
	text, _ := json.Marshal(out)
	if err := os.WriteFile("output.json", text, 0o644); err != nil {
		t.Fatal(err)
	}
}
'''

ROWS = [(url, key) for key in (PLAIN_KEY, SERVICE_KEY) for url, _ in TABLE]
CONFIG = "twin_urls: ['sim.*.acme.io']\nservices:\n  billing: {keys: [BILLING_API_URL], hosts: [billing.acme.com]}\n"
CONFIG_ROWS = [
    ("https://sim.eu.acme.io/stripe", PLAIN_KEY),  # config twin_urls
    ("https://twins.eu.yourco.com/stripe", PLAIN_KEY),  # --twin-url
    ("https://api.yourco.com/twins/stripe", PLAIN_KEY),  # not named this time
    ("https://billing-staging.acme.com", "BILLING_API_URL"),  # config services
    ("https://billing.acme.com/v2", "BILLING_API_URL"),
    ("http://localhost:4111", "BILLING_API_URL"),
]


def _random_hosts(n: int) -> list[str]:
    """Hosts in the notations urls.is_loopback_host reads, and near misses, from a fixed seed."""
    rnd = random.Random(16)
    groups = ["", "0", "1", "ffff", "FFFF", "7f00", "7f00:1", "127.0.0.1", "127.0.0.01", "1.2.3", "00001", "0001",
              "g", "::", "0:0", "255.255.255.255", "256.0.0.1"]
    parts = ["127", "0", "1", "255", "256", "0x7f", "0x7F", "0x", "0x_7f", "0x7f_", "+127", "-1", "1_0", "_1", "1__0",
             "2130706433", "4294967296", "0x7f000001", "16777215", "16777216", "00127", "9" * 30, "-9" * 20, "", "a"]
    out = ["localhost", "LOCALHOST", "a.localhost", "localhost.", "localhost.localdomain", "[::1]", "[::1].",
           "[::1%eth0]", "[::1%]", "[::1%a%b]", "[[::1]]", "[::]", "[0::0]", "[::0.0.0.0]", "0.0.0.0", "0.0.0.0.",
           "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[1:2:3:4:5:6:7::]", "[::1:2:3:4:5:6:7]", "[1::2:3:4:5:6:7:8]",
           "[1:2:3:4:5:6:7:8:9]", "[:1:2:3:4:5:6:7]", "[1:2:3:4:5:6:7:]", "[::ffff:127.0.0.1:1]", "[::1/64]", ""]
    for _ in range(n):
        kind = rnd.random()
        if kind < 0.45:
            k = rnd.randint(1, 9)
            text = ":".join(rnd.choice(groups) for _ in range(k))
            if rnd.random() < 0.3:
                text = rnd.choice(["::", "::ffff:", "0:0:0:0:0:ffff:", "0::", "::0:"]) + rnd.choice(groups[:10])
            if rnd.random() < 0.1:
                text += "%" + rnd.choice(["", "eth0", "a%b", "1"])
            out.append("[" + text + "]" + rnd.choice(["", "", "."]))
        elif kind < 0.85:
            head = rnd.choice(["127", "0x7f", "+127", "0127", "127_0", "0x7F"]) if rnd.random() < 0.5 else rnd.choice(parts)
            rest = [rnd.choice(parts) for _ in range(rnd.randint(0, 4))]
            out.append(".".join([head, *rest]) + rnd.choice(["", "", "."]))
        else:
            out.append("".join(rnd.choice("0123456789abcdefx:.[]%+-_") for _ in range(rnd.randint(1, 16))))
    return out


def _random_values(n: int) -> list[str]:
    """Setting values assembled from the forms the reader decodes, from a fixed seed."""
    rnd = random.Random(4111)
    pick = rnd.choice
    out = []
    for _ in range(n):
        url = "".join([
            pick(["http", "https", "ws", "wss", "HTTP", "ftp", "h", ""]),
            pick([":", ":", "%3a", "%3A", "&colon;", "&#58;", "\\u003a", "\\\\u003a", ""]),
            *(pick(["/", "/", "%2f", "&sol;", "&#x2F;", "\\/", "\\\\/", "\\u002f", "\\x2f"]) for _ in range(2)),
            pick(["", "", "u:p@", "127.0.0.1@", "a@b@", "%40@"]),
            pick(["localhost", "LocalHost.", "127.1", "127.0.1.-1", "0x7f.1", "2130706433", "[::1]", "[::ffff:7f00:1]",
                  "[::1%25x]", "0.0.0.0", "[::]", "host.docker.internal", "api.wondertwin.dev", "twins.eu.yourco.com",
                  "api.yourco.com", "stripe-twin", "twins", "api.stripe.com", "eu.i.posthog.com", "sim.x.acme.io",
                  "localhost.example.com", "128.0.0.1"]),
            pick(["", "", ":4111", ":04111", ":x", "%3a4111", ":"]),
            pick(["", "/v1", "/twins/stripe", "%2Ftwins%2Fstripe", "\\/v1", "/a&amp;b", "/x.", "?q=${A}", "/p&quot;x",
                  "#f", "/a b"]),
        ])
        value = pick(["", "", "=", "\"", " ", "x", "(", "`", "'"]) + url + pick(["", "", " ", "\"", ",", ".", ";"])
        if rnd.random() < 0.15:
            value += pick([" ", ","]) + value
        out.append(value)
    return out


def _random_endpoints(n: int) -> list[str]:
    rnd = random.Random(2)
    pick = rnd.choice
    out = ["", "  ", "localhost:4111", "api.stripe.com", "${STRIPE_HOST}", "{{ .host }}", "$(cat x)", "\u00a0https://a.b\u2003",
           "\x1chttps://a.b\x1f", "http://a.b:٤١١١/x", "http://a.b:４１１１", "http://a.b:00000/x", "//a.b/x", "\"'https://a.b'\"",
           "HTTPS://U:P@API.Stripe.COM:443/v1", "http://", "http:/a.b", "http://[::1]:80/x", "http://[zz]/", "a@b@c.d",
           "http://x@y//u:p@z/", "\u212aey://a.b/", "tcp://10.0.0.1:443"]
    for _ in range(n):
        out.append("".join([
            pick(["", " ", "\t", "\"", "'"]),
            pick(["", "https://", "HTTP://", "svc+x.y-z://", "1a://", "//", "a:"]),
            pick(["", "", "u:p@", "@", "a b@"]),
            pick(["api.stripe.com", "EU.I.POSTHOG.COM", "[::1]", "[::1", "a_b.c", "é.com", "127.0.0.1", "x", ""]),
            pick(["", ":443", ":123456", ":", ":0", ":٣"]),
            pick(["", "/v1", "?a=b", "#x", " trailing", "/p@q"]),
            pick(["", " ", "\"", "\u2028"]),
        ]))
    return out


def _go_env(tmp: Path) -> dict:
    env = dict(os.environ)
    env.update(GOPATH=str(tmp / "gopath"), GOCACHE=str(tmp / "gocache"), GOFLAGS="-mod=mod", GOPROXY="off",
               GOTOOLCHAIN="local", CGO_ENABLED="0", GO111MODULE="on")
    return env


def _emit(dest: Path, *args) -> str:
    dest.mkdir(parents=True)
    r = cli(["guard", "--emit", "go", *args, "--output", dest / "twinguard.go"])
    assert r.exit_code == 0, r.output
    (dest / "driver_test.go").write_text(DRIVER)
    return (dest / "twinguard.go").read_text()


@pytest.fixture(scope="module")
def go_run(tmp_path_factory) -> dict:
    """Emit two packages (the table's --twin-urls; a config file's twin_urls and services plus a
    --twin-url), feed each its inputs, run `go test` once over both and return the outputs."""
    go = shutil.which("go")
    if go is None:
        pytest.skip("Go is not installed (Debian: apt-get install golang-go)")
    tmp = tmp_path_factory.mktemp("goguard")
    (tmp / "go.mod").write_text("module example.com/guardtest\n\ngo 1.18\n")
    args = [a for spec in ORG_TWIN_URLS for a in ("--twin-url", spec)]
    table_src = _emit(tmp / "table" / "twinguard", *args)
    values = _random_values(1500)
    sources = [e.regex for e in engine.build_expressions(guard.checker(ORG_TWIN_URLS).rules)]
    inputs = {
        "table": {"rows": ROWS + [(v, k) for v in values for k in (PLAIN_KEY, SERVICE_KEY)], "envs": ENVS,
                  "hosts": _random_hosts(3000), "endpoints": _random_endpoints(1500), "sources": sources},
        "config": {"rows": CONFIG_ROWS, "envs": [], "hosts": [], "endpoints": [], "sources": []},
    }
    cfg = tmp / "twinscan.yaml"
    cfg.write_text(CONFIG)
    _emit(tmp / "config" / "twinguard", "--config", cfg, "--twin-url", "twins.*.yourco.com")
    for name, data in inputs.items():
        (tmp / name / "twinguard" / "input.json").write_text(json.dumps(data))
    r = subprocess.run([go, "test", "-count=1", "./..."], check=False, cwd=tmp, env=_go_env(tmp), capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    fmt = subprocess.run([str(Path(go).resolve().parent / "gofmt"), "-l", "."], check=False, cwd=tmp, capture_output=True, text=True,
                         timeout=120)
    out = {name: json.loads((tmp / name / "twinguard" / "output.json").read_text()) for name in inputs}
    return {"inputs": inputs, "out": out, "source": table_src, "values": values, "gofmt": fmt}


def py_rows(rows, **kw) -> list:
    return [[[v.rule, v.url] for v in guard.check_url(url, key=key, **kw)] for url, key in rows]


def py_envs() -> list:
    return [[[v.name, v.rule, v.url] for v in guard.find_twins(dict(sorted(env.items())), twin_urls=ORG_TWIN_URLS)]
            for env in ENVS]


def test_go_guard_rejects_exactly_what_the_python_guard_rejects(go_run):
    rows = go_run["inputs"]["table"]["rows"]
    got = go_run["out"]["table"]["rows"]
    want = py_rows(rows, twin_urls=ORG_TWIN_URLS)
    diff = [(row, g, p) for row, g, p in zip(rows, got, want) if g != p]
    assert not diff, diff[:10]
    # and what the table says (the scanner's verdicts, proven equal to the Python guard's in test_guard.py)
    plain = [next((rule for rule, _ in v), None) for v in got[:len(TABLE)]]
    assert plain == [rule for _, rule in TABLE]
    assert sum(1 for v in got if v) > 600  # the random values do reach the rules, all of them
    assert {rule for v in got for rule, _ in v} >= {"loopback-url", "unspecified-address-url", "docker-host-url",
                                                     "wondertwin-hosted-url", "org-twin-url", "twin-service-url",
                                                     "service-host-url"}


def test_go_guard_checks_every_setting_and_explains_itself(go_run):
    out = go_run["out"]["table"]
    assert out["envs"] == py_envs()
    first = {name: rule for name, rule, _ in out["envs"][0]}
    assert first == {"APP_CALLBACK_URL": "loopback-url", "PAYMENTS_API_URL": "wondertwin-hosted-url",
                     "VITE_POSTHOG_HOST": "org-twin-url"}
    assert out["envs"][2] == [] and out["messages"][2] == ""
    for env, message in zip(ENVS, out["messages"]):
        if not message:
            continue
        with pytest.raises(guard.TwinURLError) as exc:
            guard.assert_no_twins(dict(sorted(env.items())), twin_urls=ORG_TWIN_URLS)
        assert message == str(exc.value)
    assert "OPENAI_BASE_URL (service openai) resolves to https://openai-proxy.acme.com/v1: not a host of the vendor" \
        in out["messages"][1]
    assert "openai's production hosts are api.openai.com" in out["messages"][1]
    assert "secret" not in out["messages"][1] and "STRIPE_HOST (service stripe) resolves to http://***@stripe-twin:4111" \
        in out["messages"][1]


def test_go_host_readers_agree_with_urls_py(go_run):
    inp, out = go_run["inputs"]["table"], go_run["out"]["table"]
    want = [[urls.is_loopback_host(h), urls.is_unspecified_host(h)] for h in inp["hosts"]]
    diff = [(h, g, p) for h, g, p in zip(inp["hosts"], out["hosts"], want) if g != p]
    assert not diff, diff[:10]
    assert sum(1 for lb, _ in want if lb) > 100 and sum(1 for _, u in want if u) > 25  # both verdicts occur
    eps = [None if e is None else [e.host, e.url] for e in map(services.endpoint, inp["endpoints"])]
    diff = [(v, g, p) for v, g, p in zip(inp["endpoints"], out["endpoints"], eps) if g != p]
    assert not diff, diff[:10]


def test_rules_compile_in_go_unchanged(go_run):
    assert go_run["inputs"]["table"]["sources"] and go_run["out"]["table"]["compile_errors"] == []
    assert go_run["gofmt"].returncode == 0 and go_run["gofmt"].stdout == ""  # the emitted file is gofmt-clean
    src = go_run["source"]
    assert src.startswith("// Code generated by `twinscan guard --emit go`") and "DO NOT EDIT." in src.splitlines()[0]
    assert "package twinguard\n" in src
    imports = src[src.index("import ("):src.index(")", src.index("import ("))]
    assert all("." not in line.split("/")[0] for line in imports.split('"')[1::2])  # standard library only


def test_twin_url_and_config_services_flow_into_the_go_file(go_run):
    got = go_run["out"]["config"]["rows"]
    assert [[rule for rule, _ in v] for v in got] == [["org-twin-url"], ["org-twin-url"], [], ["service-host-url"], [],
                                                      ["loopback-url"]]
    assert got == py_rows(CONFIG_ROWS, twin_urls=["twins.*.yourco.com", "sim.*.acme.io"],
                          service_config={"billing": {"keys": ["BILLING_API_URL"], "hosts": ["billing.acme.com"]}})


def test_go_regex_spells_out_what_re2_reads_differently():
    assert goguard.go_regex(r"(?:[^/?#@\s]+@)?x\s\Z") == r"(?:[^/?#@\t\n\v\f\r ]+@)?x[\t\n\v\f\r ]\z"
    with pytest.raises(ValueError):
        goguard.go_regex(r"(?i:foo)")
    assert goguard.go_string('a"\\\u00e9\n') == '"a\\"\\\\\\xc3\\xa9\\x0a"'


def test_guard_emit_go_refuses_bad_input(tmp_path):
    r = cli(["guard", "--emit", "go", "--twin-url", "twins.*x.acme.io"])
    assert r.exit_code == 2 and "whole labels" in r.output
    bad = tmp_path / "twinscan.yaml"
    bad.write_text("services:\n  billing: {hosts: oops}\n")
    r = cli(["guard", "--emit", "go", "--config", bad])
    assert r.exit_code == 2 and "twinscan: error:" in r.output


# -- the three guards, row by row -------------------------------------------------------------------

def test_three_guards_agree_row_by_row(go_run, tmp_path):
    """The shared table, the generated values and the settings maps through Python, Go and the
    TypeScript guard under Node."""
    from .test_tsguard import _build, _node, esbuild_path

    exe = esbuild_path()
    args = ["guard", "--emit", "ts", "--output", tmp_path / "g.ts"]
    for spec in ORG_TWIN_URLS:
        args += ["--twin-url", spec]
    assert cli(args).exit_code == 0
    _build(exe, tmp_path / "g.ts", tmp_path / "g.mjs")
    rows = [list(row) for row in go_run["inputs"]["table"]["rows"]]  # the table, then the generated values
    (tmp_path / "in.json").write_text(json.dumps({"rows": rows, "envs": ENVS}))
    r = _node("import {checkUrl, checkServices, findTwins} from './g.mjs'; import fs from 'fs';"
              "const i = JSON.parse(fs.readFileSync('in.json', 'utf8'));"
              "const message = (e) => { try { checkServices(e); return ''; } catch (x) { return x.message; } };"
              "console.log(JSON.stringify({rows: i.rows.map(([u, k]) => checkUrl(u, k).map(v => [v.rule, v.url])),"
              " envs: i.envs.map(e => findTwins(e).map(v => [v.name, v.rule, v.url])), messages: i.envs.map(message)}));",
              tmp_path)
    assert r.returncode == 0, r.stderr
    ts = json.loads(r.stdout)
    go_by_row = dict(zip(map(tuple, go_run["inputs"]["table"]["rows"]), go_run["out"]["table"]["rows"]))
    py = py_rows(rows, twin_urls=ORG_TWIN_URLS)
    diff = [(row, p, g, t) for row, p, t in zip(rows, py, ts["rows"]) if not p == go_by_row[tuple(row)] == t
            for g in [go_by_row[tuple(row)]]]
    assert not diff, diff
    assert py_envs() == go_run["out"]["table"]["envs"] == ts["envs"]
    assert go_run["out"]["table"]["messages"] == ts["messages"]  # equal to Python's: test above


APP = '''package main

import (
	"fmt"
	"log"

	"example.com/app/internal/twinguard"
)

func main() {
	if err := twinguard.CheckEnviron(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("started")
}
'''


def test_go_generate_and_start_up_check_as_the_readme_shows(tmp_path):
    """`go generate` runs twinscan as README's doc.go says; a service calling CheckEnviron() in main
    refuses to start when a variable of its environment is a twin, and starts when none is."""
    go = shutil.which("go")
    if go is None:
        pytest.skip("Go is not installed (Debian: apt-get install golang-go)")
    (tmp_path / "go.mod").write_text("module example.com/app\n\ngo 1.18\n")
    (tmp_path / "twinscan.yaml").write_text(CONFIG)
    pkg = tmp_path / "internal" / "twinguard"
    pkg.mkdir(parents=True)
    (pkg / "doc.go").write_text("// Package twinguard is generated; `go generate ./...` refreshes it from twinscan's rules.\n"
                                "package twinguard\n\n"
                                "//go:generate twinscan guard --emit go --config ../../twinscan.yaml -o twinguard.go\n")
    (tmp_path / "cmd" / "app").mkdir(parents=True)
    (tmp_path / "cmd" / "app" / "main.go").write_text(APP)
    env = _go_env(tmp_path)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    r = subprocess.run([go, "generate", "./..."], check=False, cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert "sim.*.acme.io" in (pkg / "twinguard.go").read_text().splitlines()[1]  # the config's twin_urls
    r = subprocess.run([go, "build", "-o", str(tmp_path / "app"), "./cmd/app"], check=False, cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([go, "vet", "./..."], check=False, cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr

    def start(**variables):
        clean = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "postgres://localhost/app", "PORT": "8080"}
        return subprocess.run([str(tmp_path / "app")], check=False, env={**clean, **variables}, capture_output=True,
                              text=True, timeout=60)

    r = start(STRIPE_API_BASE="https://api.stripe.com", BILLING_API_URL="https://billing.acme.com/v2")
    assert (r.returncode, r.stdout) == (0, "started\n"), r.stderr
    r = start(PAYMENTS_API_URL="https://sim.eu.acme.io/stripe", BILLING_API_URL="https://billing-staging.acme.com")
    assert r.returncode == 1 and "started" not in r.stdout
    assert "twinscan guard: 2 settings point at twins or non-vendor hosts:" in r.stderr
    assert "BILLING_API_URL (service billing) resolves to https://billing-staging.acme.com: not a host of the vendor" \
        in r.stderr
    assert "PAYMENTS_API_URL resolves to https://sim.eu.acme.io/stripe: a twin URL [rule org-twin-url" in r.stderr
