"""Property tests: generated old-format values files migrate faithfully.

Hypothesis writes values files the way people do: a `secrets.dbUrl` with percent-encoded
user and password, any host (name, IPv4, [IPv6]) with or without a port; harmony's group,
replicaCount and partitionKey; extra keys of every kind around them, comments, three quoting
styles, 2- or 4-space indentation, indented or indentless sequences, LF or CRLF.

For each file, migrating to 0.25.0 must:
- succeed, and be idempotent (migrating the result changes nothing);
- lose no value: every leaf of the input is in the output at its old path or at the path it
  moved to (a dropped partitionKey is reported as dropped), and the output has nothing else;
- decode the URL into the same user, password, host[:port] and database;
- keep every other line and every comment;
- re-detect as current (no change up to 0.25.0 pending).
The data is read back with PyYAML, a reader independent of the engine's own.
"""

from __future__ import annotations

import os
import string
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.changes.registry import all_changes
from migrator.chart.proof import FILL_CODES
from migrator.engine import analyze
from migrator.versions import Version

TARGET = "0.25.0"
SETTINGS = settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---------------------------------------------------------------------------
# a tiny model of a values file, rendered in a chosen style


@dataclass
class Scalar:
    text: str  # as written in the file
    value: Any  # what it means


@dataclass
class Entry:
    key: str
    value: Any  # Scalar | Mapping | Sequence
    comment_before: str | None = None
    inline_comment: str | None = None


@dataclass
class Mapping:
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Sequence:
    items: list[Any] = field(default_factory=list)  # Scalar | Mapping


@dataclass
class Style:
    indent: int
    seq_offset: int  # 0: indentless
    newline: str


def render(root: Mapping, style: Style) -> str:
    lines: list[str] = []
    _mapping(root, 0, style, lines, prefix=None)
    return "".join(line + style.newline for line in lines)


def _mapping(node: Mapping, col: int, style: Style, lines: list[str], prefix: str | None) -> None:
    for i, entry in enumerate(node.entries):
        lead = prefix if (prefix is not None and i == 0) else " " * col
        if entry.comment_before is not None and not (prefix is not None and i == 0):
            lines.append(" " * col + "# " + entry.comment_before)
        comment = f"  # {entry.inline_comment}" if entry.inline_comment is not None else ""
        value = entry.value
        if isinstance(value, Scalar):
            lines.append(f"{lead}{entry.key}: {value.text}{comment}")
        elif isinstance(value, Mapping):
            lines.append(f"{lead}{entry.key}:{comment}")
            _mapping(value, col + style.indent, style, lines, prefix=None)
        else:
            lines.append(f"{lead}{entry.key}:{comment}")
            _sequence(value, col + style.seq_offset, style, lines)


def _sequence(node: Sequence, col: int, style: Style, lines: list[str]) -> None:
    for item in node.items:
        if isinstance(item, Scalar):
            lines.append(f"{' ' * col}- {item.text}")
        else:
            _mapping(item, col + 2, style, lines, prefix=" " * col + "- ")


def data_of(node: Any) -> Any:
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, Mapping):
        return {e.key: data_of(e.value) for e in node.entries}
    return [data_of(i) for i in node.items]


# ---------------------------------------------------------------------------
# strategies

SAFE_WORDS = st.from_regex(r"[a-z][a-z0-9-]{0,11}[a-z]", fullmatch=True).filter(
    lambda w: yaml.safe_load(w) == w
)
COMMENT_TEXT = st.text(
    alphabet=string.ascii_letters + string.digits + " .,:;!?'\"#-_()/é–\t", min_size=0, max_size=30
).map(str.strip)


@st.composite
def quoted_string(draw: st.DrawFn, value: str | None = None) -> Scalar:
    """A string in one of the three styles (plain only when it reads back as the same text)."""
    if value is None:
        value = draw(st.text(alphabet=string.printable.replace("\x0b", "").replace("\x0c", ""), max_size=20))
    styles = ["double", "single"]
    if value and value == value.strip() and _plain_ok(value):
        styles.append("plain")
    chosen = draw(st.sampled_from(styles))
    if chosen == "plain":
        return Scalar(value, value)
    if chosen == "single" and all(ch.isprintable() for ch in value):
        return Scalar("'" + value.replace("'", "''") + "'", value)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    escaped = escaped.replace("\t", "\\t")
    return Scalar(f'"{escaped}"', value)


