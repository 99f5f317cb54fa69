"""Generate `migrator/chart/data/catalogue.json`: every key the chart reads, per version.

    python -m migrator.chart.build_catalogue            # rewrite the data file
    python -m migrator.chart.build_catalogue --check    # exit 1 when the shipped file is stale

Reads every shipped package (`migrator/chart/data/adaptive-<version>.tgz`) with `tarfile`
only (no Helm, no network) and, per version, collects:

- from `values.yaml` (parsed with our Helm-equivalent reader, `migrator.yaml.parse`): every
  key path with its default, its type and its description (the comment lines directly
  above the key and its trailing comment, `#` stripped);
- from the templates: every `.Values` path they read. A small abstract interpreter walks
  the Go templates the way Helm executes them: `.` and `$` and variables hold abstract
  values (the chart's root, a values path, a `dict`, a literal), `with` rebinds `.`,
  `range $i, $pool := .Values.harmony.computePools` binds `$pool` to the list's items
  (`harmony.computePools[]`), `include "x" (dict "root" $root "pool" $pool)` analyses
  the define with that argument (`.pool.replicas` is `harmony.computePools[].replicas`),
  `index`/`get`/`hasKey`/`dig` extend paths, `default`/`ternary`/`or`/`coalesce`/`merge`
  yield either operand. Only defines reachable from a rendered template count (a
  helper left behind for a removed component reads nothing);
- free-form maps: a path handed whole to `toYaml`/`toJson`/`tpl`/`keys`/`set`, ranged
  over with its keys (`range $k, $v :=` over a map), indexed with a computed key, or the
  root of a subchart (folders and packages under `charts/`, whose values are the
  subchart's business), and `global`. Anything under a free-form path is accepted;
- the types of values whose default is null or absent, from how the templates use them
  (a field read makes a map, `int`, `eq x "s"`, `default 1`, a partner in `default`);
- keys read only to refuse them (a condition whose body is `fail`, like 0.24's
  `harmony.group`): recorded with the chart's message;
- for a key the values do not describe that stands in for one they do (a pool's
  `gpusPerReplica`, `default`-ed to `harmony.gpusPerReplica`), the other key's description.

Consecutive versions with identical facts about a path share one span, so the file stays
small. Adding a chart version is dropping its package into `migrator/chart/data/` and
running this command; `tests/test_catalogue.py` fails while the shipped file is stale.
"""

from __future__ import annotations

import io
import json
import re
import sys
import tarfile
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from migrator.chart import packages
from migrator.versions import Version
from migrator.yaml.parse import parse as parse_yaml

FORMAT = 1
ITEM = "[]"  # a list's items in a catalogue path
OUTPUT = "catalogue.json"

# ---------------------------------------------------------------------------
# Corrections where static analysis cannot see what the chart means. Keep it short, with
# the reason for every entry. (path, first version, last version or None, facts to force)
# Empty today: every fact of 0.17.0-0.48.2 is derived (tests/test_catalogue.py proves each
# key read with a render, and the unread ones not).
CORRECTIONS: tuple[tuple[str, str, str | None, dict[str, Any]], ...] = ()

# ---------------------------------------------------------------------------
# Go text/template: lexer


@dataclass
class Tok:
    kind: str  # str raw char num ident field var dollar dot lp rp pipe decl assign comma bool nil
    text: str
    adjacent: bool  # no blank before it: `.a.b`, `$x.a`, `(p).a` chain


_SPACE = " \t\r\n"
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(
    r"[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]+|[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)"
)


def split_template(text: str) -> list[tuple[str, Any]]:
    """Text and actions: [("text", s) | ("action", [Tok...]) ], comments dropped."""
    out: list[tuple[str, Any]] = []
    pos = 0
    while True:
        start = text.find("{{", pos)
        if start < 0:
            out.append(("text", text[pos:]))
            return out
        out.append(("text", text[pos:start]))
        i = start + 2
        if text.startswith("- ", i) or (
            text.startswith("-", i) and i + 1 < len(text) and text[i + 1] in _SPACE
        ):
            i += 2
        while i < len(text) and text[i] in _SPACE:
            i += 1
        if text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                raise SyntaxError("unclosed comment")
            end = text.find("}}", close + 2)
            pos = end + 2
            continue
        toks, pos = _lex_action(text, i)
        out.append(("action", toks))


def _lex_action(text: str, i: int) -> tuple[list[Tok], int]:
    toks: list[Tok] = []
    adjacent = False
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in _SPACE:
            i += 1
            adjacent = False
            continue
        if ch == "-" and text.startswith("}}", i + 1) and not adjacent:
            return toks, i + 3
        if text.startswith("}}", i):
            return toks, i + 2
        if ch == '"':
            j = i + 1
            buf = []
            while text[j] != '"':
                if text[j] == "\\":
                    esc = text[j + 1]
                    buf.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(esc, esc))
                    j += 2
                else:
                    buf.append(text[j])
                    j += 1
            toks.append(Tok("str", "".join(buf), adjacent))
            i = j + 1
        elif ch == "`":
            j = text.index("`", i + 1)
            toks.append(Tok("str", text[i + 1 : j], adjacent))
            i = j + 1
        elif ch == "'":
            j = text.index("'", i + 1 if text[i + 1] != "\\" else i + 3)
            toks.append(Tok("char", text[i + 1 : j], adjacent))
            i = j + 1
        elif ch == "(":
            toks.append(Tok("lp", ch, adjacent))
            i += 1
        elif ch == ")":
            toks.append(Tok("rp", ch, adjacent))
            i += 1
        elif ch == "|":
            toks.append(Tok("pipe", ch, adjacent))
            i += 1
        elif ch == ",":
            toks.append(Tok("comma", ch, adjacent))
            i += 1
        elif text.startswith(":=", i):
            toks.append(Tok("decl", ":=", adjacent))
            i += 2
        elif ch == "=":
            toks.append(Tok("assign", "=", adjacent))
            i += 1
        elif ch == "$":
            m = _IDENT.match(text, i + 1)
            name = "$" + (m.group(0) if m else "")
            toks.append(Tok("var", name, adjacent))
            i += len(name)
        elif ch == "." and (m := _IDENT.match(text, i + 1)):
            toks.append(Tok("field", m.group(0), adjacent))
            i += 1 + len(m.group(0))
        elif ch == "." and not (i + 1 < n and text[i + 1].isdigit()):
            toks.append(Tok("dot", ".", adjacent))
            i += 1
        elif (m := _NUMBER.match(text, i)) and (ch.isdigit() or ch in "+-."):
            toks.append(Tok("num", m.group(0), adjacent))
            i += len(m.group(0))
        elif m := _IDENT.match(text, i):
            word = m.group(0)
            kind = "bool" if word in ("true", "false") else "nil" if word == "nil" else "ident"
            toks.append(Tok(kind, word, adjacent))
            i += len(word)
        else:
            raise SyntaxError(f"unexpected {ch!r} in action")
        adjacent = True
    raise SyntaxError("unclosed action")


