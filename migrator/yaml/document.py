"""A values file as text and nodes: positions of every key, and the file's own style.

`Document` holds the parsed text (migrator.yaml.parse) and answers where a key is
(`line_of`, `entry`) and how the file writes YAML (`style`: its indentation, its
sequence offset, its line breaks), so that an edit can write new lines the file's way.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from migrator.yaml.parse import LINE_BREAK, Node, ParsedYaml, parse, resolve_plain
from migrator.yaml.paths import Path, get_in

_UNSET: Any = object()


@dataclass
class Style:
    indent: int  # columns a nested mapping is indented by
    seq_offset: int  # columns from a key to the `-` of its block sequence (0: indentless)
    newline: str


class Document:
    """A parsed values file: its lines, its node tree and its data."""

    def __init__(
        self,
        text: str,
        parsed: ParsedYaml | None = None,
        *,
        data: Any = _UNSET,
        origin: tuple[Document, dict[int, int]] | None = None,
    ) -> None:
        """Parse `text` now, or, given its (verified) `data`, only when a position is asked for.

        `origin` is the document this text was edited from, with where each of its untouched
        lines now stands: lines of keys on untouched lines are found there without a parse.
        """
        self.text = text
        self._parsed = parsed if parsed is not None or data is not _UNSET else parse(text)
        self._data = data
        self._origin = origin
        self._style: Style | None = None

    @property
    def parsed(self) -> ParsedYaml:
        if self._parsed is None:
            self._parsed = parse(self.text)
        return self._parsed

    @property
    def lines(self) -> list[str]:
        return self.parsed.lines

    @property
    def root(self) -> Node | None:
        return self.parsed.root

    @property
    def data(self) -> Any:
        return self.parsed.data if self._data is _UNSET else self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value

    # -- lookup ------------------------------------------------------------
    def entry(self, path: Path) -> tuple[Node | None, Node] | None:
        """(key node, value node) at `path`; key node is None for a list item."""
        node = self.root
        key_node: Node | None = None
        for part in path:
            if node is None:
                return None
            if node.kind == "alias":
                node = node.target
            if node.kind == "map" and not isinstance(part, int):
                for k, v in node.items:
                    if k.kind == "scalar" and key_text(k) == part:
                        key_node, node = k, v
                        break
                else:
                    return None
            elif node.kind == "seq" and isinstance(part, int) and 0 <= part < len(node.items):
                key_node, node = None, node.items[part]
            else:
                return None
        if node is None:
            return None
        return key_node, node

    def line_of(self, path: Path) -> int | None:
        """1-based line of the key (or value) at `path`, or of its nearest existing parent."""
        if self._parsed is None and self._origin is not None:
            origin, line_map = self._origin
            for cut in range(len(path), 0, -1):
                if not self.has(path[:cut]):
                    continue
                found = origin.entry(path[:cut])
                if found:
                    old = (found[0] or found[1]).start[0]
                    if old in line_map:  # an untouched line: the same key, moved by the edits above it
                        return line_map[old] + 1
                break
        for cut in range(len(path), 0, -1):
            found = self.entry(path[:cut])
            if found:
                key_node, value_node = found
                return (key_node or value_node).start[0] + 1
        return None

    def get(self, path: Path, default: Any = None) -> Any:
        return get_in(self.data, path, default)

    def has(self, path: Path) -> bool:
        return get_in(self.data, path, _UNSET) is not _UNSET

    def source_text(self, node: Node) -> str | None:
        """The node's own text when it is a one-line scalar (quotes included), else None."""
        if node.kind != "scalar" or node.start[0] != node.end[0] or node.style in ("|", ">"):
            return None
        line = LINE_BREAK.sub("", self.lines[node.start[0]])
        return line[node.start[1] : node.end[1]]

    def inline_comment(self, path: Path) -> str:
        """The comment at the end of the entry's first line, with its leading spaces."""
        found = self.entry(path)
        if not found:
            return ""
        key_node, value_node = found
        if value_node.kind in ("map", "seq") and not value_node.flow and key_node is not None:
            after = key_node.end
        else:
            if value_node.start[0] != value_node.end[0]:
                return ""
            after = value_node.end
        line = LINE_BREAK.sub("", self.lines[after[0]])
        rest = line[after[1] :]
        if not (key_node is not None and after == key_node.end):
            return rest if rest.lstrip().startswith("#") and rest[:1] in (" ", "\t") else ""
        # after a key: skip the colon
        match = re.match(r"\s*:(\s+#.*)$", rest)
        return match.group(1) if match else ""

    @property
    def style(self) -> Style:
        if self._style is None:
            self._style = _detect_style(self)
        return self._style


def key_text(node: Node) -> Any:
    if node.style in (None, "") and node.tag is None:
        return resolve_plain(node.value)
    return node.value


def _detect_style(doc: Document) -> Style:
    indents: Counter[int] = Counter()
    offsets: Counter[int] = Counter()
    stack = [doc.root] if doc.root is not None else []
    seen = 0
    while stack and seen < 2000:
        node = stack.pop()
        seen += 1
        if node.kind != "map" or node.flow:
            continue
        for key, value in node.items:
            if value.kind == "map" and not value.flow and value.items and value.start[0] > key.start[0]:
                indents[value.start[1] - key.start[1]] += 1
                stack.append(value)
            elif value.kind == "seq" and not value.flow and value.items and value.start[0] > key.start[0]:
                offsets[value.start[1] - key.start[1]] += 1
                stack.extend(i for i in value.items if i.kind == "map")
    indent = indents.most_common(1)[0][0] if indents else 2
    indent = indent if indent > 0 else 2
    seq_offset = offsets.most_common(1)[0][0] if offsets else indent
    newline = "\n"
    for line in doc.lines:
        match = LINE_BREAK.search(line)
        if match:
            newline = match.group(0)
            break
    return Style(indent, seq_offset, newline)
