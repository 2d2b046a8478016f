import pytest

from twinscan.classify import Classifier, artifact_kind
from twinscan.decide import logical_path


@pytest.mark.parametrize("name,env,production", [
    (".env", "production", True),
    (".env.production", "production", True),
    (".env.production.local", "production", True),
    (".env.prod", "production", True),
    ("app.production.env", "production", True),
    (".env.development", "development", False),
    (".env.development.local", "development", False),
    (".env.test", "test", False),
    (".env.staging", "staging", False),
    (".env.example", "example", False),
    (".env.local", "local", False),
    (".env.qa", "qa", False),
    (".env.production.gz", "production", True),
])
def test_dotenv_file_names_decide_the_environment(name, env, production):
    t = Classifier().classify(f"web/{name}")
    assert (t.kind, t.environment, t.production) == ("dotenv", env, production)
    assert name.removesuffix(".gz") in t.reason or name == ".env"


def test_other_files_are_production_when_named():
    t = Classifier().classify("dist/assets/index-abc.js")
    assert (t.kind, t.production, t.reason) == ("javascript", True, "every path named is a production target")


def test_environment_override_and_production_names():
    assert Classifier(environment="prod").classify(".env.development").production
    assert not Classifier(environment="preview").classify("dist/a.js").production
    c = Classifier(production_environments=["production", "qa"])
    assert c.classify(".env.qa").production


@pytest.mark.parametrize("path,kind", [
    ("a.mjs", "javascript"), ("a.js.br", "javascript"), ("index.html", "html"), ("a.js.map", "sourcemap"),
    ("Dockerfile.prod", "dockerfile"), ("compose.yaml", "compose"), ("docker-compose.override.yml", "compose"),
    (".github/workflows/deploy.yml", "workflows"), ("ci/.gitlab-ci.yml", "workflows"), ("k8s/deploy.yaml", "kubernetes"),
    ("page.rsc", "text"), ("x.unknown", "text"),
])
def test_artifact_kinds(path, kind):
    assert artifact_kind(path) == kind


@pytest.mark.parametrize("path,logical", [
    ("dist/assets/index-BdtEMBbM.js", "dist/assets/index-[hash].js"),
    (".next/static/chunks/pages/_app-3f9a1c2b4d5e6f70.js", ".next/static/chunks/pages/_app-[hash].js"),
    ("build/static/js/main.3f9a1c2b.chunk.js", "build/static/js/main.[hash].chunk.js"),
    ("dist/assets/vendor.js", "dist/assets/vendor.js"),
    ("dist/assets/index-DeyCErs_.js.map", "dist/assets/index-[hash].js.map"),
])
def test_logical_paths_strip_content_hashes(path, logical):
    assert logical_path(path) == logical


def test_environment_globs_from_config_come_first():
    c = Classifier.from_globs({"deploy/prod/**": "prod", "deploy/*/staging.env": "staging"})
    t = c.classify("deploy/prod/k8s/app.yaml")
    assert (t.environment, t.production) == ("production", True)
    assert "`deploy/prod/**` → prod" in t.reason
    assert c.classify("deploy/eu/staging.env").environment == "staging"
    assert c.classify(".env.development").environment == "development"  # no glob: the file name decides


def test_classifiers_cross_process_boundaries():
    """Worker processes receive the classifier by pickling on spawn platforms (macOS, Windows)."""
    import pickle

    from twinscan.classify import PathRule

    c = Classifier.from_globs({"deploy/prod/**": "production"})
    c.classify("deploy/prod/a.env")  # compiled state must not travel
    c = Classifier(rules=(*c.rules, PathRule({"config/app.env": ("production", "loaded by env_file")})))
    again = pickle.loads(pickle.dumps(c))
    assert again.classify("deploy/prod/a.env").environment == "production"
    assert again.classify("config/app.env").reason == "loaded by env_file"


@pytest.mark.parametrize("path,env", [
    ("deploy/service-staging.yaml", "staging"), ("k8s/deployment-prod.yml", "production"),
    ("config/settings-dev.json", "development"), ("k8s/deployment.yaml", "production"),
    ("deploy/deploy-template.yaml", "production"), ("k8s/smoke-ci.yaml", "production"),
    # build output never reads a hyphen: these are bundle chunks, not per-environment files
    ("dist/assets/app.dev-tools.js", "production"), ("dist/assets/chunk-dev.js", "production"),
    ("public/404-staging.html", "production"),
])
def test_a_hyphenated_environment_names_a_config_file(path, env):
    t = Classifier().classify(path)
    assert t.environment == env, t
    if env != "production":
        assert t.reason == f"file name `{path.rsplit('/', 1)[1]}` names the {env} environment"