# ---------------------------------------------------------------------------
# parser: a list of nodes per template
#   ("action", pipe) ("if"|"with"|"range", pipe, body, else_body) ("template", name, pipe|None)
#   ("define", name, body) ("block", name, pipe, body)
# pipe: (decl_names, is_assignment, [command]); command: [operand]
# operand: (term, [field names]); term: ("dot",) ("var", name) ("field",) ("ident", name)
#          ("lit", type, value) ("paren", pipe)


class Parser:
    def __init__(self, items: list[tuple[str, Any]]) -> None:
        self.items = items
        self.pos = 0
        self.defines: dict[str, list] = {}

    def parse(self) -> list:
        body, stop = self._list()
        if stop is not None:
            raise SyntaxError(f"unexpected {{{{{stop[0].text}}}}}")
        return body

    def _list(self) -> tuple[list, list[Tok] | None]:
        body: list = []
        while self.pos < len(self.items):
            kind, value = self.items[self.pos]
            self.pos += 1
            if kind == "text":
                continue
            toks: list[Tok] = value
            if not toks:
                continue
            head = toks[0]
            word = head.text if head.kind == "ident" else None
            if word in ("end", "else"):
                return body, toks
            if word in ("if", "with", "range"):
                body.append(self._control(word, toks[1:]))
            elif word in ("define", "block"):
                name = toks[1].text
                pipe = self._pipe(toks[2:]) if word == "block" else None
                inner, stop = self._list()
                if stop is None or stop[0].text != "end":
                    raise SyntaxError(f"define {name}: no end")
                self.defines[name] = inner
                if word == "block":
                    body.append(("template", name, pipe))
            elif word == "template":
                pipe = self._pipe(toks[2:]) if len(toks) > 2 else None
                body.append(("template", toks[1].text, pipe))
            elif word in ("break", "continue"):
                continue
            else:
                body.append(("action", self._pipe(toks)))
        return body, None

    def _control(self, word: str, toks: list[Tok]) -> tuple:
        pipe = self._pipe(toks)
        body, stop = self._list()
        else_body: list = []
        if stop is None:
            raise SyntaxError(f"{word}: no end")
        if stop[0].text == "else":
            rest = stop[1:]
            if rest and rest[0].kind == "ident" and rest[0].text in ("if", "with"):
                # `else if` / `else with`: a nested control ending at the same `end`
                else_body = [self._control(rest[0].text, rest[1:])]
            else:
                else_body, stop = self._list()
                if stop is None or stop[0].text != "end":
                    raise SyntaxError(f"{word}: else without end")
        return (word, pipe, body, else_body)

    # pipelines -------------------------------------------------------------

    def _pipe(self, toks: list[Tok]) -> tuple:
        decls: list[str] = []
        assign = False
        for i, tok in enumerate(toks):
            if tok.kind in ("decl", "assign"):
                names = [t.text for t in toks[:i] if t.kind == "var"]
                if names and all(t.kind in ("var", "comma") for t in toks[:i]):
                    decls = names
                    assign = tok.kind == "assign"
                    toks = toks[i + 1 :]
                break
            if tok.kind not in ("var", "comma"):
                break
        cmds, rest = self._commands(toks, 0)
        if rest != len(toks):
            raise SyntaxError("unbalanced parentheses")
        return (decls, assign, cmds)

    def _commands(self, toks: list[Tok], i: int) -> tuple[list, int]:
        cmds: list[list] = [[]]
        while i < len(toks):
            tok = toks[i]
            if tok.kind == "rp":
                break
            if tok.kind == "pipe":
                cmds.append([])
                i += 1
                continue
            operand, i = self._operand(toks, i)
            cmds[-1].append(operand)
        return [c for c in cmds if c], i

    def _operand(self, toks: list[Tok], i: int) -> tuple[tuple, int]:
        tok = toks[i]
        fields: list[str] = []
        if tok.kind == "lp":
            inner, j = self._commands(toks, i + 1)
            term: tuple = ("paren", ([], False, inner))
            i = j + 1
        elif tok.kind == "field":
            term = ("dot",)
            fields.append(tok.text)
            i += 1
        elif tok.kind == "dot":
            term = ("dot",)
            i += 1
        elif tok.kind == "var":
            term = ("var", tok.text)
            i += 1
        elif tok.kind == "ident":
            term = ("ident", tok.text)
            i += 1
        elif tok.kind in ("str", "char"):
            term = ("lit", "string", tok.text)
            i += 1
        elif tok.kind == "num":
            is_int = re.fullmatch(r"[+-]?[0-9_]+|[+-]?0[xXbBoO][0-9a-fA-F_]+", tok.text) is not None
            term = ("lit", "integer" if is_int else "number", tok.text)
            i += 1
        elif tok.kind == "bool":
            term = ("lit", "boolean", tok.text == "true")
            i += 1
        elif tok.kind == "nil":
            term = ("lit", "null", None)
            i += 1
        else:
            raise SyntaxError(f"unexpected {tok.text!r}")
        while i < len(toks) and toks[i].kind == "field" and toks[i].adjacent:
            fields.append(toks[i].text)
            i += 1
        return (term, fields), i


