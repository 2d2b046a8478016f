"""JUnit XML for CI test-report views (GitLab ``artifacts:reports:junit``, Jenkins, …).

One test case per file with findings or read errors: a ``<failure>`` listing its blocking
findings, an ``<error>`` when a production file could not be read; non-blocking findings and
unreadable files outside production targets go to ``<system-out>``. A run with no such file
has one passing case, ``twinscan``.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import OrderedDict
from typing import Iterator

from . import Report
from .locations import display_path
from .present import origin_text, shown_key

# Characters XML 1.0 forbids (C0 controls other than tab, LF, CR; surrogates; U+FFFE, U+FFFF).
_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: object) -> str:
    return _FORBIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", str(text))


def _line(f) -> str:
    verdict = "BLOCKING" if f.blocking else "suppressed" if f.suppression else "not blocking"
    key = shown_key(f.key)
    text = f"{f.line}:{f.column} {verdict} {f.rule} {f.url} ({f.environment}{', key ' + key if key else ''})"
    text += f"\n    why: {f.reason}"
    if f.origin is not None:
        text += f"\n    original source: {origin_text(f.origin)}"
    if f.suppression is not None:
        text += f"\n    suppressed by {f.suppression.kind} ({f.suppression.source}): {f.suppression.reason}"
    text += f"\n    {f.snippet}"
    return text


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: clean(v) for k, v in attrs.items()})
    if text is not None:
        el.text = clean(text)
    return el


def _by_file(report: Report, display) -> OrderedDict[str, dict]:
    """The report's findings, errors and (when shown) suppressed findings per displayed path,
    in the order the report first names each path: one test case per file."""
    files: OrderedDict[str, dict] = OrderedDict()

    def entry(path: str) -> dict:
        shown = display(path)
        got = files.get(shown)
        if got is None:
            got = files[shown] = {"findings": [], "errors": [], "suppressed": []}
        return got

    for f in report.findings:
        entry(f.path)["findings"].append(f)
    for e in report.errors:
        entry(e.path)["errors"].append(e)
    if report.show_suppressed:
        for f in report.suppressed:
            entry(f.path)["suppressed"].append(f)
    return files


def document(report: Report) -> ET.Element:
    files = _by_file(report, display_path)

    suites = ET.Element("testsuites", name="twinscan")
    suite = _sub(suites, "testsuite", name="twinscan", hostname="twinscan")
    failures = errors = skipped = 0
    from ..decide import logical_path

    for path, got in files.items():
        # the name is stable across rebuilds (content hashes stripped, as in fingerprints); `file` is the file
        case = _sub(suite, "testcase", classname="twinscan", name=logical_path(path), file=path, time="0")
        blocking = [f for f in got["findings"] if f.blocking]
        fatal = [e for e in got["errors"] if e.production]
        if blocking:
            failures += 1
            n = len(blocking)
            _sub(case, "failure", "\n".join(_line(f) for f in blocking),
                 message=f"{n} twin URL{'s' if n != 1 else ''} in production: "
                         + ", ".join(sorted({f.url for f in blocking})),
                 type="twinscan.blocking")
        if fatal:
            errors += 1
            _sub(case, "error", "\n".join(e.message for e in fatal),
                 message=f"could not be read (the scan is incomplete): {fatal[0].message}", type="twinscan.unreadable")
        if not blocking and not fatal and not got["findings"] and not got["errors"]:
            skipped += 1
            n = len(got["suppressed"])
            _sub(case, "skipped", message=f"{n} suppressed finding{'s' if n != 1 else ''}")
        out = [_line(f) for f in got["findings"] if not f.blocking]
        out += [f"warning: could not be read: {e.message}" for e in got["errors"] if not e.production]
        out += [_line(f) for f in got["suppressed"]]
        if out:
            _sub(case, "system-out", "\n".join(out))
    if not files:
        case = _sub(suite, "testcase", classname="twinscan", name="twinscan", time=f"{report.seconds:.3f}")
        _sub(case, "system-out", f"no twin URL in {report.files_scanned} files")
    from .text import summary_line

    tests = max(1, len(files))
    for el in (suites, suite):
        el.set("tests", str(tests))
        el.set("failures", str(failures))
        el.set("errors", str(errors))
        el.set("time", f"{report.seconds:.3f}")
    suite.set("skipped", str(skipped))
    lines = [summary_line(report, color=False)] + [f"note: {n}" for n in report.notes]
    _sub(suite, "system-out", "\n".join(lines))
    return suites


# -- written as it is made --------------------------------------------------------------------
# The same text as ElementTree writes :func:`document` (``ET.indent`` then ``ET.tostring``), one
# test case, and one line of a test case's text, at a time: the failure text of a file with
# 100,000 blocking findings is never one string (issue 14).


def _escape_text(text: str) -> str:
    """Character data as ElementTree escapes it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attrib(text: str) -> str:
    """An attribute value as ElementTree escapes it."""
    return (_escape_text(text).replace('"', "&quot;").replace("\r", "&#13;").replace("\n", "&#10;")
            .replace("\t", "&#09;"))


