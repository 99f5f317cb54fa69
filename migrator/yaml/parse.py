"""Parse a values file into plain data plus the exact place of every node.

We parse with libyaml 0.2.5 (PyYAML's C binding; the libyaml inside
ruamel.yaml.clib is older and rejects `[read:hub]`) at the event level and build
our own small node tree. That gives us, in one fast pass:
- plain Python data resolved the way Helm reads YAML (YAML 1.1 scalars),
- the line and column of every key and value, for surgical text edits and for
  error messages that name the line and the key,
- the guards a service handling strangers' files needs: a nesting bound, an
  alias-expansion bound, duplicate keys, and tags that are refused rather than
  executed (nothing here ever constructs an object from a tag).
"""

from __future__ import annotations

import copy
import gc
import math
import re
from dataclasses import dataclass, field
from typing import Any

from yaml import MarkedYAMLError, YAMLError
from yaml._yaml import CParser
from yaml.reader import ReaderError

from migrator.errors import InputError
from migrator.yaml.paths import Path, format_path

MAX_DEPTH = 100
MIN_ALIAS_BUDGET = 1_000_000  # expanded nodes; a real values file has a few thousand

# Line breaks as libyaml counts them (YAML 1.1), so our line numbers agree with its marks.
LINE_BREAK = re.compile(r"\r\n|\r|\n|\x85|\u2028|\u2029")


@dataclass(eq=False)
class Node:
    """One node of the parsed document, with its span (0-based line/column)."""

    kind: str  # "scalar" | "map" | "seq" | "alias"
    start: tuple[int, int]
    end: tuple[int, int]
    tag: str | None = None
    anchor: str | None = None
    value: Any = None  # scalar: its text; alias: the name
    style: str | None = None  # scalar quoting: None/'' plain, '"', "'", '|', '>'
    flow: bool = False
    items: list[Any] = field(default_factory=list)  # map: [(key, value)], seq: [node]
    target: Node | None = None  # alias: the anchored node

    def content_end_line(self) -> int:
        """The last line holding this node's own text (block collections end early)."""
        node = self
        if node.kind in ("map", "seq") and not node.flow:
            if not node.items:
                return node.start[0]
            last = node.items[-1]
            last_node = last[1] if node.kind == "map" else last
            return last_node.content_end_line()
        line, col = node.end
        if col == 0 and line > node.start[0]:
            return line - 1
        return line


@dataclass
class ParsedYaml:
    root: Node | None
    data: Any
    lines: list[str]  # the text split at libyaml's line breaks, endings kept
    node_count: int
    aliases: int = 0  # how many aliases the text uses (0: every node stands at one place)


# ---------------------------------------------------------------------------
# scalar resolution, as Helm (go-yaml v2, YAML 1.1) reads plain scalars

_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}
_FALSE = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")
_INT_BASE = re.compile(r"^[-+]?0(?:x[0-9a-fA-F_]+|o?[0-7_]+|b[01_]+)$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")

STR_TAG = "tag:yaml.org,2002:str"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:binary",
    "tag:yaml.org,2002:timestamp",
    "!",
}
_MAP_TAGS = {"tag:yaml.org,2002:map", "!"}
_SEQ_TAGS = {"tag:yaml.org,2002:seq", "!"}


def resolve_plain(text: str) -> Any:
    """The value a plain (unquoted, untagged) scalar has for Helm."""
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.match(text):
        return int(text.replace("_", ""))
    if _INT_BASE.match(text):
        sign = -1 if text.startswith("-") else 1
        body = text.lstrip("+-").replace("_", "")
        if len(body) == 1:  # `0_`: underscores are dropped, leaving 0
            return 0
        prefixed = body[1] in "xXbBoO"
        digits = body[2:] if prefixed else body[1:]
        if not digits:  # `0x_`: no digits after the prefix, so not a number (go-yaml keeps the text)
            return text
        base = {"x": 16, "b": 2, "o": 8}.get(body[1].lower(), 8) if prefixed else 8
        return sign * int(digits, base)
    if _FLOAT.match(text) and any(ch.isdigit() for ch in text):
        return float(text.replace("_", ""))
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


