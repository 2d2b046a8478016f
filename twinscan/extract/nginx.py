"""nginx configuration (`nginx.conf`, `*.conf` under `nginx/`, `conf.d/`, `sites-available/`,
`sites-enabled/`, the official image's `default.conf`): every directive argument is a value.

An nginx config beside an app is mostly the app's own front door: `proxy_pass
http://127.0.0.1:3000;` forwards requests to the app in the same pod or network namespace,
so the arguments of `proxy_pass`, `fastcgi_pass`, `grpc_pass`, `uwsgi_pass`, `scgi_pass`,
`memcached_pass` and the `server` entries of an `upstream` block carry the role ``proxy``.
Every other argument (`return 301 https://…`, `set $api …`) is a plain value, judged as a
service setting. A `#` outside quotes starts a comment (hits there are left to the
comment rule of unparsed hits). The key of a value is its directive (`proxy_pass`).

The tokenizer follows nginx's own (ngx_conf_file.c): words separated by whitespace,
`;` ends a directive, `{`/`}` open and close a block, quotes with backslash escapes, `${var}`
inside a word. It is lenient: a stray `}` or an unterminated quote does not raise, so a
`.conf` of another program under `conf.d/` is read as well as it can be and its hits are still
reported (fail closed: values without a role are service settings). The file name names no
environment; the file's own environment applies.
"""
from __future__ import annotations

from .kind import Kind
from .values import Options, Value

PROXY = "proxy"  # the role of a proxy upstream (rules/roles.yaml)
#: directives whose first argument is the upstream nginx forwards requests to
UPSTREAM_DIRECTIVES = frozenset(
    "proxy_pass fastcgi_pass grpc_pass uwsgi_pass scgi_pass memcached_pass".split())
_SPACE = frozenset(" \t\r\n")


def _words(text: str):
    """Yield (kind, start, end, value): kind is "word", ";", "{" or "}"; start/end are the
    word's text as written (inside the quotes for a quoted word), value with escapes resolved."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _SPACE:
            i += 1
        elif c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif c in ";{}":
            yield c, i, i + 1, c
            i += 1
        elif c in "\"'":
            j, out = i + 1, []
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    out.append(text[j + 1] if text[j + 1] in "\"'\\" else text[j:j + 2])
                    j += 2
                else:
                    out.append(text[j])
                    j += 1
            yield "word", i + 1, j, "".join(out)
            i = j + 1
        else:
            j = i
            while j < n and text[j] not in _SPACE and text[j] not in ";{}\"'":
                if text[j] == "$" and j + 1 < n and text[j + 1] == "{":  # ${var} is part of the word
                    close = text.find("}", j)
                    j = n if close < 0 else close + 1
                elif text[j] == "\\" and j + 1 < n:
                    j += 2
                else:
                    j += 1
            yield "word", i, j, text[i:j]
            i = j


def values(data: bytes, path: str, options: Options | None = None) -> list[Value]:
    """Every directive argument, located by byte offset; upstream arguments carry role ``proxy``."""
    text = data.decode("latin-1")  # one character per byte: indexes are byte offsets

    def utf8(s: str) -> str:
        return s.encode("latin-1").decode("utf-8", "replace")

    out: list[Value] = []
    blocks: list[list[str]] = []  # the directive words that opened each enclosing block
    words: list[tuple[int, int, str]] = []
    for kind, a, b, value in (*_words(text), (";", len(text), len(text), "")):  # a last directive without `;`
        if kind == "word":
            words.append((a, b, value))
            continue
        if words:
            name = words[0][2]
            in_upstream = bool(blocks) and blocks[-1][:1] == ["upstream"]
            role = why = None
            if name in UPSTREAM_DIRECTIVES:
                role, why = PROXY, f"nginx `{name}`: the upstream nginx forwards requests to (a proxy upstream)"
            elif name == "server" and in_upstream and kind == ";":
                group = blocks[-1][1] if len(blocks[-1]) > 1 else ""
                role, why = PROXY, f"nginx `upstream {group}` server: where nginx forwards requests (a proxy upstream)"
            key = f"upstream {blocks[-1][1]}" if in_upstream and name == "server" and len(blocks[-1]) > 1 else name
            for k, (x, y, v) in enumerate(words[1:]):  # the address is the first argument (`weight=5` is not)
                out.append(Value(utf8(key), utf8(v), x, y, role=role if k == 0 else None,
                                 role_reason=why if k == 0 else None))
        if kind == "{":
            blocks.append([w[2] for w in words])
        elif kind == "}" and blocks:
            blocks.pop()
        words = []
    return out


#: nginx configuration where it is conventionally kept; a random `.conf` elsewhere stays text.
KIND = Kind("nginx", globs=("nginx.conf", "nginx/**/*.conf", "nginx/**/*.conf.template", "conf.d/*.conf",
                            "sites-available/*", "sites-enabled/*", "default.conf"),
            values=values, label="nginx configuration")
