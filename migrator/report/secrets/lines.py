"""Masking text that does not parse (an error snippet, a broken file), line by line."""

from __future__ import annotations

import re
from typing import Any

from migrator.report.secrets.content import _PEM_BEGIN, _apply, _content_len, _edit_line, secret_spans
from migrator.report.secrets.names import (
    IDENT,
    MASK,
    NORMAL_CTX,
    PLAIN,
    SECRET,
    _child_ctx,
    _is_secret_flag,
    _masks_whole,
    key_kind,
)
from migrator.yaml.parse import resolve_plain, split_lines

_FLOW_TOKEN = re.compile(
    r"""
    (?P<dq>"(?:[^"\\]|\\.)*+"?)
    |(?P<sq>'(?:[^']|'')*+'?)
    |(?P<open>[\[{])
    |(?P<close>[\]}])
    |(?P<comma>,)
    |(?P<colon>:(?=[\s,\[\]{}]|$))
    |(?P<comment>(?<=\s)\#.*+)
    |(?P<ws>\s++)
    |(?P<plain>(?:[^\s,\[\]{}:"'\#]|:(?![\s,\[\]{}]|$)|(?<!\s)\#)++|\#)
    """,
    re.X | re.S,
)


_MAX_FLOW_DEPTH = 100  # as the parser's nesting bound


class _Frame:
    __slots__ = ("ctx", "flow_map", "items", "key", "key_kind", "kind", "pairs", "tokens")

    def __init__(self, ctx: str, kind: str, flow_map: bool, key: str | None = None) -> None:
        self.ctx = ctx
        self.kind = kind  # the key the collection sits under (its items are its values)
        self.flow_map = flow_map
        self.key = key  # the current pair's key, once its `:` is seen
        self.key_kind = key_kind(key) if key is not None else None
        self.tokens: list[tuple[int, int, str]] = []  # the current key's or value's scalar tokens
        self.pairs: list[tuple[str | None, list[tuple[int, int, str]]]] = []
        self.items: list[list[tuple[int, int, str]]] = []


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text.lstrip("\"'")


def _mask_flow(segment: str, ctx: str, kind: str, key: str | None) -> str:
    """Mask one line's value text (scalars, `key: value` pairs, flow collections, broken quotes)."""
    edits: list[tuple[int, int, str]] = []
    top = _Frame(ctx, kind, flow_map=True, key=key)
    stack = [top]

    def value_state(frame: _Frame) -> tuple[str, str]:
        if frame.flow_map and frame.key is not None:
            sub_kind = frame.key_kind or PLAIN
            return _child_ctx(frame.ctx, sub_kind), sub_kind
        return frame.ctx, frame.kind

    def close_value(frame: _Frame) -> None:
        if frame.flow_map:
            if frame.key is not None or frame.tokens:
                frame.pairs.append((frame.key, frame.tokens))
        elif frame.tokens:
            frame.items.append(frame.tokens)
        frame.tokens = []
        frame.key, frame.key_kind = None, None

    def finish(frame: _Frame) -> None:
        close_value(frame)
        if frame.flow_map:
            env = None
            keys = {k for k, _ in frame.pairs}
            if "value" in keys:
                for k, tokens in frame.pairs:
                    if k in ("name", "key") and tokens:
                        env = _unquote(segment[tokens[0][0] : tokens[-1][1]])
                        break
            for k, tokens in frame.pairs:
                if k is None:
                    continue  # a scalar without a key: read with the frame's own kind below
                sub_kind = key_kind(env) if k == "value" and env is not None else key_kind(k)
                _mask_tokens(segment, tokens, _child_ctx(frame.ctx, sub_kind), sub_kind, edits)
            for k, tokens in frame.pairs:
                if k is None:
                    _mask_tokens(segment, tokens, frame.ctx, frame.kind, edits)
        else:
            after_flag = False
            for tokens in frame.items:
                if after_flag:
                    _mask_tokens(segment, tokens, _child_ctx(frame.ctx, SECRET), SECRET, edits)
                else:
                    _mask_tokens(segment, tokens, frame.ctx, frame.kind, edits)
                after_flag = len(tokens) == 1 and _is_secret_flag(
                    _unquote(segment[tokens[0][0] : tokens[0][1]])
                )

    deeper = 0  # brackets opened beyond _MAX_FLOW_DEPTH: their content is read in the deepest frame
    for match in _FLOW_TOKEN.finditer(segment):
        group = match.lastgroup
        frame = stack[-1]
        if group in ("ws", "comment"):
            continue
        if group == "open":
            if len(stack) > _MAX_FLOW_DEPTH:
                deeper += 1
                continue
            sub_ctx, sub_kind = value_state(frame)
            stack.append(_Frame(sub_ctx, sub_kind, flow_map=match.group() == "{"))
        elif group == "close":
            if deeper:
                deeper -= 1
            elif len(stack) > 1:
                finish(stack.pop())
        elif group == "comma":
            close_value(frame)
        elif group == "colon":
            if frame.flow_map and frame.key is None and frame.tokens:
                frame.key = _unquote(segment[frame.tokens[0][0] : frame.tokens[-1][1]])
                frame.key_kind = key_kind(frame.key)
                frame.tokens = []
            elif frame.flow_map and frame.key is not None:
                # `key: a: b` on a broken line: `a` is a key too
                if frame.tokens:
                    frame.pairs.append((frame.key, []))
                    frame.key = _unquote(segment[frame.tokens[0][0] : frame.tokens[-1][1]])
                    frame.key_kind = key_kind(frame.key)
                    frame.tokens = []
            elif not frame.flow_map and frame.tokens:  # `[a: b]`: a one-pair mapping in a list
                inner = _Frame(frame.ctx, frame.kind, flow_map=True)
                inner.key = _unquote(segment[frame.tokens[0][0] : frame.tokens[-1][1]])
                inner.key_kind = key_kind(inner.key)
                frame.tokens = []
                stack.append(inner)
        else:
            frame.tokens.append((match.start(), match.end(), group))
    while stack:
        finish(stack.pop())
    return _edit_line(segment, edits) if edits else segment