# ---------------------------------------------------------------------------
# abstract values: frozensets of atoms
#   ("root",)                      the chart's top-level context ($ of a rendered template)
#   ("path", (k, ...))             a values path; ITEM for a list's items
#   ("dict", ((key, absval), ...)) a `dict` literal
#   ("list", absval)               a list built in the template, with its items' values
#   ("lit", type, value)           a literal (value None when not known)
#   ("rangekey", path)             the key variable of a `range $k, $v := <path>`
#   ("text", absval)               what toYaml/toJson printed of those values (for a `tpl` of it)

EMPTY: frozenset = frozenset()
COMPUTED = "<computed name>"  # include (print $.Template.BasePath "/x.yaml"): a rendered file anyway
ROOT = frozenset({("root",)})

WHOLE_FUNCS = {"toYaml", "toJson", "toPrettyJson", "toRawJson", "keys", "omit", "values", "tpl", "toToml"}
SCALAR_FUNCS = {
    "quote", "squote", "b64enc", "b64dec", "lower", "upper", "title", "trunc", "trim", "trimSuffix",
    "trimPrefix", "replace", "kebabcase", "snakecase", "camelcase", "contains", "hasPrefix", "hasSuffix",
    "sha256sum", "sha1sum", "toString", "print", "println", "printf", "cat", "nindent", "indent",
    "regexMatch", "regexReplaceAll", "urlquery", "trimAll", "substr", "splitList", "split", "semverCompare",
    "atoi", "abbrev", "repeat",
}  # fmt: skip
NUMBER_FUNCS = {"int", "int64", "float64", "add", "sub", "mul", "div", "mod", "max", "min", "add1"}
UNION_FUNCS = {
    "default", "coalesce", "or", "and", "ternary", "merge", "mergeOverwrite", "deepCopy", "mustDeepCopy",
    "mustMerge", "mustMergeOverwrite", "required", "first", "last", "compact", "uniq",
}  # fmt: skip
OPAQUE_FUNCS = {
    "fromJson", "fromYaml", "fromYamlArray", "fromJsonArray", "lookup", "randAlphaNum", "randAlpha",
    "uuidv4", "now", "date", "len", "not", "eq", "ne", "lt", "le", "gt", "ge", "empty", "include",
    "fail", "typeIs", "kindIs", "kindOf", "typeOf", "has", "hasKey", "join", "list", "dict", "set",
    "unset", "append", "concat", "index", "get", "dig", "pluck", "pick", "until", "seq", "genCA",
    "genSignedCert", "genPrivateKey", "derivePassword", "htpasswd", "tuple", "sortAlpha", "reverse",
    "dateInZone", "toDate", "b32enc", "encryptAES", "decryptAES", "base", "dir", "ext", "clean",
    "isAbs", "regexFind", "regexFindAll", "nospace", "wrap", "initials",
}  # fmt: skip


def _atoms(kind: str, value: frozenset) -> list:
    return [a for a in value if a[0] == kind]


@dataclass
class Facts:
    """What the templates of one chart version do with its values."""

    reads: dict[tuple, set[str]] = field(default_factory=dict)  # path -> usages
    plain: set[tuple] = field(default_factory=set)  # paths read outside fail guards
    guard_messages: dict[tuple, str] = field(default_factory=dict)
    hints: dict[tuple, set[str]] = field(default_factory=dict)  # path -> type hints
    links: set[tuple[tuple, tuple]] = field(default_factory=set)  # paths that stand for each other
    unresolved: set[str] = field(default_factory=set)  # include names not found
    unknown_funcs: set[str] = field(default_factory=set)

    def record(self, path: tuple, usage: str, guard: str | None) -> None:
        for i in range(1, len(path) + 1):
            prefix = path[:i]
            self.reads.setdefault(prefix, set())
            if guard is None:
                self.plain.add(prefix)
            elif prefix not in self.guard_messages:
                self.guard_messages[prefix] = guard
            if i < len(path):
                self.hints.setdefault(prefix, set()).add("array" if path[i] == ITEM else "object")
        self.reads[path].add(usage)

    def hint(self, path: tuple, kind: str) -> None:
        self.hints.setdefault(path, set()).add(kind)


