from ..conftest import cli_json


def test_compose_service_named_like_a_twin(tmp_path):
    (tmp_path / "compose.yaml").write_text(
        "services:\n  api:\n    environment:\n      PAYMENTS_API: http://twins:4111/stripe\n"
        "  twins:\n    image: wondertwin/twins:1\n")
    (tmp_path / "docker-compose.override.yml").write_text(
        "services:\n  api:\n    environment:\n      PAYMENTS_API: http://twins:4111/stripe\n")
    code, doc = cli_json([tmp_path])
    got = {f["path"].rsplit("/", 1)[1]: f for f in doc["findings"]}
    assert code == 1
    assert (got["compose.yaml"]["rule"], got["compose.yaml"]["key"], got["compose.yaml"]["blocking"]) == (
        "twin-service-url", "PAYMENTS_API", True)
    assert got["docker-compose.override.yml"]["blocking"] is False
