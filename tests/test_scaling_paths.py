"""The one-sweep paths of issue 14 give the same answers as the per-hit definitions they replaced.

No timings here (bench/scaling.py measures them): these tests pin the results.
"""
from __future__ import annotations

import copy
import json
import random

from twinscan.extract import Hit, apply_values, unparsed
from twinscan.extract.sourcemap import SourceMapError, locate_all_in_map, locate_in_map
from twinscan.extract.values import Value


def _apply_by_definition(hits, values, blocks):
    """The innermost value holding each hit; among equally innermost ones, the first that blocks."""
    for hit in hits:
        holders = [v for v in values if v.start <= hit.offset < v.end]
        if not holders:
            unparsed([hit])
            continue
        width = min(v.end - v.start for v in holders)
        innermost = [v for v in holders if v.end - v.start == width]
        v = next((v for v in innermost if blocks(v)), innermost[0])
        hit.key, hit.environment, hit.env_reason, hit.context = v.key, v.environment, v.reason, v.context
        hit.role, hit.role_reason = v.role, v.role_reason


def test_apply_values_sweep_matches_the_definition_on_nested_and_twin_values():
    rnd = random.Random(14)
    for _ in range(2000):
        values = []
        for i in range(rnd.randint(0, 12)):
            s = rnd.randint(0, 40)
            values.append(Value(f"K{i}", "x", s, s + rnd.randint(0, 15),
                                environment=rnd.choice([None, "production", "staging"]),
                                reason=f"r{i}", context=rnd.choice(["value", "default"]),
                                role=rnd.choice([None, "proxy"])))
        hits = [Hit(rnd.randint(0, 60), 0, rnd.choice([b"# A=", b"KEY=", b""])) for _ in range(rnd.randint(0, 10))]
        expected = copy.deepcopy(hits)

        def blocks(v):
            return v.environment == "production"

        _apply_by_definition(expected, values, blocks)
        apply_values(hits, values, blocks)
        assert hits == expected


def test_a_value_that_blocks_wins_among_equally_innermost():
    outer = Value("WORKFLOW", "u", 0, 100, environment="production")
    staging = Value("URL", "u", 10, 40, environment="staging")
    prod = Value("URL", "u", 10, 40, environment="production")
    hit = Hit(12, 30, b"URL: ")
    apply_values([hit], [outer, staging, prod], lambda v: v.environment == "production")
    assert (hit.key, hit.environment) == ("URL", "production")


def test_locate_all_in_map_agrees_with_one_at_a_time():
    url = "http://localhost:4111"
    sources, contents = [], []
    for s in range(6):
        sources.append(f"src/m{s}.js")
        contents.append("".join(f"// é \"q\" \\ line {i}\nconst u{i} = '{url}/{i}'; const t = '\t{url}';\n"
                                for i in range(40)))
    for ensure_ascii in (True, False):
        data = json.dumps({"version": 3, "sourcesContent": contents, "names": [url], "mappings": "AAAA",
                           "sources": sources, "sourceRoot": "root/"}, ensure_ascii=ensure_ascii).encode()
        offsets = []
        at = data.find(url.encode())
        while at >= 0:
            offsets.append(at)
            at = data.find(url.encode(), at + 1)
        offsets += [0, 5, data.index(b"AAAA"), len(data) + 3]
        assert len(offsets) > 480
        together = locate_all_in_map(data, list(reversed(offsets)))
        for o in offsets:
            assert together[o] == locate_in_map(data, o), o
        assert together[offsets[-6]].line == 80  # the last hit of the last source: counted on, not from 0


def test_locate_all_in_map_keeps_answers_known_before_broken_json():
    data = b'{"sources":["http://localhost:4111/a.js"],"names":[,"http://b"]}'
    first = data.index(b"http://localhost")
    late = data.index(b"http://b")
    found = locate_all_in_map(data, [first, late])
    assert found[first] == locate_in_map(data, first) == ("sources", 0, "http://localhost:4111/a.js", None, None)
    assert isinstance(found[late], SourceMapError)