def _plain_ok(text: str) -> bool:
    if any(ch in text for ch in "#:{}[],&*!|>'\"%@`\n\r\t") or text[0] in "-?~ ":
        return False
    try:
        return yaml.safe_load(text) == text
    except yaml.YAMLError:
        return False


@st.composite
def extra_scalar(draw: st.DrawFn) -> Scalar:
    kinds = ["int", "bool", "word", "string", "null", "float", "empty-list", "empty-map"]
    kind = draw(st.sampled_from(kinds))
    if kind == "int":
        number = draw(st.integers(-1000, 10**6))
        return Scalar(str(number), number)
    if kind == "bool":
        flag = draw(st.booleans())
        return Scalar(draw(st.sampled_from(["true", "True"] if flag else ["false", "False"])), flag)
    if kind == "word":
        word = draw(SAFE_WORDS)
        return Scalar(word, word)
    if kind == "null":
        return Scalar(draw(st.sampled_from(["~", "null", ""])).strip() or "null", None)
    if kind == "float":
        number = draw(st.sampled_from([0.5, 1.25, 100.0, -3.5]))
        return Scalar(repr(number), number)
    if kind == "empty-list":
        return Scalar("[]", [])
    if kind == "empty-map":
        return Scalar("{}", {})
    return draw(quoted_string())


def extra_value(depth: int = 0) -> st.SearchStrategy[Any]:
    if depth >= 2:
        return extra_scalar()
    return st.one_of(
        extra_scalar(),
        extra_scalar(),
        extra_mapping(depth + 1),
        st.builds(Sequence, st.lists(extra_scalar(), min_size=1, max_size=3)),
        st.builds(Sequence, st.lists(extra_mapping(depth + 1), min_size=1, max_size=2)),
    )


@st.composite
def extra_mapping(draw: st.DrawFn, depth: int = 1) -> Mapping:
    keys = draw(st.lists(SAFE_WORDS, min_size=1, max_size=4, unique=True))
    return Mapping([draw(entry(key, extra_value(depth))) for key in keys])


@st.composite
def entry(draw: st.DrawFn, key: str, value: st.SearchStrategy[Any]) -> Entry:
    return Entry(
        key,
        draw(value),
        comment_before=draw(st.none() | COMMENT_TEXT),
        inline_comment=draw(st.none() | COMMENT_TEXT),
    )


# URL parts: user and password of any characters (percent-encoded in the URL)
SECRET_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=16)
HOST = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{0,14}(\.[a-z][a-z0-9-]{0,8}){0,3}", fullmatch=True),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda a: f"[{a}]"),
)
DATABASE = st.text(
    st.characters(categories=("L", "N")) | st.sampled_from("_-.$ "),
    min_size=1,
    max_size=16,
)


@dataclass
class Case:
    text: str
    data: dict
    user: str | None = None
    password: str | None = None
    host: str | None = None
    database: str | None = None
    harmony_old: dict = field(default_factory=dict)  # group / replicaCount / partitionKey present


