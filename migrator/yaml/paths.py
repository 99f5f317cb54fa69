"""Paths into values, the one way: tuples of keys and list indexes until printed.

`("harmony", "computePools", 0, "name")` is printed `harmony.computePools[0].name`; `parse_path`
reads that back. Registry fingerprints are written dotted (`serviceAccount.create`).
"""

from __future__ import annotations

import re
from typing import Any

Path = tuple[Any, ...]


def format_path(path: Path, prefix: str = "") -> str:
    """`('harmony', 'computePools', 0, 'name')` -> `harmony.computePools[0].name`.

    Keys with dots, slashes or spaces (node labels, annotations) are bracket-quoted,
    `nodeSelector["cloud.google.com/gke-spot"]`, so that the path stays unambiguous.
    """
    out = prefix
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        elif (text := str(part)) and all(ch.isalnum() or ch in "_-" for ch in text):
            out += f".{text}" if out else text
        else:
            out += f'["{text}"]'
    return out


TOP_LEVEL = "(top level)"  # how a message names the file's top level, the empty path


def describe_path(path: Path) -> str:
    """A path for a message: `harmony.computePools[0].name`, or "(top level)" for ()."""
    return format_path(path) or TOP_LEVEL


_PATH_PART = re.compile(r'\.?([^.\[\]]+)|\[(\d+)\]|\["(.*?)"\](?=\.|\[|$)')


def parse_path(text: str) -> Path:
    """`a.b[0]["x.y"]` -> ('a', 'b', 0, 'x.y'); () when the text is not such a path."""
    parts: list = []
    position = 0
    while position < len(text):
        match = _PATH_PART.match(text, position)
        if not match or match.end() == position:
            return ()
        name, index, quoted = match.groups()
        parts.append(int(index) if index is not None else (quoted if quoted is not None else name))
        position = match.end()
    return tuple(parts)


def get_in(data: Any, path: Path, default: Any = None) -> Any:
    """The value at `path` in plain data, or `default`."""
    value = data
    for part in path:
        if (isinstance(value, dict) and part in value) or (
            isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)
        ):
            value = value[part]
        else:
            return default
    return value


_MISSING = object()


def split_dotted(dotted: str) -> Path:
    """A registry fingerprint `a.b.c` -> ('a', 'b', 'c') (its keys never hold dots)."""
    return tuple(dotted.split("."))


def has_path(data: Any, path: Path | str) -> bool:
    """Whether the key at `path` (a tuple, or a dotted fingerprint) is present, whatever its value."""
    parts = split_dotted(path) if isinstance(path, str) else path
    return get_in(data, parts, _MISSING) is not _MISSING


def parse_field_path(path: str) -> list[Any]:
    """`a.b[0]["x.y"][name=gpu].value` -> ['a', 'b', 0, 'x.y', ('name', 'gpu'), 'value'].

    The paths of a rendered object's fields (the ledger's, the structural diff's) also pick a list
    entry by its name, `[name=gpu]`; that step is read as the pair ('name', 'gpu'). Lenient: any
    text reads as some path.
    """
    parts: list[Any] = []
    i, n = 0, len(path)
    while i < n:
        ch = path[i]
        if ch == ".":
            i += 1
        elif ch == "[":
            if path.startswith('["', i):
                end = path.find('"]', i + 2)
                end = n if end == -1 else end
                parts.append(path[i + 2 : end])
                i = end + 2
                continue
            end = path.find("]", i + 1)
            end = n if end == -1 else end
            inner = path[i + 1 : end]
            if inner.isdigit():
                parts.append(int(inner))
            elif "=" in inner:
                field, _, value = inner.partition("=")
                parts.append((field, value))
            else:
                parts.append(inner)
            i = end + 1
        else:
            end = i
            while end < n and path[end] not in ".[":
                end += 1
            parts.append(path[i:end])
            i = end
    return parts
