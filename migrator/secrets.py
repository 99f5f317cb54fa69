"""What counts as a secret in a values file, and masking it for screens and shared copies.

Everything under the top-level `secrets:` is a secret, and so is any value
whose key names a password, token, key or credential, and the password part
of any URL with credentials. Masking keeps the text's line structure so diffs
of masked texts still line up, and keeps the YAML valid so a redacted copy
can be shared as a file.
"""

from __future__ import annotations

import re
from typing import Any

from migrator.errors import InputError
from migrator.yamldoc import LINE_BREAK, Node, parse

MASK = "••••••••"
_SECRET_KEY = re.compile(
    r"(?i)(pass(word|wd|phrase)?$|password|secret|token|credential|api[-_]?key|access[-_]?key|"
    r"private[-_]?key|secret[-_]?key|jwt|dburl|connection[-_]?string|^dsn$|auth[-_]?key|"
    r"client[-_]?secret|session[-_]?key|encryption[-_]?key|signing[-_]?key|\bkey[-_]?base64)"
)
# scheme://user:password@host -> keep the user, mask the password
_URL_CREDENTIALS = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s\"']*:)(?P<secret>[^@\s\"']+)(?=@)")


def _parts(path: str | tuple) -> tuple:
    if isinstance(path, tuple):
        return path
    return tuple(p for p in re.split(r"[.\[\]]", path) if p)


def is_secret_path(path: str | tuple) -> bool:
    """Whether the value at this key path is a secret to mask."""
    parts = _parts(path)
    if parts and parts[0] == "secrets":
        return True
    return any(isinstance(p, str) and _SECRET_KEY.search(p) for p in parts)


def mask_string(text: str) -> str:
    """Mask credentials embedded in a URL inside any string."""
    return _URL_CREDENTIALS.sub(lambda m: m.group("head") + MASK, text)


def mask_data(value: Any, path: tuple = ()) -> Any:
    """A copy of `value` with secret scalars replaced by the mask."""
    if isinstance(value, dict):
        return {k: mask_data(v, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_data(v, (*path, i)) for i, v in enumerate(value)]
    if value is None or value == "":
        return value
    if is_secret_path(path):
        return MASK
    return mask_string(value) if isinstance(value, str) else value


def mask_yaml_text(text: str) -> str:
    """The text with every secret scalar's text replaced by the mask, line for line."""
    try:
        parsed = parse(text)
    except InputError:
        return _mask_lines_fallback(text)
    lines = list(parsed.lines)
    if parsed.root is None:
        return text
    spans: list[tuple[Node, bool]] = []
    stack: list[tuple[Node, tuple]] = [(parsed.root, ())]
    while stack:
        node, path = stack.pop()
        if node.kind == "map":
            for key, value in node.items:
                stack.append((value, (*path, key.value if key.kind == "scalar" else "?")))
        elif node.kind == "seq":
            stack.extend((item, (*path, i)) for i, item in enumerate(node.items))
        elif node.kind == "scalar" and node.value not in ("", None):
            secret = is_secret_path(path)
            if secret or _URL_CREDENTIALS.search(node.value):
                spans.append((node, secret))
    # Right to left, bottom to top, so earlier spans keep their columns.
    for node, secret in sorted(spans, key=lambda s: s[0].start, reverse=True):
        _mask_span(lines, node, secret)
    return "".join(lines)


def _mask_span(lines: list[str], node: Node, secret: bool) -> None:
    (l0, c0), (l1, c1) = node.start, node.end
    if node.anchor:  # keep `&anchor ` in front of the value
        body = LINE_BREAK.sub("", lines[l0])[c0:]
        c0 += len(body) - len(body.lstrip("&")) + len(body.lstrip("&").split(" ", 1)[0]) + 1
    if l0 == l1:
        line = lines[l0]
        original = line[c0:c1]
        replacement = MASK if secret else mask_string(original)
        lines[l0] = line[:c0] + replacement + line[c1:]
        return
    # A multi-line scalar: the mask on its first line, its other lines emptied (kept as lines).
    ending = LINE_BREAK.search(lines[l0])
    lines[l0] = lines[l0][:c0] + MASK + (ending.group(0) if ending else "")
    last = l1 if c1 > 0 else l1 - 1
    for i in range(l0 + 1, last + 1):
        match = LINE_BREAK.search(lines[i])
        tail = lines[i][c1:] if i == l1 else ""
        lines[i] = (tail if tail.strip() else "") + (match.group(0) if match else "")


def _mask_lines_fallback(text: str) -> str:
    """For text that does not parse: mask `secret-key: value` lines and URL credentials."""
    out = []
    for line in text.splitlines(keepends=True):
        match = re.match(r"^(\s*-?\s*)([^:#\s][^:#]*?)(\s*:\s+)(\S.*?)(\s+#.*)?(\r?\n)?$", line)
        if match and _SECRET_KEY.search(match.group(2)):
            lead, key, colon = match.group(1), match.group(2), match.group(3)
            line = f"{lead}{key}{colon}{MASK}{match.group(5) or ''}{match.group(6) or ''}"
        out.append(mask_string(line))
    return "".join(out)