@st.composite
def old_values_file(draw: st.DrawFn) -> Case:
    style = draw(
        st.builds(
            lambda indent, indentless, newline: Style(indent, 0 if indentless else indent, newline),
            st.sampled_from([2, 4]),
            st.booleans(),
            st.sampled_from(["\n", "\n", "\r\n"]),
        )
    )
    with_db = draw(st.booleans())
    harmony_keys = draw(st.lists(st.sampled_from(["group", "replicaCount", "partitionKey"]), unique=True))
    if not with_db and not harmony_keys:
        harmony_keys = ["replicaCount"]

    top: list[Entry] = []
    case = Case("", {})
    taken = {"secrets", "harmony"}

    # secrets
    secrets: list[Entry] = []
    if with_db:
        case.user = draw(SECRET_TEXT.filter(bool))
        case.password = draw(SECRET_TEXT)
        host = draw(HOST)
        port = draw(st.none() | st.integers(1, 65535))
        case.host = host if port is None else f"{host}:{port}"
        case.database = draw(DATABASE)
        scheme = draw(st.sampled_from(["postgres", "postgresql"]))
        auth = quote(case.user, safe="") + (":" + quote(case.password, safe="") if case.password else "")
        url = f"{scheme}://{auth}@{case.host}/{quote(case.database, safe='')}"
        secrets.append(draw(entry("dbUrl", quoted_string(url))))
    for key in draw(
        st.lists(st.sampled_from(["cookiesSecret", "modelRegistryUrl", "existingRedisSecret"]), unique=True)
    ):
        secrets.append(draw(entry(key, quoted_string())))
    secrets = draw(st.permutations(secrets))
    if secrets:
        top.append(draw(entry("secrets", st.just(Mapping(secrets)))))

    # harmony
    harmony: list[Entry] = []
    for key in harmony_keys:
        if key == "replicaCount":
            count = draw(st.integers(0, 64))
            value: Scalar = Scalar(str(count), count)
        elif key == "group":
            name = draw(st.from_regex(r"[A-Za-z][A-Za-z0-9 _-]{0,20}[A-Za-z0-9]", fullmatch=True))
            value = draw(quoted_string(name))
        else:
            value = draw(quoted_string(draw(SAFE_WORDS)))
        case.harmony_old[key] = value.value
        harmony.append(draw(entry(key, st.just(value))))
    for key in draw(
        st.lists(
            st.sampled_from(
                ["gpusPerReplica", "shmSize", "image", "nodeSelector", "tolerations", "podLabels", "enabled"]
            ),
            unique=True,
        )
    ):
        if key == "gpusPerReplica":
            number = draw(st.integers(1, 8))
            harmony.append(draw(entry(key, st.just(Scalar(str(number), number)))))
        elif key == "enabled":
            harmony.append(draw(entry(key, st.just(Scalar("true", True)))))
        elif key == "tolerations":
            toleration = Mapping(
                [
                    Entry("key", Scalar("nvidia.com/gpu", "nvidia.com/gpu")),
                    Entry("operator", Scalar("Exists", "Exists")),
                ]
            )
            harmony.append(draw(entry(key, st.just(Sequence([toleration])))))
        elif key in ("image", "nodeSelector", "podLabels"):
            words = draw(st.lists(SAFE_WORDS, min_size=1, max_size=3, unique=True))
            harmony.append(draw(entry(key, st.just(Mapping([Entry(w, Scalar(f'"{w}"', w)) for w in words])))))
        else:
            harmony.append(draw(entry(key, quoted_string())))
    harmony = draw(st.permutations(harmony))
    if harmony:
        top.append(draw(entry("harmony", st.just(Mapping(harmony)))))

    # other top-level sections: the chart's own (a file with many keys of its own is another chart's)
    others = ["controlPlane", "sandkasten", "mlflow", "redis", "ingress", "installPostgres", "minio"]
    for key in draw(
        st.lists(st.sampled_from([k for k in others if k not in taken]), max_size=4, unique=True)
    ):
        top.append(draw(entry(key, extra_value())))
    top = draw(st.permutations(top))

    root = Mapping(top)
    header = draw(st.none() | COMMENT_TEXT)
    case.text = ("# " + header + style.newline if header is not None else "") + render(root, style)
    case.data = data_of(root)
    return case


# ---------------------------------------------------------------------------
# checks


def leaves(data: Any, path: tuple = ()) -> dict[tuple, Any]:
    """Every leaf value by its path; empty collections are leaves too."""
    if isinstance(data, dict) and data:
        out: dict[tuple, Any] = {}
        for key, value in data.items():
            out.update(leaves(value, (*path, key)))
        return out
    if isinstance(data, list) and data:
        out = {}
        for index, value in enumerate(data):
            out.update(leaves(value, (*path, index)))
        return out
    return {path: data}