def _mask_tokens(segment: str, tokens: list[tuple[int, int, str]], ctx: str, kind: str, edits: list) -> None:
    if not tokens:
        return
    start, end = tokens[0][0], tokens[-1][1]
    raw = segment[start:end]
    value = _unquote(raw) if len(tokens) == 1 and tokens[0][2] != "plain" else raw
    data: Any = resolve_plain(value) if len(tokens) == 1 and tokens[0][2] == "plain" else value
    if _masks_whole(kind, ctx, data):
        quote = raw[0] if raw[:1] in ("'", '"') else ""
        edits.append((start, end, f"{quote}{MASK}{quote}"))
        return
    spans = secret_spans(raw, entropy=kind != IDENT)
    if spans:
        edits.append((start, end, _apply(raw, spans)))


_BLOCK_KEY_COLON = re.compile(r":(?=[ \t]|$)")
_QUOTED_KEY = re.compile(r"""("(?:[^"\\]|\\.)*+"|'(?:[^']|'')*+')[ \t]*+:(?=[ \t]|$)""")


def _line_key(content: str, pos: int) -> tuple[str | None, int]:
    """The block key at `pos` (`key:`, `"key":`), and where its value starts; (None, pos) when none."""
    if pos >= len(content) or content[pos] in "[{#|>&*!%@`":
        return None, pos
    if content[pos] in "\"'":
        match = _QUOTED_KEY.match(content, pos)
        if match is None:
            return None, pos
        return _unquote(match.group(1)), match.end()
    if content.startswith("? ", pos):
        return None, pos
    match = _BLOCK_KEY_COLON.search(content, pos)
    if match is None:
        return None, pos
    key = content[pos : match.start()]
    if " #" in key or "\t#" in key:
        return None, pos
    return key.rstrip(), match.end()