class Interpreter:
    """Walks every rendered template once with abstract values and records the reads."""

    def __init__(self, defines: dict[str, list], facts: Facts) -> None:
        self.defines = defines
        self.facts = facts
        self.done: set[tuple[str, frozenset]] = set()
        self.active: list[tuple[str, frozenset]] = []
        self.guard: str | None = None

    # entry points ----------------------------------------------------------

    def run_template(self, body: list) -> None:
        self._body(body, ROOT, [{"$": ROOT}])

    def call(self, name: str, dot: frozenset) -> None:
        key = (name, dot)
        if key in self.done or key in self.active:
            return
        body = self.defines.get(name)
        if body is None:
            self.facts.unresolved.add(name)
            return
        self.active.append(key)
        saved, self.guard = self.guard, None
        try:
            self._body(body, dot, [{"$": dot}])
        finally:
            self.guard = saved
            self.active.pop()
        self.done.add(key)

    # statements ------------------------------------------------------------

    def _body(self, body: list, dot: frozenset, scopes: list[dict]) -> None:
        for node in body:
            kind = node[0]
            if kind == "action":
                self._pipe(node[1], dot, scopes)
            elif kind == "template":
                arg = self._pipe(node[2], dot, scopes) if node[2] is not None else EMPTY
                self.call(node[1], arg)
            elif kind == "if":
                _, pipe, then, other = node
                message = _fail_message(then) if not other else None
                if message is None or pipe[0] or len(pipe[2]) != 1:
                    self._pipe(pipe, dot, scopes, condition=True)
                else:
                    self._refusing(pipe[2][0], dot, scopes, message)
                self._body(then, dot, [*scopes, {}])
                self._body(other, dot, [*scopes, {}])
            elif kind == "with":
                _, pipe, then, other = node
                value = self._pipe(pipe, dot, scopes, condition=True)
                self._body(then, value, [*scopes, {}])
                self._body(other, dot, [*scopes, {}])
            elif kind == "range":
                self._range(node, dot, scopes)

    def _refusing(self, cmd: list, dot: frozenset, scopes: list[dict], message: str) -> None:
        """`if <cmd>` + `fail`: a value whose being set (truthy) makes the chart fail is
        refused; one under `not`, `eq` or any other function is a plain read."""
        (term, fields), *rest = cmd
        if term[0] == "ident" and term[1] in ("and", "or") and not fields:
            for operand in rest:
                self._refusing_operand(operand, dot, scopes, message)
        elif term[0] != "ident" and not rest:
            self._refusing_operand((term, fields), dot, scopes, message)
        else:
            value = self._command(cmd, dot, scopes, None)
            for atom in _atoms("path", value):
                self.facts.record(atom[1], "condition", self.guard)

    def _refusing_operand(self, operand: tuple, dot: frozenset, scopes: list[dict], message: str) -> None:
        term, _fields = operand
        if term[0] == "paren" and not term[1][0] and len(term[1][2]) == 1 and not operand[1]:
            self._refusing(term[1][2][0], dot, scopes, message)
            return
        saved = self.guard
        if term[0] in ("dot", "var"):
            self.guard = message
        try:
            value = self._operand(operand, dot, scopes)
            for atom in _atoms("path", value):
                self.facts.record(atom[1], "condition", self.guard)
        finally:
            self.guard = saved

    def _range(self, node: tuple, dot: frozenset, scopes: list[dict]) -> None:
        _, (decls, _assign, cmds), body, other = node
        value = self._commands(cmds, dot, scopes)
        items: set = set()
        keys: set = set()
        for atom in value:
            if atom[0] == "path":
                self.facts.record(atom[1], "range", self.guard)
                self.facts.hint(atom[1], "collection")
                items.add(("path", (*atom[1], ITEM)))
                keys.add(("rangekey", atom[1]))
            elif atom[0] == "list":
                items |= atom[1]
            elif atom[0] == "dict":
                for _, v in atom[1]:
                    items |= v
        inner = [*scopes, {}]
        element = frozenset(items)
        if len(decls) == 1:
            inner[-1][decls[0]] = element
        elif len(decls) == 2:
            inner[-1][decls[0]] = frozenset(keys)
            inner[-1][decls[1]] = element
        self._body(body, element, inner)
        self._body(other, dot, [*scopes, {}])

    # pipelines -------------------------------------------------------------

    def _pipe(self, pipe: tuple, dot: frozenset, scopes: list[dict], condition: bool = False) -> frozenset:
        decls, assign, cmds = pipe
        value = self._commands(cmds, dot, scopes)
        if condition:
            for atom in _atoms("path", value):
                self.facts.record(atom[1], "condition", self.guard)
        for name in decls:
            if assign:
                for scope in reversed(scopes):
                    if name in scope:
                        self._link([scope[name], value])  # the variable holds either
                        scope[name] = scope[name] | value
                        break
                else:
                    scopes[-1][name] = value
            else:
                scopes[-1][name] = value
        return value

    def _commands(self, cmds: list, dot: frozenset, scopes: list[dict]) -> frozenset:
        value: frozenset | None = None
        for cmd in cmds:
            value = self._command(cmd, dot, scopes, value)
        return value if value is not None else EMPTY

    def _command(self, cmd: list, dot: frozenset, scopes: list[dict], piped: frozenset | None) -> frozenset:
        (term, fields), *rest = cmd
        if term[0] == "ident" and not fields:
            args = [self._operand(op, dot, scopes) for op in rest]
            if piped is not None:
                args.append(piped)
            return self._func(term[1], args, rest, scopes)
        value = self._operand((term, fields), dot, scopes)
        for op in rest:  # a method call with arguments: not used by charts
            self._operand(op, dot, scopes)
        return value

    def _operand(self, operand: tuple, dot: frozenset, scopes: list[dict]) -> frozenset:
        term, fields = operand
        kind = term[0]
        if kind == "dot":
            value = dot
        elif kind == "var":
            value = EMPTY
            for scope in reversed(scopes):
                if term[1] in scope:
                    value = scope[term[1]]
                    break
            for atom in _atoms("rangekey", value):
                self.facts.record(atom[1], "keys", self.guard)
        elif kind == "lit":
            value = frozenset({term})
        elif kind == "paren":
            value = self._pipe(term[1], dot, scopes)
        elif kind == "ident":  # a function called without arguments
            value = self._func(term[1], [], [], scopes)
        else:
            value = EMPTY
        for name in fields:
            value = self._field(value, name)
        return value

    def _field(self, value: frozenset, name: str) -> frozenset:
        out: set = set()
        for atom in value:
            if atom[0] == "root":
                if name == "Values":
                    out.add(("path", ()))
            elif atom[0] == "path":
                path = (*atom[1], name)
                self.facts.record(path, "field", self.guard)
                out.add(("path", path))
            elif atom[0] == "dict":
                for key, v in atom[1]:
                    if key == name:
                        out |= v
        return frozenset(out)

    # functions -------------------------------------------------------------

    def _whole(self, value: frozenset, usage: str = "whole") -> None:
        for atom in value:
            if atom[0] == "path":
                self.facts.record(atom[1], usage, self.guard)
            elif atom[0] == "list":
                self._whole(atom[1], usage)
            elif atom[0] == "dict":
                for _, v in atom[1]:
                    self._whole(v, usage)

    def _hint_all(self, value: frozenset, kind: str) -> None:
        for atom in _atoms("path", value):
            self.facts.hint(atom[1], kind)

    def _link(self, args: list[frozenset]) -> None:
        paths = [a[1] for v in args for a in v if a[0] == "path"]
        lits = {a[1] for v in args for a in v if a[0] == "lit" and a[1] != "null"}
        for p in paths:
            for q in paths:
                if p < q:
                    self.facts.links.add((p, q))
            for t in lits:
                self.facts.hint(p, t)

    def _keyed(self, value: frozenset, keys: list[frozenset]) -> frozenset:
        """`index value k1 k2`: string literals extend a path, ints select an item."""
        for key in keys:
            literal = [a for a in key if a[0] == "lit"]
            if len(literal) == 1 and len(key) == 1 and literal[0][2] is not None:
                kind, text = literal[0][1], literal[0][2]
                name = ITEM if kind == "integer" else str(text)
                value = self._field(value, name)
            else:
                self._whole(value, "dynamic")
                return EMPTY
        return value

    def _func(self, name: str, args: list[frozenset], raw: list, scopes: list[dict]) -> frozenset:
        facts = self.facts
        if name in ("include", "template"):
            target = [a[2] for a in (args[0] if args else EMPTY) if a[0] == "lit" and a[2] is not None]
            dot = args[1] if len(args) > 1 else EMPTY
            if not target:
                facts.unresolved.add(COMPUTED)
            for t in target:
                self.call(str(t), dot)
            return frozenset({("lit", "string", None)})
        if name == "fail":
            return EMPTY
        if name == "dict":
            items = []
            for i in range(0, len(args) - 1, 2):
                keys = [a[2] for a in args[i] if a[0] == "lit" and a[2] is not None]
                for key in keys:
                    items.append((str(key), args[i + 1]))
            return frozenset({("dict", tuple(sorted(items, key=lambda kv: (kv[0], repr(kv[1])))))})
        if name in ("list", "tuple"):
            return frozenset({("list", frozenset().union(*args) if args else EMPTY)})
        if name in ("append", "concat", "prepend"):
            items: set = set()
            for i, arg in enumerate(args):
                for atom in arg:
                    if atom[0] == "list":
                        items |= atom[1]
                    elif atom[0] == "path" and (name == "concat" or i == 0):
                        facts.hint(atom[1], "array")
                        items.add(("path", (*atom[1], ITEM)))
                    else:
                        items.add(atom)
            return frozenset({("list", frozenset(items))})
        if name == "set":
            if len(args) >= 3:
                self._whole(args[2])
            return args[0] if args else EMPTY
        if name in ("index", "get"):
            return self._keyed(args[0], args[1:]) if args else EMPTY
        if name == "hasKey":
            if len(args) >= 2:
                self._hint_all(args[0], "object")
                self._keyed(args[0], args[1:2])
            return frozenset({("lit", "boolean", None)})
        if name == "dig":  # dig "a" "b" default dict
            if len(args) >= 3:
                return self._keyed(args[-1], args[:-2]) | args[-2]
            return EMPTY
        if name == "pluck":
            out: frozenset = EMPTY
            for arg in args[1:]:
                out |= self._keyed(arg, args[:1])
            return out
        if name == "pick":
            if args:
                for key in args[1:]:
                    self._keyed(args[0], [key])
            return EMPTY
        if name in WHOLE_FUNCS:
            if name == "tpl":  # the value is a template of the user's: it may read any key
                for atom in args[0] if args else EMPTY:
                    sources = (
                        [atom] if atom[0] == "path" else _atoms("path", atom[1]) if atom[0] == "text" else []
                    )
                    for source in sources:
                        facts.record(source[1], "whole", self.guard)
                        facts.record(source[1], "template", self.guard)
                return frozenset({("lit", "string", None)})
            for arg in args:
                self._whole(arg)
            # what toYaml and friends print, kept for a `tpl` of it
            return frozenset(
                {("lit", "string", None), ("text", frozenset(_atoms("path", frozenset().union(*args))))}
            )
        if name in NUMBER_FUNCS:
            for arg in args:
                self._hint_all(arg, "number-like")
            return frozenset({("lit", "integer", None)})
        if name in ("eq", "ne", "lt", "le", "gt", "ge"):
            self._link(args)
            return frozenset({("lit", "boolean", None)})
        if name in ("kindIs", "typeIs"):  # a test, not a requirement: no type hint
            return frozenset({("lit", "boolean", None)})
        if name == "len":
            for arg in args:
                self._hint_all(arg, "collection")
            return frozenset({("lit", "integer", None)})
        if name in ("join", "has", "sortAlpha", "uniq", "compact", "reverse"):
            target = args[-1] if args else EMPTY
            self._hint_all(target, "array")
            for atom in _atoms("path", target):
                facts.record((*atom[1], ITEM), "whole", self.guard)
            if name in ("uniq", "compact", "reverse"):
                return target
            return frozenset({("lit", "string", None)})
        if name in ("first", "last"):
            out = set()
            for atom in args[0] if args else EMPTY:
                if atom[0] == "path":
                    facts.hint(atom[1], "array")
                    path = (*atom[1], ITEM)
                    facts.record(path, "field", self.guard)
                    out.add(("path", path))
                elif atom[0] == "list":
                    out |= atom[1]
            return frozenset(out)
        if name in UNION_FUNCS:
            if name == "required":
                return args[1] if len(args) > 1 else EMPTY
            if name == "ternary":
                if len(args) == 3:
                    self._link(args[:2])
                    return args[0] | args[1]
                return EMPTY
            if name in ("default", "coalesce"):
                self._link(args)
            if name in ("merge", "mergeOverwrite"):
                self._hint_all(frozenset().union(*args) if args else EMPTY, "object")
            return frozenset().union(*args) if args else EMPTY
        if name in SCALAR_FUNCS:
            for arg in args:
                for atom in _atoms("path", arg):
                    facts.hint(atom[1], "scalar")
            return frozenset({("lit", "string", None)})
        if name in ("not", "empty"):
            return frozenset({("lit", "boolean", None)})
        if name not in OPAQUE_FUNCS:
            facts.unknown_funcs.add(name)
        return EMPTY