def _start(tag: str, attrs: dict, cleaned: bool = True) -> str:
    return "<" + tag + "".join(f' {k}="{_escape_attrib(clean(v) if cleaned else str(v))}"' for k, v in attrs.items())


def _leaf(tag: str, pieces, **attrs) -> Iterator[str]:
    """``<tag attrs>text</tag>`` with the text written piece by piece (``<tag attrs />`` when empty)."""
    opened = False
    for piece in pieces:
        if not piece:
            continue
        if not opened:
            yield _start(tag, attrs) + ">"
            opened = True
        yield _escape_text(clean(piece))
    yield f"</{tag}>" if opened else _start(tag, attrs) + " />"


def _lines(items, make) -> Iterator[str]:
    """``"\n".join(make(x) for x in items)`` in pieces."""
    sep = ""
    for x in items:
        yield sep + make(x)
        sep = "\n"


def chunks(report: Report, color: bool = False) -> Iterator[str]:
    from ..decide import logical_path
    from .locations import display_paths
    from .text import summary_line

    files = _by_file(report, display_paths())
    failures = errors = skipped = 0
    for got in files.values():  # the counts head the document
        fatal = any(e.production for e in got["errors"])
        failures += any(f.blocking for f in got["findings"])
        errors += fatal
        skipped += not got["findings"] and not got["errors"]
    seconds = f"{report.seconds:.3f}"
    counts = {"tests": str(max(1, len(files))), "failures": str(failures), "errors": str(errors), "time": seconds}
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield _start("testsuites", {"name": "twinscan", **counts}, cleaned=False) + ">\n  "
    yield _start("testsuite", {"name": "twinscan", "hostname": "twinscan"}) + \
        "".join(f' {k}="{v}"' for k, v in {**counts, "skipped": str(skipped)}.items()) + ">"
    case_pad, child_pad = "\n    ", "\n      "
    for path, got in files.items():
        yield case_pad + _start("testcase", {"classname": "twinscan", "name": logical_path(path), "file": path,
                                              "time": "0"}) + ">"
        blocking = [f for f in got["findings"] if f.blocking]
        fatal = [e for e in got["errors"] if e.production]
        if blocking:
            n = len(blocking)
            yield child_pad
            yield from _leaf("failure", _lines(blocking, _line),
                             message=f"{n} twin URL{'s' if n != 1 else ''} in production: "
                                     + ", ".join(sorted({f.url for f in blocking})),
                             type="twinscan.blocking")
        if fatal:
            yield child_pad
            yield from _leaf("error", _lines(fatal, lambda e: e.message),
                             message=f"could not be read (the scan is incomplete): {fatal[0].message}",
                             type="twinscan.unreadable")
        if not blocking and not fatal and not got["findings"] and not got["errors"]:
            n = len(got["suppressed"])
            yield child_pad
            yield from _leaf("skipped", (), message=f"{n} suppressed finding{'s' if n != 1 else ''}")
        out = [("finding", f) for f in got["findings"] if not f.blocking]
        out += [("error", e) for e in got["errors"] if not e.production]
        out += [("finding", f) for f in got["suppressed"]]
        if out:
            yield child_pad
            yield from _leaf("system-out", _lines(out, lambda x: _line(x[1]) if x[0] == "finding"
                                                  else f"warning: could not be read: {x[1].message}"))
        yield case_pad + "</testcase>"
    if not files:
        yield case_pad + _start("testcase", {"classname": "twinscan", "name": "twinscan", "time": seconds}) + ">"
        yield child_pad
        yield from _leaf("system-out", (f"no twin URL in {report.files_scanned} files",))
        yield case_pad + "</testcase>"
    yield case_pad
    yield from _leaf("system-out", ("\n".join([summary_line(report, color=False)] + [f"note: {n}" for n in report.notes]),))
    yield "\n  </testsuite>\n</testsuites>\n"


def render(report: Report, color: bool = False) -> str:
    return "".join(chunks(report, color))
