"""Comments and URL fragments in config files (issue 12, "Comments"): a twin URL written in an
inline comment after a real value, or inside another URL's fragment, is reported, never blocks,
and the comment's prose never becomes the finding's key."""
from __future__ import annotations

from twinscan.extract.hits import Hit, comment_start, fragments, unparsed

from .conftest import cli_json


def _finding(report, line):
    found = [f for f in report["findings"] if f["line"] == line]
    assert len(found) == 1, report["findings"]
    return found[0]


def test_inline_comment_in_env_file_is_a_comment_keyed_by_the_line(tmp_path):
    (tmp_path / ".env.production").write_text(
        "VITE_POSTHOG_HOST=https://us.i.posthog.com\n"
        "STRIPE_URL=https://api.stripe.com  # local: http://localhost:4111\n")
    code, report = cli_json([tmp_path / ".env.production"])
    f = _finding(report, 2)
    assert (f["context"], f["key"], f["blocking"], f["production"]) == ("comment", "STRIPE_URL", False, True)
    assert f["role"] == "comment"  # a comment never blocks, even on a WonderTwin port
    assert "only in a comment" in f["reason"]
    assert code == 0


def test_inline_yaml_comment_after_a_compose_list_item(tmp_path):
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  app:\n"
        "    image: ghcr.io/acme/app:1.0\n"
        "    environment:\n"
        "      - STRIPE_URL=https://api.stripe.com  # was http://localhost:4111 until the twin moved to CI\n"
        "      - NODE_ENV=production\n")
    code, report = cli_json([tmp_path / "compose.yaml"])
    f = _finding(report, 5)
    assert (f["context"], f["key"], f["blocking"]) == ("comment", "STRIPE_URL", False)
    assert code == 0


def test_inline_yaml_comment_in_a_kubernetes_manifest(tmp_path):
    k8s = tmp_path / "k8s"
    k8s.mkdir()
    (k8s / "configmap.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: shop-production\n"
        "data:\n  stripeUrl: https://api.stripe.com  # was http://localhost:4111\n")
    code, report = cli_json([k8s / "configmap.yaml"])
    f = _finding(report, 7)
    assert (f["context"], f["key"], f["blocking"]) == ("comment", "stripeUrl", False)
    assert code == 0


def test_a_value_after_a_hash_that_starts_no_comment_still_blocks(tmp_path):
    """`a#b` and a `#` inside quotes start no comment: the twin in the value blocks."""
    (tmp_path / ".env.production").write_text('STRIPE_URL="x # y"http://localhost:4111\nB=a#http://localhost:4112\n')
    code, report = cli_json([tmp_path / ".env.production"])
    assert {f["line"]: f["context"] for f in report["findings"]} == {1: "value", 2: "value"}
    assert all(f["blocking"] for f in report["findings"]) and code == 1


def test_dockerfile_comment_lines_are_comments_with_the_commented_out_key(tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "FROM node:22-alpine AS build\n"
        "# Local twins: docker build --build-arg VITE_STRIPE_BASE_URL=http://localhost:4111 (never for production)\n"
        "ARG VITE_STRIPE_BASE_URL\n"
        "RUN npm run build\n")
    code, report = cli_json([tmp_path / "Dockerfile"])
    f = _finding(report, 2)
    assert (f["context"], f["key"], f["blocking"]) == ("comment", "VITE_STRIPE_BASE_URL", False)
    assert code == 0


def test_a_prose_word_in_a_comment_is_never_the_key():
    hit = Hit(0, 1, b"# local: ")
    unparsed([hit])
    assert (hit.context, hit.key) == ("comment", None)


def test_comment_start_respects_quotes_and_fragments():
    assert comment_start(b"KEY=https://api.stripe.com  # local: ") == 28
    assert comment_start(b"key: 'a # b' ") == -1
    assert comment_start(b'key: "a \\" # b" ') == -1
    assert comment_start(b"url: https://x/#") == -1
    assert comment_start(b"X=it's #") == 7  # the apostrophe opens no string


def test_url_inside_another_urls_fragment_is_reported_not_blocking(tmp_path):
    (tmp_path / ".env.production").write_text("STATUS_PAGE=https://status.yourco.com/#http://localhost:4111\n")
    code, report = cli_json([tmp_path / ".env.production"])
    f = _finding(report, 1)
    assert (f["context"], f["key"], f["blocking"]) == ("url-fragment", "STATUS_PAGE", False)
    assert "fragment" in f["reason"] and code == 0


def test_fragment_in_a_bundle_string_is_inert_but_separate_strings_are_not(tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "app.js").write_text('const s="https://status.yourco.com/#http://localhost:4111";\n'
                                 'const t="https://status.yourco.com/#"+"http://localhost:4112";\n')
    code, report = cli_json([dist])
    assert {f["line"]: (f["context"], f["blocking"]) for f in report["findings"]} == {
        1: ("url-fragment", False), 2: ("string", True)}
    assert code == 1


def test_fragments_leave_inert_contexts_alone():
    hit = Hit(0, 1, b"// see https://status.yourco.com/#", context="comment")
    fragments([hit])
    assert hit.context == "comment"