def _fail_message(body: list) -> str | None:
    """The message of a `fail` the body calls at its top, if any (a refusing guard)."""
    for node in body:
        if node[0] == "action":
            for cmd in node[1][2]:
                term = cmd[0][0]
                if term[0] == "ident" and term[1] == "fail":
                    text = [op[0][2] for op in cmd[1:] if op[0][0] == "lit"]
                    return str(text[0]) if text else "fail"
    return None


# ---------------------------------------------------------------------------
# one package


@dataclass
class Package:
    version: str
    values_text: str
    templates: dict[str, str]  # rendered templates and partials of the chart itself
    sub_templates: dict[str, str]  # subcharts' templates (their defines may be called)
    sub_archives: list[bytes]  # packaged subcharts, opened only when the chart calls into one
    subcharts: list[str]  # top-level keys owned by a subchart
    conditions: list[str]  # dependency conditions Helm reads (`prometheus.enabled`)
    tags: bool


def read_package(version: str, data: bytes) -> Package:
    values_text = ""
    templates: dict[str, str] = {}
    sub_templates: dict[str, str] = {}
    sub_archives: list[bytes] = []
    chart_yaml = ""
    subchart_dirs: set[str] = set()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            if not member.isfile():
                continue
            parts = member.name.split("/")
            if len(parts) < 2:
                continue
            rel = "/".join(parts[1:])
            raw = archive.extractfile(member)
            content = raw.read() if raw else b""
            if rel == "values.yaml":
                values_text = content.decode("utf-8")
            elif rel == "Chart.yaml":
                chart_yaml = content.decode("utf-8")
            elif rel.startswith("templates/"):
                templates[rel] = content.decode("utf-8")
            elif rel.startswith("charts/"):
                pieces = rel.split("/")
                match = re.match(r"^(.+)-v?\d+\.\d+\.\d+[^/]*\.tgz$", pieces[1])
                if len(pieces) == 2 and match:
                    subchart_dirs.add(match.group(1))
                    sub_archives.append(content)
                elif len(pieces) >= 3:
                    subchart_dirs.add(pieces[1])
                    if pieces[2] == "templates":
                        sub_templates[rel] = content.decode("utf-8")
    chart = parse_yaml(chart_yaml).data or {}
    subcharts: list[str] = []
    conditions: list[str] = []
    tags = False
    declared = {d.get("name"): d for d in chart.get("dependencies") or []}
    for name in sorted(subchart_dirs):
        dep = declared.get(name, {})
        subcharts.append(dep.get("alias") or name)
    for dep in declared.values():
        for cond in str(dep.get("condition") or "").split(","):
            if cond.strip():
                conditions.append(cond.strip())
        tags = tags or bool(dep.get("tags"))
    return Package(version, values_text, templates, sub_templates, sub_archives, subcharts, conditions, tags)