def _scalar_value(node: Node, path: Path) -> Any:
    tag = node.tag
    text = node.value
    if tag is None:
        return resolve_plain(text) if node.style in (None, "") else text
    if tag not in _SCALAR_TAGS:
        raise _tag_error(node, path)
    if tag in (STR_TAG, "!", "tag:yaml.org,2002:binary", "tag:yaml.org,2002:timestamp"):
        return text
    value = resolve_plain(text)
    expected = {
        "tag:yaml.org,2002:int": int,
        "tag:yaml.org,2002:float": (int, float),
        "tag:yaml.org,2002:bool": bool,
        "tag:yaml.org,2002:null": type(None),
    }[tag]
    if not isinstance(value, expected) or (tag.endswith("int") and isinstance(value, bool)):
        raise InputError(
            f"the value {text!r} is not a valid {tag.rsplit(':', 1)[-1]}",
            line=node.start[0] + 1,
            column=node.start[1] + 1,
            key=format_path(path) or None,
        )
    return float(value) if tag.endswith("float") else value


def _tag_error(node: Node, path: Path) -> InputError:
    shown = node.tag or ""
    if shown.startswith("tag:yaml.org,2002:"):
        shown = "!!" + shown[len("tag:yaml.org,2002:") :]
    return InputError(
        f"unknown tag {shown}: values files hold plain data, so tags other than the standard "
        "ones (!!str, !!int, !!float, !!bool, !!null, !!map, !!seq) are refused, never run",
        line=node.start[0] + 1,
        column=node.start[1] + 1,
        key=format_path(path) or None,
    )


# ---------------------------------------------------------------------------
# parsing


def split_lines(text: str) -> list[str]:
    """Split at libyaml's line breaks, keeping each line's ending."""
    lines: list[str] = []
    pos = 0
    for match in LINE_BREAK.finditer(text):
        lines.append(text[pos : match.end()])
        pos = match.end()
    if pos < len(text):
        lines.append(text[pos:])
    return lines


def parse(text: str) -> ParsedYaml:
    """Parse one YAML document into nodes and Helm-equivalent data, or raise InputError."""
    lines = split_lines(text)
    # Parsing allocates hundreds of thousands of objects that all stay alive: the cyclic garbage
    # collector would walk them again and again for nothing (it costs 40% of a 1 MB parse).
    collecting = gc.isenabled()
    gc.disable()
    try:
        root, count, aliases = build_tree(text, lines)
        if root is None:
            return ParsedYaml(None, None, lines, 0, 0)
        if aliases:
            _check_alias_expansion(root, max(MIN_ALIAS_BUDGET, 2 * count))
        data = _to_data(root, ())
    finally:
        if collecting:
            gc.enable()
    return ParsedYaml(root, data, lines, count, aliases)


def _snippet(lines: list[str], line: int | None) -> str | None:
    if line is None or not (0 <= line < len(lines)):
        return None
    return LINE_BREAK.sub("", lines[line])


def _position_error(text: str, index: int, message: str, lines: list[str]) -> InputError:
    """An InputError at character `index` of `text` (1-based line and column, as libyaml counts)."""
    before = text[:index]
    breaks = list(LINE_BREAK.finditer(before))
    line = len(breaks)
    column = index - (breaks[-1].end() if breaks else 0)
    return InputError(message, line=line + 1, column=column + 1, snippet=_snippet(lines, line))


