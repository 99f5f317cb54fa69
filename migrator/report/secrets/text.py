"""Masking the text of a YAML file in place, from its node tree: every byte that is not a
secret is kept, so the masked copy is still the same YAML."""

from __future__ import annotations

import gc
import re
from typing import Any

from migrator.errors import InputError
from migrator.report.secrets.content import _apply, _content_len, _edit_line, secret_spans
from migrator.report.secrets.lines import _mask_lines_fallback
from migrator.report.secrets.names import (
    IDENT,
    MASK,
    NORMAL_CTX,
    PLAIN,
    REF_CTX,
    SECRET,
    SECRET_CTX,
    WEAK,
    _child_ctx,
    _is_secret_flag,
    _kind_of,
    _masks_whole,
    _word_set,
    key_kind,
)
from migrator.yaml.parse import Node, build_tree, resolve_plain, split_lines

_WORDS_NOT_TEXT = _word_set(
    "y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON off Off OFF"
)
_WORDS_NOT_TEXT |= {"null", "Null", "NULL"}
_STR_TAGS = {None, "!", "tag:yaml.org,2002:str", "tag:yaml.org,2002:binary", "tag:yaml.org,2002:timestamp"}


def _scalar_data(node: Node) -> Any:
    """The value of a scalar as Helm reads it (enough to tell texts, numbers, booleans and nulls)."""
    if node.tag is None and node.style in (None, ""):
        text = node.value
        if text[:1].isalpha() and text not in _WORDS_NOT_TEXT:  # not a number, boolean or null
            return text
        return resolve_plain(text)
    if node.tag in _STR_TAGS:
        return node.value
    return resolve_plain(node.value)


_WHOLE = "whole"


class _Masker:
    """Decides, for each scalar of a parsed file, whether it is masked whole or in parts."""

    def __init__(self) -> None:
        self.decisions: dict[int, tuple[Node, Any]] = {}  # id -> (node, _WHOLE | spans)
        self.found: set[str] = set()
        self.shown: list[Node] = []
        self.walked_aliases: set[tuple[int, str, str]] = set()

    def walk(self, root: Node) -> None:
        stack: list[tuple[Node, str, str]] = [(root, NORMAL_CTX, PLAIN)]
        while stack:
            node, ctx, kind = stack.pop()
            if node.kind == "map":
                self._map(node, ctx, kind, stack)
            elif node.kind == "seq":
                after_flag = False
                for item in node.items:
                    if after_flag:
                        stack.append((item, _child_ctx(ctx, SECRET), SECRET))
                    else:
                        stack.append((item, ctx, kind))
                    after_flag = item.kind == "scalar" and _is_secret_flag(item.value)
            elif node.kind == "alias":
                target = node.target
                if target is None or ctx == REF_CTX:
                    continue
                if ctx == SECRET_CTX or kind in (SECRET, WEAK):
                    seen = (id(target), ctx, kind)
                    if seen not in self.walked_aliases:
                        self.walked_aliases.add(seen)
                        stack.append((target, ctx, kind))
            else:
                self._scalar(node, ctx, kind)

    def _map(self, node: Node, ctx: str, kind: str, stack: list) -> None:
        env = None
        keys = [_key_text(key_node) for key_node, _ in node.items]
        if "value" in keys:
            by_key = dict(zip(keys, (value for _, value in node.items), strict=True))
            for carrier in ("name", "key"):
                carrier_node = by_key.get(carrier)
                if carrier_node is not None and carrier_node.kind == "scalar" and carrier_node.value:
                    env = carrier_node.value
                    break
        for key, (key_node, value_node) in zip(keys, node.items, strict=True):
            if key == "<<" and key_node.kind == "scalar" and key_node.style in (None, ""):
                stack.append((value_node, ctx, kind))  # merged keys read as this mapping's own
                continue
            sub_kind = key_kind(env) if key == "value" and env is not None else _kind_of(key)
            stack.append((value_node, _child_ctx(ctx, sub_kind), sub_kind))

    def _scalar(self, node: Node, ctx: str, kind: str) -> None:
        value = _scalar_data(node)
        if _masks_whole(kind, ctx, value):
            self.decisions[id(node)] = (node, _WHOLE)
            if isinstance(value, str) and kind in (SECRET, WEAK):
                self.found.add(value)
            return
        if not isinstance(value, str) or not value:
            return
        if id(node) in self.decisions:  # already decided (an alias walk)
            return
        spans = secret_spans(value, entropy=kind != IDENT)
        if spans:
            self.decisions[id(node)] = (node, spans)
            self.found.update(value[a:b] for a, b in spans)
        self.shown.append(node)

    def finish(self) -> list[tuple[Node, Any]]:
        found = {s for s in self.found if len(s) >= 4}
        if found:
            for node in self.shown:
                decided = self.decisions.get(id(node))
                if node.value in found and (decided is None or decided[1] is not _WHOLE):
                    self.decisions[id(node)] = (node, _WHOLE)
        return list(self.decisions.values())