def _subchart_templates(data: bytes) -> dict[str, str]:
    templates: dict[str, str] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            parts = member.name.split("/")
            if not member.isfile() or len(parts) < 2:
                continue
            if len(parts) >= 3 and parts[1] == "templates":
                raw = archive.extractfile(member)
                templates[member.name] = (raw.read() if raw else b"").decode("utf-8", "replace")
    return templates


@lru_cache(maxsize=4096)
def parse_template(text: str) -> tuple[list, dict[str, list]]:
    """A template's body and its defines (cached: most files are identical across versions)."""
    parser = Parser(split_template(text))
    body = parser.parse()
    return body, parser.defines


def analyse_templates(pkg: Package) -> Facts:
    facts = Facts()
    defines: dict[str, list] = {}
    bodies: dict[str, list] = {}
    for name in sorted(pkg.templates):
        try:
            body, found = parse_template(pkg.templates[name])
        except (SyntaxError, IndexError, ValueError) as exc:
            raise SyntaxError(f"{pkg.version} {name}: {exc}") from None
        defines.update(found)
        if not name.rsplit("/", 1)[-1].startswith("_"):
            bodies[name] = body
    interp = Interpreter(defines, facts)
    for name in sorted(bodies):
        interp.run_template(bodies[name])
    if facts.unresolved - {COMPUTED}:
        # the chart calls a subchart's helper: load the subcharts' defines and run again
        for archive in pkg.sub_archives:
            pkg.sub_templates.update(_subchart_templates(archive))
        for name in sorted(pkg.sub_templates):
            try:
                defines.update(
                    {k: v for k, v in parse_template(pkg.sub_templates[name])[1].items() if k not in defines}
                )
            except (SyntaxError, IndexError, ValueError):
                continue
        facts = Facts()
        interp = Interpreter(defines, facts)
        for name in sorted(bodies):
            interp.run_template(bodies[name])
    return facts


# ---------------------------------------------------------------------------
# values.yaml: defaults, types, descriptions


@dataclass
class Declared:
    default: Any
    has_default: bool  # False for the keys of list items (a user's list replaces the default one)
    description: str


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "null"


_RULE = re.compile(r"^[-=#*_~\s]*$")


def _comment_words(line: str) -> str:
    text = line.strip().lstrip("#").strip()
    return "" if _RULE.match(text) else text