def build_tree(text: str, lines: list[str]) -> tuple[Node | None, int, int]:
    """The node tree, its number of nodes, and its number of aliases."""
    try:
        parser = CParser(text)
    except UnicodeEncodeError as exc:  # a lone surrogate: text that came from broken bytes
        raise _position_error(
            text, exc.start, "the text holds an invalid character (a lone UTF-16 surrogate)", lines
        ) from None
    anchors: dict[str, Node] = {}
    stack: list[Node] = []
    pending_key: list[Node | None] = []
    root: Node | None = None
    documents = 0
    count = 0
    aliases = 0
    try:
        while True:
            event = parser.get_event()
            if event is None:
                break
            name = type(event).__name__
            if name in ("StreamStartEvent", "StreamEndEvent", "DocumentEndEvent"):
                continue
            if name == "DocumentStartEvent":
                documents += 1
                if documents > 1:
                    line = event.start_mark.line
                    raise InputError(
                        "the file holds more than one YAML document (a second `---`); "
                        "a values file is a single document: split it and check each part",
                        line=line + 1,
                        column=event.start_mark.column + 1,
                        snippet=_snippet(lines, line),
                    )
                continue
            start = (event.start_mark.line, event.start_mark.column)
            end = (event.end_mark.line, event.end_mark.column)
            if name in ("MappingEndEvent", "SequenceEndEvent"):
                node = stack.pop()
                pending_key.pop()
                node.end = end
                node = _attach(node, stack, pending_key)
                if not stack:
                    root = node
                continue
            if name == "AliasEvent":
                aliases += 1
                target = anchors.get(event.anchor)
                if target is None:
                    raise InputError(
                        f"the alias *{event.anchor} names no anchor defined before it",
                        line=start[0] + 1,
                        column=start[1] + 1,
                        snippet=_snippet(lines, start[0]),
                    )
                node = Node("alias", start, end, value=event.anchor, target=target)
            elif name == "ScalarEvent":
                node = Node(
                    "scalar",
                    start,
                    end,
                    tag=event.tag,
                    anchor=event.anchor,
                    value=event.value,
                    style=event.style or None,
                )
            elif name in ("MappingStartEvent", "SequenceStartEvent"):
                kind = "map" if name == "MappingStartEvent" else "seq"
                node = Node(kind, start, end, tag=event.tag, anchor=event.anchor, flow=bool(event.flow_style))
                if len(stack) >= MAX_DEPTH:
                    raise InputError(
                        f"the file nests deeper than {MAX_DEPTH} levels; no values file needs that",
                        line=start[0] + 1,
                        column=start[1] + 1,
                        snippet=_snippet(lines, start[0]),
                    )
            else:  # pragma: no cover - libyaml has no other events
                continue
            count += 1
            if node.anchor:
                anchors[node.anchor] = node
            if node.kind in ("map", "seq"):
                stack.append(node)
                pending_key.append(None)
                continue
            node = _attach(node, stack, pending_key)
            if not stack:
                root = node
    except MarkedYAMLError as exc:
        raise _yaml_error(exc, lines) from None
    except ReaderError as exc:  # a character YAML does not allow anywhere (e.g. NUL, other controls)
        index = len(text.encode("utf-8")[: exc.position].decode("utf-8", "ignore"))
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        raise _position_error(
            text,
            index,
            f"invalid YAML: the character U+{code:04X} is not allowed in YAML ({exc.reason}); "
            "the file may be binary or damaged",
            lines,
        ) from None
    except YAMLError as exc:  # pragma: no cover - libyaml raises the two above
        raise InputError(f"invalid YAML: {exc}") from None
    return root, count, aliases


def _attach(node: Node, stack: list[Node], pending_key: list[Node | None]) -> Node:
    if not stack:
        return node
    parent = stack[-1]
    if parent.kind == "seq":
        parent.items.append(node)
    elif pending_key[-1] is None:
        pending_key[-1] = node
    else:
        parent.items.append((pending_key[-1], node))
        pending_key[-1] = None
    return node


def _yaml_error(exc: MarkedYAMLError, lines: list[str]) -> InputError:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line if mark is not None else None
    column = mark.column if mark is not None else None
    problem = exc.problem or "invalid YAML"
    snippet = _snippet(lines, line)
    if "tab" in problem or (snippet is not None and column is not None and "\t" in snippet[: column + 1]):
        problem = (
            "a tab character is used for indentation; YAML allows only spaces there "
            "(replace the tab with spaces)"
        )
    elif exc.context and exc.context_mark is not None and _unclosed(exc):
        # A bracket or quote left open: the fault is where it opened, not where the reader gave up.
        opened = exc.context_mark
        what = "quoted value" if "quoted" in exc.context else "flow collection ([ or {)"
        stopped = line + 1 if line is not None else "the end"
        return InputError(
            f"invalid YAML: the {what} opened here is never closed (the reader stopped at line {stopped}: "
            f"{problem})",
            line=opened.line + 1,
            column=opened.column + 1,
            snippet=_snippet(lines, opened.line),
        )
    elif exc.context:
        problem = (
            f"{problem} ({exc.context}, line {exc.context_mark.line + 1})" if exc.context_mark else problem
        )
    return InputError(
        f"invalid YAML: {problem}",
        line=line + 1 if line is not None else None,
        column=column + 1 if column is not None else None,
        snippet=snippet,
    )