def _key_text(key_node: Node) -> Any:
    target = key_node.target if key_node.kind == "alias" else key_node
    if target is not None and target.kind == "scalar":
        return target.value
    return None


def mask_yaml_text(text: str) -> str:
    """The text with every secret masked in place, line for line (rules: the module docstring)."""
    # Like parsing, masking allocates many objects while the whole node tree is alive: the cyclic
    # garbage collector would walk that tree again and again for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _mask_yaml_text(text)
    finally:
        if collecting:
            gc.enable()


def _mask_yaml_text(text: str) -> str:
    bom = text.startswith("\ufeff")
    body = text[1:] if bom else text
    lines = split_lines(body)
    try:
        # The node tree is all masking needs: not the data (half of a parse's time), so a file with
        # a duplicate key or an unknown tag is still masked by its structure.
        root, _, _ = build_tree(body, lines)
    except InputError:
        return ("\ufeff" if bom else "") + _mask_lines_fallback(body)
    if root is None:
        return text
    return ("\ufeff" if bom else "") + _mask_tree(root, lines)


def mask_parsed_text(root: Node | None, lines: list[str]) -> str:
    """`mask_yaml_text` of a text already parsed (no BOM): its node tree and its lines, not parsed again."""
    if root is None:
        return "".join(lines)
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _mask_tree(root, list(lines))
    finally:
        if collecting:
            gc.enable()


def _mask_tree(root: Node, lines: list[str]) -> str:
    """The lines (edited in place) with the secrets of the tree `root` of their text masked, joined."""
    masker = _Masker()
    masker.walk(root)
    edits: dict[int, list[tuple[int, int, str]]] = {}
    for node, decision in masker.finish():
        _edit_scalar(lines, node, decision, edits)
    for index, line_edits in edits.items():
        lines[index] = _edit_line(lines[index], line_edits)
    return "".join(lines)


def _add(edits: dict[int, list[tuple[int, int, str]]], line: int, a: int, b: int, text: str) -> None:
    edits.setdefault(line, []).append((a, b, text))


def _scalar_start(
    lines: list[str], node: Node, drop_tags: bool, edits: dict[int, list[tuple[int, int, str]]]
) -> tuple[int, int]:
    """Where the scalar's own text starts, after its anchor and tag (a dropped tag is an edit)."""
    line, col = node.start
    if not node.anchor and not node.tag:
        return line, col
    end_line = node.end[0]
    while line <= end_line:
        text = lines[line]
        size = _content_len(text)
        while col < size and text[col] in " \t":
            col += 1
        if col >= size:
            line, col = line + 1, 0
            continue
        if text[col] not in "&!":
            return line, col
        end = col
        while end < size and text[end] not in " \t":
            end += 1
        if text[col] == "!" and drop_tags:
            after = end
            while after < size and text[after] in " \t":
                after += 1
            _add(edits, line, col, after, "")
        col = end
    return node.start  # pragma: no cover - a scalar always has text after its properties