def _trailing_comment(line: str, after: int) -> str:
    rest = line[after:].rstrip("\r\n")
    match = re.search(r"(?:^|\s)#(.*)$", rest)
    return _comment_words("#" + match.group(1)) if match else ""


def declared_keys(text: str) -> tuple[dict[tuple, Declared], Any]:
    """Every key path of a values.yaml with its default and description; and the data."""
    parsed = parse_yaml(text)
    lines = parsed.lines
    out: dict[tuple, Declared] = {}
    if parsed.root is None:
        return out, {}
    block_lines: set[int] = set()

    def mark_blocks(node: Any) -> None:
        if node.kind == "scalar" and node.style in ("|", ">"):
            block_lines.update(range(node.start[0], node.end[0] + 1))
        elif node.kind == "map":
            for k, v in node.items:
                mark_blocks(k)
                mark_blocks(v)
        elif node.kind == "seq":
            for v in node.items:
                mark_blocks(v)

    mark_blocks(parsed.root)

    def describe(key_node: Any, value_node: Any) -> str:
        words: list[str] = []
        line = key_node.start[0] - 1
        while line >= 0 and line not in block_lines and lines[line].strip().startswith("#"):
            words.append(_comment_words(lines[line]))
            line -= 1
        words.reverse()
        key_line = key_node.start[0]
        after = key_node.end[1]
        if value_node.start[0] == key_line and (value_node.kind == "scalar" or value_node.flow):
            after = value_node.end[1] if value_node.end[0] == key_line else len(lines[key_line])
        if key_line not in block_lines or value_node.start[0] > key_line:
            words.append(_trailing_comment(lines[key_line], after))
        return " ".join(w for w in words if w)

    def walk(node: Any, data: Any, path: tuple, in_item: bool) -> None:
        if node.kind == "alias":
            node = node.target
        if node.kind == "map" and isinstance(data, dict):
            for key_node, value_node in node.items:
                key = key_node.value if key_node.kind == "scalar" else None
                if key is None or key == "<<" or key not in data:
                    continue
                child = (*path, str(key))
                value = data[key]
                entry = out.get(child)
                desc = describe(key_node, value_node)
                if entry is None:
                    out[child] = Declared(value, not in_item, desc)
                elif desc and not entry.description:
                    entry.description = desc
                walk(value_node, value, child, in_item)
        elif node.kind == "seq" and isinstance(data, list):
            for item_node, item in zip(node.items, data, strict=False):
                if isinstance(item, dict):
                    walk(item_node, item, (*path, ITEM), True)

    walk(parsed.root, parsed.data, (), False)
    return out, parsed.data


# ---------------------------------------------------------------------------
# one version's catalogue


def _under(path: tuple, roots: set[tuple]) -> tuple | None:
    for i in range(1, len(path)):
        if path[:i] in roots:
            return path[:i]
    return None