def _mask_lines_fallback(text: str) -> str:
    """For text that does not parse: line by line, following indentation for the context."""
    out: list[str] = []
    # (indent, context below, kind) of the `key:` lines that open a section
    parents: list[tuple[int, str, str]] = []
    names: dict[int, str] = {}  # indent -> the `name:` of the list entry being read (env entries)
    block: tuple[int, bool, str, str] | None = None  # lines more indented than this belong to one value
    pem = False
    flag_indent: int | None = None  # the indent of a `- --password` item: the next item is secret
    anchored: list[tuple[int, str, int, str]] = []  # (line, content, value start, anchor) of `key: &a ...`
    secret_aliases: set[str] = set()  # anchors whose alias sits where a secret goes

    def note_anchor(rest: str, value_start: int, content: str, whole: bool) -> None:
        if rest[:1] not in ("&", "*") or len(rest) < 2:
            return
        name = rest[1:].split(None, 1)[0]
        if rest[0] == "*" and whole:
            secret_aliases.add(name)
        elif rest[0] == "&":
            anchored.append((len(out), content, value_start, name))

    for line in split_lines(text):
        size = _content_len(line)
        content, ending = line[:size], line[size:]
        indent = len(content) - len(content.lstrip(" \t"))
        if indent == size:
            out.append(line)
            continue
        if pem or "-----BEGIN " in content:
            if "-----END" in content:
                pem = False
            elif pem:
                out.append(content[:indent] + MASK + ending)
                continue
            elif _PEM_BEGIN.search(content) and "PRIVATE KEY" in content:
                pem = True
        if block is not None and indent > block[0]:
            _, whole, ctx, kind = block
            rest = content[indent:]
            masked = MASK if whole else _mask_flow(rest, ctx, kind, None)
            out.append(content[:indent] + masked + ending)
            continue
        block = None
        if content[indent] == "#" or (indent == 0 and content.startswith(("---", "..."))):
            out.append(line)
            continue
        pos = indent
        item = False
        while content.startswith("- ", pos) or (content.startswith("-", pos) and pos + 1 == size):
            item = True
            pos += 1
            while pos < size and content[pos] in " \t":
                pos += 1
        while parents and (parents[-1][0] > indent or (parents[-1][0] == indent and not item)):
            parents.pop()
        ctx, kind = (parents[-1][1], parents[-1][2]) if parents else (NORMAL_CTX, PLAIN)
        if item:
            names.pop(pos, None)
        key, value_at = _line_key(content, pos)
        if key is None:
            after_flag = flag_indent == indent and item
            flag_indent = indent if item and _is_secret_flag(content[pos:].strip()) else None
            if after_flag:
                ctx, kind = _child_ctx(ctx, SECRET), SECRET
            rest = content[pos:]
            masked = _mask_flow(rest, ctx, kind, None)
            note_anchor(rest, pos, content, _masks_whole(kind, ctx, "x"))
            out.append(content[:pos] + masked + ending)
            block = (indent, _masks_whole(kind, ctx, "x") and masked != rest, ctx, kind)
            continue
        flag_indent = None
        value_start = value_at
        while value_start < size and content[value_start] in " \t":
            value_start += 1
        rest = content[value_start:]
        sub_kind = key_kind(key)
        if key == "value" and pos in names:
            sub_kind = key_kind(names[pos])
        sub_ctx = _child_ctx(ctx, sub_kind)
        if not rest or rest.startswith("#"):
            parents.append((pos, sub_ctx, sub_kind))
            out.append(line)
            continue
        if rest[0] in "|>":
            whole = _masks_whole(sub_kind, sub_ctx, "x")
            block = (pos, whole, sub_ctx, sub_kind)
            out.append(line)
            continue
        if key in ("name", "key"):
            names[pos] = _unquote(rest.split(" #", 1)[0].strip())
        masked = _mask_flow(rest, sub_ctx, sub_kind, key)
        note_anchor(rest, value_start, content, _masks_whole(sub_kind, sub_ctx, "x"))
        out.append(content[:value_start] + masked + ending)
        block = (pos, _masks_whole(sub_kind, sub_ctx, "x"), sub_ctx, sub_kind)
    for index, content, value_start, name in anchored:  # `x: &a value` whose alias `*a` is a secret
        if name in secret_aliases:
            line = out[index]
            out[index] = f"{content[:value_start]}&{name} {MASK}{line[_content_len(line) :]}"
    return "".join(out)