def _edit_scalar(
    lines: list[str], node: Node, decision: Any, edits: dict[int, list[tuple[int, int, str]]]
) -> None:
    whole = decision is _WHOLE
    line, col = _scalar_start(lines, node, whole, edits)
    end_line, end_col = node.end
    style = node.style or ""
    if line == end_line:
        if whole:
            mask = f"{style}{MASK}{style}" if style in ("'", '"') else MASK
            _add(edits, line, col, end_col, mask)
            return
        raw = lines[line][col:end_col]
        masked_value = _apply(node.value, decision)
        if style == "":
            shown = masked_value if raw == node.value else None
        elif style == "'":
            shown = "'" + masked_value.replace("'", "''") + "'" if raw[:1] == "'" else None
        elif style == '"':
            shown = _double_quoted(masked_value) if raw[:1] == '"' else None
        else:
            shown = None
        if shown is None:  # pragma: no cover - a one-line scalar is plain or quoted
            shown = MASK
        _add(edits, line, col, end_col, shown)
        return
    if not whole and style in ("|", ">"):
        _edit_block(lines, node, line, edits)
        return
    # A multi-line flow scalar: the mask (or the masked value, double-quoted) on its first line,
    # its other lines emptied but kept, text after its end kept in its column.
    if whole:
        mask = f"{style}{MASK}{style}" if style in ("'", '"') else MASK
    else:
        mask = _double_quoted(_apply(node.value, decision))
    _add(edits, line, col, _content_len(lines[line]), mask)
    last = end_line if end_col > 0 else end_line - 1
    for index in range(line + 1, last + 1):
        size = _content_len(lines[index])
        if index == end_line:
            tail = lines[index][end_col:size]
            if tail.strip():
                _add(edits, index, 0, end_col, " " * end_col)
                continue
        _add(edits, index, 0, size, "")


def _edit_block(
    lines: list[str], node: Node, header: int, edits: dict[int, list[tuple[int, int, str]]]
) -> None:
    """Mask the secret parts of a block scalar's lines, each line in place."""
    end_line, end_col = node.end
    last = min(end_line if end_col > 0 else end_line - 1, len(lines) - 1)
    contents = [lines[i][: _content_len(lines[i])] for i in range(header + 1, last + 1)]
    indents = [len(c) - len(c.lstrip(" ")) for c in contents if c.strip()]
    indent = min(indents) if indents else 0
    pieces = [c[indent:] for c in contents]
    virtual = "\n".join(pieces)
    spans = secret_spans(virtual)
    if not spans:
        return
    k, offset = 0, 0  # the piece holding the current position, and where it starts in `virtual`
    for a, b in spans:
        while k < len(pieces) and offset + len(pieces[k]) < a:
            offset += len(pieces[k]) + 1
            k += 1
        j, j_offset = k, offset
        while j < len(pieces) and j_offset < b:
            lo, hi = max(a, j_offset), min(b, j_offset + len(pieces[j]))
            if lo < hi:
                _add(edits, header + 1 + j, indent + lo - j_offset, indent + hi - j_offset, MASK)
            if j_offset + len(pieces[j]) >= b:
                break
            j_offset += len(pieces[j]) + 1
            j += 1


_DQ_SPECIAL = re.compile(r'["\\\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ufeff]')
_DQ_NAMED = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\x85": "\\N",
    "\u2028": "\\L",
    "\u2029": "\\P",
}


def _double_quoted(value: str) -> str:
    def escape(match: re.Match) -> str:
        ch = match.group()
        return _DQ_NAMED.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")

    return '"' + _DQ_SPECIAL.sub(escape, value) + '"'


def mask_line(text: str | list[str], index: int) -> str:
    """Line `index` (0-based, without its line break) of `text`, masked with the context of the lines above.

    For error snippets: a line alone cannot tell that it sits under `secrets:`
    or continues a password; the whole text can.
    """
    lines = split_lines(text) if isinstance(text, str) else list(text)
    if not 0 <= index < len(lines):
        return ""
    masked = split_lines(mask_yaml_text("".join(lines)))
    if len(masked) != len(lines):  # pragma: no cover - masking keeps the lines
        masked = split_lines(_mask_lines_fallback("".join(lines[: index + 1])))
    line = masked[index] if index < len(masked) else ""
    return line[: _content_len(line)]