def _unclosed(exc: MarkedYAMLError) -> bool:
    context = exc.context or ""
    opened, stopped = exc.context_mark, exc.problem_mark
    return (
        ("while parsing a flow" in context or "while scanning a quoted scalar" in context)
        and opened is not None
        and stopped is not None
        and stopped.line > opened.line
    )


def _check_alias_expansion(root: Node, budget: int) -> None:
    """Refuse files whose aliases would expand to more than `budget` nodes (billion laughs)."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # collections whose children are still being sized

    # Iterative post-order so that deep documents cannot exhaust the stack.
    work: list[tuple[Node, bool]] = [(root, False)]
    while work:
        node, done = work.pop()
        key = id(node)
        if key in sizes:
            continue
        if node.kind == "alias":
            target = node.target
            assert target is not None
            if id(target) not in sizes:
                if done or id(target) in open_nodes:  # an alias inside its own anchor: recursive
                    raise InputError(
                        f"the alias *{node.value} refers to the node it is inside",
                        line=node.start[0] + 1,
                        column=node.start[1] + 1,
                    )
                work.append((node, True))
                work.append((target, False))
                continue
            sizes[key] = sizes[id(target)]
        elif node.kind == "scalar":
            sizes[key] = 1
        else:
            children = [c for item in node.items for c in (item if node.kind == "map" else (item,))]
            if not done:
                open_nodes.add(key)
                work.append((node, True))
                work.extend((c, False) for c in children if id(c) not in sizes)
                continue
            open_nodes.discard(key)
            total = 1
            for child in children:
                total += sizes.get(id(child), 0)
            sizes[key] = total
        if sizes[key] > budget:
            raise InputError(
                f"aliases in this file expand to more than {budget:,} values (an 'alias bomb'); "
                "refusing to expand it",
                line=node.start[0] + 1,
                column=node.start[1] + 1,
            )


def _to_data(node: Node, path: Path) -> Any:
    if node.kind == "alias":
        assert node.target is not None
        return copy.deepcopy(_to_data(node.target, path))
    if node.kind == "scalar":
        return _scalar_value(node, path)
    if node.kind == "seq":
        if node.tag is not None and node.tag not in _SEQ_TAGS:
            raise _tag_error(node, path)
        return [_to_data(item, (*path, i)) for i, item in enumerate(node.items)]
    if node.tag is not None and node.tag not in _MAP_TAGS:
        raise _tag_error(node, path)
    result: dict[Any, Any] = {}
    seen: dict[Any, Node] = {}
    merged: dict[Any, Any] = {}
    for key_node, value_node in node.items:
        key = _key_value(key_node, path)
        if key == "<<" and key_node.style in (None, "") and key_node.tag is None:
            for source in _merge_sources(value_node, path):
                for k, v in source.items():
                    merged.setdefault(k, v)
            continue
        if key in seen:
            first = seen[key]
            raise InputError(
                f"duplicate key {key!r}: it is also defined on line {first.start[0] + 1}, "
                "and only one of the two would take effect",
                line=key_node.start[0] + 1,
                column=key_node.start[1] + 1,
                key=format_path((*path, key)),
            )
        seen[key] = key_node
        result[key] = _to_data(value_node, (*path, key))
    for k, v in merged.items():
        result.setdefault(k, v)
    return result


def _key_value(key_node: Node, path: Path) -> Any:
    target = key_node.target if key_node.kind == "alias" else key_node
    assert target is not None
    if target.kind != "scalar":
        raise InputError(
            "a mapping or list used as a key; values files use plain keys",
            line=key_node.start[0] + 1,
            column=key_node.start[1] + 1,
            key=format_path(path) or None,
        )
    value = _scalar_value(target, path)
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return value


def _merge_sources(value_node: Node, path: Path) -> list[dict]:
    value = _to_data(value_node, (*path, "<<"))
    sources = value if isinstance(value, list) else [value]
    if not all(isinstance(s, dict) for s in sources):
        raise InputError(
            "a merge key (<<) must refer to a mapping or a list of mappings",
            line=value_node.start[0] + 1,
            column=value_node.start[1] + 1,
            key=format_path((*path, "<<")),
        )
    return sources
