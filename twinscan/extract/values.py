"""What a structured extractor returns: every value a file assigns, with its environment.

Structured artifacts (env files, Dockerfiles, compose, Kubernetes, CI workflows)
mix environments in one file: a staging job beside a production job, a dev
stage beside the final image stage. Their extractor lists each value with the
environment *that value* is deployed to and why, and the scan maps every hit
of the byte pass to the value that contains it.

An extractor module exposes ``values(data: bytes, path: str, options: Options) -> list[Value]``
and raises :class:`ExtractError` for a file it cannot parse.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class ExtractError(Exception):
    """The file could not be parsed (invalid YAML, unknown instruction, …).

    The scan reports it for that file (the scan is incomplete when the file is
    in a production target) and keeps the byte-pass findings, judged by the
    file's own environment.
    """


class Options(NamedTuple):
    """Options of the run that extractors read. (A NamedTuple, as the other small records on a
    pre-commit run's path: a frozen dataclass costs ~0.8 ms to create at import, this ~0.2 ms.)"""
    docker_target: str | None = None  # --docker-target: the stage `docker build --target` builds


@dataclass(frozen=True)
class Value:
    """One setting of a structured file: its key, its value as the program sees it, where it is, and its scope."""

    key: str  # the variable or setting: VITE_STRIPE_BASE_URL, env[].name, with: input name, …
    value: str  # the value as the program will see it (quotes removed, escapes decoded)
    start: int  # byte offset in the file's (decoded, UTF-8) bytes where the value's text starts
    end: int  # byte offset just past it
    environment: str | None = None  # None: the file's own environment applies
    reason: str | None = None  # why this environment: "job `deploy-prod` has `environment: production`"
    context: str = "value"  # "value", or "default" for `${VAR:-default}`
    # What the value is for, when the artifact says (twinscan/roles.py; None: decided from the
    # file, the key and the evidence): "container-command" for a Dockerfile HEALTHCHECK, a compose
    # healthcheck or a Kubernetes probe; "proxy" for an nginx `proxy_pass`; "service" for a value
    # set for the build (`RUN VITE_X=… npm run build`), which no key or file role may override.
    role: str | None = None
    role_reason: str | None = None  # why: "Dockerfile `HEALTHCHECK` (runs inside the container)"
    # How ``value`` differs from the bytes at start:end when the text is not written there:
    # "interpolated" (`${TWIN_ORIGIN}/twins/stripe` expanded from the file's own earlier keys),
    # "base64" (a Kubernetes Secret's `data:`). Such values are scanned as well (scan/nested.py).
    encoding: str | None = None
