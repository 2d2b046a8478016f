from ..conftest import scan_bytes


def test_dockerfile_env_line(engine):
    f = scan_bytes(b"FROM node:22\nENV STRIPE_API_BASE=http://host.docker.internal:4111\n", "Dockerfile", engine).findings[0]
    assert (f.rule, f.line, f.column, f.key) == ("docker-host-url", 2, 21, "STRIPE_API_BASE")
