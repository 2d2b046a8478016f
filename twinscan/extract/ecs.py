"""Amazon ECS task definitions: the JSON `aws ecs register-task-definition --cli-input-json`
and the `amazon-ecs-render-task-definition` action read.

A JSON file is a task definition when its head names `containerDefinitions` (any name:
`task-definition.json`, `taskdef.json`, `ecs/api-prod.json`); the output of
`aws ecs describe-task-definition` (the definition under `taskDefinition`) counts too.
Values: `containerDefinitions[].environment[].value`; key = the entry's `name`.
`secrets[].valueFrom` are Secrets Manager / SSM references, not values.

Environment: the task definition's `family` (`api-staging`: ECS registers one family per
service and environment), else the file name or directory (`task-definition.prod.json`,
`ecs/staging/task-definition.json`); otherwise None: the file's environment (production).
"""
from __future__ import annotations

import json

from .kind import Kind
from .platformenv import path_env, word_env
from .values import ExtractError, Options, Value


def sniff(head: bytes) -> bool:
    return b'"containerDefinitions"' in head and head.lstrip()[:1] == b"{"


def values(data: bytes, path: str, options: Options | None = None) -> list[Value]:
    from ..formats.jsonspans import JsonSyntaxError, Span, SpanParser

    try:
        json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ExtractError(f"invalid JSON: {e}") from None
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        tree, _ = SpanParser(data, max_depth=200, allow_nan=True).parse(start)
    except JsonSyntaxError as e:
        raise ExtractError(f"invalid JSON: {e}") from None
    if isinstance(tree, dict) and isinstance(tree.get("taskDefinition"), dict):
        tree = tree["taskDefinition"]
    if not isinstance(tree, dict):
        return []
    family = tree.get("family")
    family = family.decode(data) if isinstance(family, Span) else None
    env = word_env(family) if family else None
    reason = f"task definition `family: {family}`" if env else None
    if env is None:
        named = path_env(path, (".json",))
        if named:
            env, reason = named[0], f"{named[1]} of the task definition"
    out: list[Value] = []
    containers = tree.get("containerDefinitions")
    for c in containers if isinstance(containers, list) else ():
        entries = c.get("environment") if isinstance(c, dict) else None
        for e in entries if isinstance(entries, list) else ():
            if not isinstance(e, dict) or not isinstance(e.get("name"), Span) or not isinstance(e.get("value"), Span):
                continue
            v = e["value"]
            where = reason
            if env is not None and isinstance(c.get("name"), Span):
                where = f"{reason}, container `{c['name'].decode(data)}`"
            out.append(Value(e["name"].decode(data), v.decode(data), v.start, v.end, env, where))
    return out


KIND = Kind("ecs", globs=("*.json",), sniff=sniff, values=values, label="ECS task definition",
            hook=("task-definition*.json", "taskdef*.json", "task-def*.json", "*-task-definition.json",
                  "ecs/**/*.json"))