def version_entries(pkg: Package, warnings: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """{dotted path: facts} for one chart version; what the analysis could not follow goes
    to `warnings` (a template function it does not know, a helper it cannot find)."""
    facts = analyse_templates(pkg)
    if warnings is not None:
        for name in sorted(facts.unknown_funcs):
            warnings.append(f"{pkg.version}: template function `{name}` is not modelled (its reads are kept)")
        for name in sorted(facts.unresolved - {COMPUTED}):
            warnings.append(f'{pkg.version}: `include "{name}"` names no define')
    declared, _data = declared_keys(pkg.values_text)
    reads = facts.reads
    reads.pop((), None)

    # `x | default y` (and a variable assigned either): both stand for the same value, and so
    # do their children that both have (`$resources.limits` of a pool and of harmony)
    links = set(facts.links)
    by_prefix: dict[tuple, list[tuple]] = {}
    for path in reads:
        by_prefix.setdefault(path[:-1], []).append(path)
    pending = list(links)
    while pending:
        p, q = pending.pop()
        for child in by_prefix.get(p, []):
            other = (*q, child[-1])
            if other in reads and (min(child, other), max(child, other)) not in links:
                pair = (min(child, other), max(child, other))
                links.add(pair)
                pending.append(pair)
        for child in by_prefix.get(q, []):
            other = (*p, child[-1])
            if other in reads and (min(child, other), max(child, other)) not in links:
                pair = (min(child, other), max(child, other))
                links.add(pair)
                pending.append(pair)

    # free-form: used whole, keys ranged over or computed, maps ranged over
    free: dict[tuple, str] = {}
    for path, usages in reads.items():
        decl = declared.get(path)
        default = decl.default if decl else None
        if "whole" in usages:
            free[path] = "used whole (toYaml, toJson, tpl, keys or copied)"
        elif "dynamic" in usages:
            free[path] = "read with computed keys"
        elif "range" in usages and (
            isinstance(default, dict) or (not isinstance(default, list) and "keys" in usages)
        ):
            free[path] = "ranged over as a map"
    for name in pkg.subcharts:
        free[(name,)] = f"values of the `{name}` subchart"
    free[("global",)] = "Helm's global values, shared with every subchart"
    if pkg.tags:
        free[("tags",)] = "Helm's dependency tags"
    declared_parents = {path[:-1] for path in declared}
    # a map or list the chart declares empty and never reads: whatever it holds is ignored
    for path, decl in declared.items():
        if path not in reads and decl.default in ({}, []) and path not in declared_parents:
            free.setdefault(path, "declared empty and never read")
    subchart_roots = {(name,) for name in pkg.subcharts}

    paths: set[tuple] = set(reads) | set(declared) | set(free)
    for cond in pkg.conditions:
        cond_path = tuple(cond.split("."))
        paths.add(cond_path)
        for i in range(1, len(cond_path) + 1):
            reads.setdefault(cond_path[:i], set()).add("condition")
            facts.plain.add(cond_path[:i])
    children: dict[tuple, set[str]] = {}
    for path in paths:
        if path:
            children.setdefault(path[:-1], set()).add(path[-1])

    # types: the default's, else how the templates use the value, else a partner's
    types: dict[tuple, str] = {}
    for path in paths:
        decl = declared.get(path)
        t = _type_of(decl.default) if decl is not None else "null"
        if path in free and decl is not None and decl.default in ({}, []):
            t = "collection"  # an empty map or list handed on whole: the chart does not care which
        if t == "null":
            kids = children.get(path, set())
            if path in subchart_roots or path == ("global",):
                t = "object"
            elif kids:
                t = "array" if kids == {ITEM} else "object"
            else:
                t = _type_from_hints(facts.hints.get(path, set()))
        types[path] = t
    weak = ("null", "any", "collection", "scalar")
    for _ in range(4):
        for p, q in sorted(links):
            tp, tq = types.get(p), types.get(q)
            if tp in weak and tq is not None and tq not in weak:
                types[p] = tq
            elif tq in weak and tp is not None and tp not in weak:
                types[q] = tp
    for p, q in sorted(links):  # the partner of a free-form map is free-form too
        for a, b in ((p, q), (q, p)):
            if (
                b in free
                and a not in free
                and b[0] != "global"
                and types.get(a) in ("object", "array", *weak)
            ):
                free[a] = f"stands in for `{dotted(b)}` (default)"
    free_roots = set(free)

    entries: dict[str, dict[str, Any]] = {}
    for path in sorted(paths, key=lambda p: [str(x) for x in p]):
        ancestor = _under(path, free_roots)
        if ancestor is not None and ancestor not in subchart_roots:
            continue  # data of a free-form map, not a key the chart names
        if ancestor is not None and path not in reads:
            continue  # a subchart's own value: the subchart's business
        info: dict[str, Any] = {"type": types[path] if types[path] != "null" else "any"}
        decl = declared.get(path)
        if decl is not None:
            info["in_values"] = True
            if decl.has_default and (path in free or not isinstance(decl.default, dict) or not decl.default):
                info["default"] = decl.default
            if decl.description:
                info["description"] = decl.description
        if path in reads:
            if path in facts.plain:
                info["in_templates"] = True
            elif path in facts.guard_messages:
                info["refused"] = facts.guard_messages[path]
        if path in free:
            info["free_form"] = free[path]
        if "template" in reads.get(path, ()):
            info["templated"] = True  # rendered with `tpl`: its strings may read `.Values` keys
        if path in subchart_roots:
            info["subchart"] = True
        entries[dotted(path)] = info
    # a key the values do not describe, standing in for one they do (`$pool.gpusPerReplica |
    # default $root.Values.harmony.gpusPerReplica`): say so, with the other key's words
    for p, q in sorted(links):
        for a, b in ((p, q), (q, p)):
            entry, other = entries.get(dotted(a)), declared.get(b)
            if entry is not None and "description" not in entry and a not in declared and other is not None:
                words = other.description
                entry["description"] = f"Falls back to `{dotted(b)}`" + (f": {words}" if words else "")
    for path_text, first, last, forced in CORRECTIONS:
        if Version(first) <= Version(pkg.version) and (last is None or Version(pkg.version) <= Version(last)):
            entries.setdefault(path_text, {"type": "any"}).update(forced)
    return entries


def _type_from_hints(hints: set[str]) -> str:
    if "object" in hints:
        return "object"
    if "array" in hints:
        return "array"
    for kind in ("string", "integer", "number", "boolean"):
        if kind in hints:
            return kind
    if "number-like" in hints:
        return "integer"
    if "collection" in hints:
        return "collection"
    if "scalar" in hints:
        return "scalar"
    return "any"


def dotted(path: tuple) -> str:
    out = ""
    for part in path:
        if part == ITEM:
            out += ITEM
        else:
            if "." in part or "[" in part or "]" in part:
                raise ValueError(f"a catalogued key holds a dot or bracket: {path!r}")
            out += ("." if out else "") + part
    return out


# ---------------------------------------------------------------------------
# all versions


def build(versions: list[str] | None = None, warnings: list[str] | None = None) -> dict[str, Any]:
    """The catalogue of `versions` (default: every shipped package), as data for `dumps`."""
    versions = versions or list(packages.shipped_versions())
    per_version = []
    for version in versions:
        pkg = read_package(version, packages.shipped(version).data)
        per_version.append(version_entries(pkg, warnings))
    spans: dict[str, list] = {}
    all_paths = sorted({p for entries in per_version for p in entries})
    for path in all_paths:
        runs: list = []
        for i, entries in enumerate(per_version):
            info = entries.get(path)
            if info is None:
                continue
            if runs and runs[-1][1] == versions[i - 1] and runs[-1][2] == info:
                runs[-1][1] = versions[i]
            else:
                runs.append([versions[i], versions[i], info])
        spans[path] = runs
    return {"format": FORMAT, "versions": versions, "paths": spans}


def dumps(catalogue: dict[str, Any]) -> str:
    """Deterministic text: one line per path, keys sorted."""

    def enc(value: Any) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    lines = [
        "{",
        f'"format":{enc(catalogue["format"])},',
        f'"versions":{enc(catalogue["versions"])},',
        '"paths":{',
    ]
    items = sorted(catalogue["paths"].items())
    for i, (path, runs) in enumerate(items):
        lines.append(f"{enc(path)}:{enc(runs)}{',' if i < len(items) - 1 else ''}")
    lines.append("}}")
    return "\n".join(lines) + "\n"


def output_path():
    return packages._data_dir().joinpath(OUTPUT)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    warnings: list[str] = []
    text = dumps(build(warnings=warnings))
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    target = output_path()
    if "--check" in args:
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        if current != text:
            print(f"{target} is stale: run python -m migrator.chart.build_catalogue", file=sys.stderr)
            return 1
        return 0
    with open(str(target), "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    print(f"wrote {target} ({len(text.encode())} bytes, {len(packages.shipped_versions())} versions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