def _comments(text: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            found[stripped] += 1
    return found


def _changes_up_to_target() -> set[str]:
    return {c.id for c in all_changes() if c.parsed_version <= Version(TARGET)}


@SETTINGS
@given(old_values_file())
def test_old_files_migrate_faithfully(case: Case) -> None:
    source = case.text.encode("utf-8")
    assert yaml.safe_load(case.text) == case.data, "the generator wrote what it meant"

    # The editor's properties: no render needed (test_every_target.py proves the renders).
    report = analyze(source, target=TARGET, prove_with_helm=False)
    problems = [(f.code, f.message) for f in report.findings if f.severity == "critical"]
    to_fill = {f.code for f in report.findings if f.code in FILL_CODES}
    assert report.status == ("needs-input" if to_fill else "migrated"), problems
    migrated = report.migrated_yaml
    assert migrated is not None

    # idempotent and current
    again = analyze(migrated.encode("utf-8"), target=TARGET, prove_with_helm=False)
    assert again.status in ("up-to-date", "needs-input")
    assert not any(c.status == "applied" for c in again.changes)
    assert again.migrated_yaml == migrated
    assert not set(again.detected.pending) & _changes_up_to_target()

    # line endings kept
    if "\r\n" in case.text:
        assert migrated.count("\n") == migrated.count("\r\n")
    else:
        assert "\r" not in migrated

    # no value lost, nothing invented
    after = yaml.safe_load(migrated)
    before_leaves = leaves(case.data)
    after_leaves = leaves(after)
    moved = {
        ("harmony", "group"): ("harmony", "computePools", 0, "name"),
        ("harmony", "replicaCount"): ("harmony", "computePools", 0, "replicas"),
    }
    dropped = {d.path for d in report.dropped}
    expected: dict[tuple, Any] = {}
    for path, value in before_leaves.items():
        if path == ("secrets", "dbUrl"):
            continue
        if path == ("harmony", "partitionKey"):
            assert "harmony.partitionKey" in dropped
            continue
        if path == ("harmony", "group") and value in ("", None):
            continue
        expected[moved.get(path, path)] = value
    if case.host is not None:
        for name, value in (
            ("username", case.user),
            ("password", case.password),
            ("host", case.host),
            ("database", case.database),
        ):
            expected[("secrets", "db", name)] = value
    if case.harmony_old:
        expected.setdefault(("harmony", "computePools", 0, "name"), "default")
        expected.setdefault(("harmony", "computePools", 0, "replicas"), 1)
    assert after_leaves == expected

    # every other line kept, every comment kept (but the partitionKey's own inline comment)
    old_keys = ("dbUrl:", "group:", "replicaCount:", "partitionKey:")
    kept_lines = Counter(
        line for line in case.text.splitlines() if line.strip() and not line.strip().startswith(old_keys)
    )
    after_lines = Counter(migrated.splitlines())
    assert not kept_lines - after_lines, "a line outside the changed keys was altered"
    full_line_before = _comments(case.text)
    assert not full_line_before - _comments(migrated), "a full-line comment was dropped"
    for line in case.text.splitlines():
        stripped = line.strip()
        if stripped.startswith(old_keys) and not stripped.startswith("partitionKey:") and "  # " in line:
            inline = line[line.rindex("  # ") :]
            assert any(out.endswith(inline) for out in migrated.splitlines()), f"comment lost: {inline!r}"


@SETTINGS
@given(
    st.one_of(
        st.text(st.characters(exclude_categories=("Cs",)), max_size=24),
        st.from_regex(r"[0-9:._+-]{1,12}", fullmatch=True),  # numbers, times, sexagesimals
        st.from_regex(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9:.]{0,8})?", fullmatch=True),  # dates
        st.sampled_from(["yes", "No", "on", "OFF", "~", "null", ".inf", "-.NaN", "0x1F", "0o17", "1_000"]),
    ),
    st.sampled_from(["", '"', "'"]),
)
def test_new_scalars_read_back_as_the_same_text(text: str, quote_style: str) -> None:
    """What the editor writes for a string is that string to every YAML 1.1 reader (Helm's too)."""
    from migrator.yaml.parse import parse
    from migrator.yaml.render import render_scalar

    rendered = render_scalar(text, quote_style)
    document = f"key: {rendered}\n"
    assert parse(document).data == {"key": text}
    assert yaml.safe_load(document) == {"key": text}
