"""One documentation page per rule, generated from ``rules/*.yaml`` into ``docs/rules/<id>.md``.

SARIF rules link to these pages (``helpUri``), so a code-scanning alert opens a page that says
what the rule finds, why it matters and how to fix it. Regenerate after editing a rule:

    python -m twinscan.report.ruledocs          # writes docs/rules/
    python -m twinscan.report.ruledocs --check  # exit 1 when a page is missing or stale (tests run this)
"""
from __future__ import annotations

import os
import sys

#: Where the project lives; SARIF's ``informationUri`` and the base of every ``helpUri``.
REPOSITORY = "https://github.com/OWNER/twinscan"
DOCS_DIR = "docs/rules"


def rule_doc_url(rule_id: str) -> str:
    """The page for a built-in rule, on the default branch."""
    return f"{REPOSITORY}/blob/main/{DOCS_DIR}/{rule_id}.md"


def _para(text: str) -> str:
    return " ".join(text.split())


def page(rule) -> str:
    """The Markdown page for one rule."""
    out = [
        f"# `{rule.id}`: {rule.title}",
        "",
        "<!-- Generated from rules/" + os.path.basename(rule.source or rule.id + ".yaml")
        + " by `python -m twinscan.report.ruledocs`; edit the rule, not this page. -->",
        "",
        f"Severity **{rule.severity}** · confidence **{rule.confidence}**"
        + (" · quiet in library code" if rule.quiet_in_library_code else ""),
        "",
        "## What it finds",
        "",
        _para(rule.what),
        "",
        "## Why it is bad",
        "",
        _para(rule.why),
        "",
        "## How to fix it",
        "",
        _para(rule.fix),
        "",
    ]
    if rule.example.strip():
        out += ["## Example", "", "```", rule.example.strip("\n"), "```", ""]
    out += [
        "## Suppressing a finding",
        "",
        "When a finding is acceptable, suppress it in `twinscan.yaml` with a reason (never inline:",
        "minifiers strip comments):",
        "",
        "```yaml",
        "ignore:",
        f"  - rule: {rule.id}",
        '    path: "dist/assets/vendor-*.js"   # and/or url: the normalised URL as reported',
        '    reason: "why this is acceptable, and where it is tracked"',
        "```",
        "",
        "See [Suppressions and baselines](../suppressions.md). `twinscan rules` prints every rule.",
        "",
    ]
    return "\n".join(out)


def pages() -> dict[str, str]:
    """``<id>.md`` -> page, for every built-in rule."""
    from ..rulepack import load_builtin_rules

    return {f"{r.id}.md": page(r) for r in load_builtin_rules()}


def _repo_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def stale(directory: str) -> list[str]:
    """Pages in ``directory`` that are missing, differ from the rules, or name no rule."""
    want = pages()
    out = []
    for name, text in want.items():
        path = os.path.join(directory, name)
        try:
            with open(path, encoding="utf-8") as f:
                if f.read() != text:
                    out.append(name)
        except FileNotFoundError:
            out.append(name)
    if os.path.isdir(directory):
        out += sorted(n for n in os.listdir(directory) if n.endswith(".md") and n not in want)
    return out


def write(directory: str) -> list[str]:
    os.makedirs(directory, exist_ok=True)
    want = pages()
    for name, text in want.items():
        with open(os.path.join(directory, name), "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    for name in os.listdir(directory):
        if name.endswith(".md") and name not in want:
            os.remove(os.path.join(directory, name))
    return sorted(want)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    directory = os.path.join(_repo_root(), DOCS_DIR)
    if "--check" in args:
        bad = stale(directory)
        if bad:
            print(f"{DOCS_DIR} is out of date ({', '.join(bad)}): run python -m twinscan.report.ruledocs", file=sys.stderr)
            return 1
        return 0
    names = write(directory)
    print(f"wrote {len(names)} pages to {DOCS_DIR}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
