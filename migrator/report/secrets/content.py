"""What a text holds: URL credentials, DSNs, PEM blocks, secret parameters, JSON and
line pairs, cloud keys and long random tokens, found in one linear pass each."""

from __future__ import annotations

import re
from collections.abc import Iterable

from migrator.report.secrets.names import MASK, _says_secret

_WS = re.compile(r"\s")
_PLAIN_USER = re.compile(r"[a-z][a-z._-]{0,19}")
_PORT = re.compile(r"[0-9]{1,5}")
_PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]{0,64})-----")
_LINE_CONTENT = re.compile(r"[^\r\n\x85\u2028\u2029]++")
_PARAM = re.compile(r"(?<![A-Za-z0-9_.\-])(-{0,2}[A-Za-z][A-Za-z0-9_.\-]{0,63}+)[ \t]*+=[ \t]*+")
_PARAM_VALUE = re.compile(r"[^;&\s,\"'<>]*+")
_PARAM_EXTRA = frozenset({"sig", "signature"})
_JSON_PAIR = re.compile(r'"([A-Za-z0-9_.\-]{1,64})"[ \t]*+:[ \t]*+"')
_LINE_PAIR = re.compile(
    r"^[ \t]*+(?:export[ \t]++)?(?:-[ \t]++)?([A-Za-z_][A-Za-z0-9_.\-]{0,63}+)[ \t]*+[:=][ \t]*+", re.M
)
_REST_OF_LINE = re.compile(r"[^\r\n\x85\u2028\u2029]*+")
_AUTH_SCHEME = re.compile(r"(?i)(?<![A-Za-z0-9])(?:bearer|basic)[ \t]++([A-Za-z0-9+/=._~-]{8,}+)")
_TOKEN_CHARS = "A-Za-z0-9+/_.~\\-"
_TOKEN = re.compile(rf"(?<![{_TOKEN_CHARS}])[{_TOKEN_CHARS}]{{20,}}+=*+")
_AWS_KEY_ID = re.compile(
    r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA)[A-Z0-9]{16}"
)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]++\.[A-Za-z0-9_-]++\.[A-Za-z0-9_.-]*+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]++")
_WORDLIKE = re.compile(r"[a-z]{4,}+|[A-Z][a-z]{3,}+")
_FOUR_CONSONANTS = re.compile(r"[bcdfghjklmnpqrstvwxz]{4}")
_NO_VOWELS = str.maketrans("", "", "aeiouy")
_CLASSES = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "a" * 26 + "A" * 26 + "0" * 10,
)
_DIGEST_PREFIXES = ("sha1:", "sha256:", "sha384:", "sha512:", "md5:")


def _natural(run: str) -> bool:
    """A run of letters that reads like a word (vowels, no long consonant cluster)."""
    low = run.lower()
    vowels = len(low) - len(low.translate(_NO_VOWELS))
    return vowels * 4 >= len(low) and _FOUR_CONSONANTS.search(low) is None


def is_random_token(word: str) -> bool:
    """A long random-looking token (32+ characters, no dots, many distinct characters, few natural words)."""
    if len(word) < 32 or "." in word or _UUID.fullmatch(word):
        return False
    sample = word[:1024]
    classes = sample.translate(_CLASSES)
    if ("a" in classes) + ("A" in classes) + ("0" in classes) < 2:
        return False
    if _HEX.fullmatch(sample):
        return True
    if len(set(sample)) < 16:  # a random token of 32+ characters uses many distinct ones
        return False
    natural = sum(len(run) for run in _WORDLIKE.findall(sample) if _natural(run))
    return natural * 100 <= len(sample) * 35


def _url_spans(s: str, spans: list[tuple[int, int]]) -> None:
    pos = s.find("://")
    while pos != -1:
        start = pos + 3
        nxt = s.find("://", start)
        limit = len(s) if nxt == -1 else nxt  # (the next URL's scheme holds no `@`, `:` or `/`)
        ws = _WS.search(s, start, limit)
        end = ws.start() if ws else limit
        at = s.rfind("@", start, end)
        if at > start:
            colon = s.find(":", start, at)
            slash = s.find("/", start, colon if colon != -1 else at)
            if slash == -1 and colon != -1:
                after = s.find("/", colon + 1, at)
                is_port = after != -1 and _PORT.fullmatch(s, colon + 1, after) is not None
                if not is_port:
                    if at > colon + 1:
                        spans.append((colon + 1, at))
                    elif not _PLAIN_USER.fullmatch(s, start, colon):
                        spans.append((start, colon))
            elif slash == -1 and not _PLAIN_USER.fullmatch(s, start, at):
                spans.append((start, at))
        pos = nxt


def _pem_spans(s: str, spans: list[tuple[int, int]]) -> None:
    pos = 0
    while True:
        match = _PEM_BEGIN.search(s, pos)
        if match is None:
            return
        pos = match.end()
        if "PRIVATE KEY" not in match.group(1):
            continue
        end = s.find("-----END", pos)
        end = len(s) if end == -1 else end
        for line in _LINE_CONTENT.finditer(s, pos, end):
            a, b = line.span()
            while a < b and s[a] in " \t":
                a += 1
            while b > a and s[b - 1] in " \t":
                b -= 1
            if a < b:
                spans.append((a, b))
        pos = end


def _param_says_secret(name: str) -> bool:
    name = name.lstrip("-")
    lower = name.lower()
    return _says_secret(name) or lower in _PARAM_EXTRA or lower.endswith("signature")


def _param_spans(s: str, spans: list[tuple[int, int]]) -> None:
    pos = 0
    while True:
        match = _PARAM.search(s, pos)
        if match is None:
            return
        start = match.end()
        pos = max(start, match.start() + 1)
        if not _param_says_secret(match.group(1)):
            continue
        if start < len(s) and s[start] in "\"'":
            close = s.find(s[start], start + 1)
            end = len(s) if close == -1 else close
            start += 1
        else:
            end = _PARAM_VALUE.match(s, start).end()
        if end > start:
            spans.append((start, end))
            pos = end


def _json_spans(s: str, spans: list[tuple[int, int]]) -> None:
    pos = 0
    while True:
        match = _JSON_PAIR.search(s, pos)
        if match is None:
            return
        start = match.end()
        end = start
        while True:  # the closing quote: one not escaped by an odd number of backslashes
            end = s.find('"', end)
            if end == -1:
                end = len(s)
                break
            back = end
            while back > start and s[back - 1] == "\\":
                back -= 1
            if (end - back) % 2 == 0:
                break
            end += 1
        if _says_secret(match.group(1)) and end > start:
            spans.append((start, end))
        pos = end + 1 if end < len(s) else end
        if pos >= len(s):
            return


def _line_pair_spans(s: str, spans: list[tuple[int, int]]) -> None:
    multiline = "\n" in s or "\r" in s or "\x85" in s or "\u2028" in s or "\u2029" in s
    if not multiline:
        match = _LINE_PAIR.match(s)
        if match is None or s.startswith("://", match.end(1)):  # `https://...` is no `name:` line
            return
        matches: Iterable[re.Match] = (match,)
    else:
        matches = _LINE_PAIR.finditer(s)
    for match in matches:
        if not _says_secret(match.group(1)):
            continue
        start = match.end()
        end = _REST_OF_LINE.match(s, start).end()
        while end > start and s[end - 1] in " \t":
            end -= 1
        if end > start:
            spans.append((start, end))


def _word_spans(s: str, spans: list[tuple[int, int]], entropy: bool) -> None:
    for match in _TOKEN.finditer(s):
        a, b = match.span()
        word = match.group()
        if "eyJ" in word:
            for jwt in _JWT.finditer(word):
                spans.append((a + jwt.start(), a + jwt.end()))
        if "A" in word:
            for key_id in _AWS_KEY_ID.finditer(word):
                spans.append((a + key_id.start(), a + key_id.end()))
        if not entropy:
            continue
        stripped_a, stripped_b = a, b
        while stripped_a < stripped_b and s[stripped_a] in "/._-~":
            stripped_a += 1
        while stripped_b > stripped_a and s[stripped_b - 1] in "=._-":
            stripped_b -= 1
        if stripped_b - stripped_a < 32:
            continue
        if s.endswith(_DIGEST_PREFIXES, max(0, a - 8), a):
            continue
        core = s[stripped_a:stripped_b]
        if is_random_token(core):
            spans.append((stripped_a, b))
        elif "/" in core:
            # a URL or path with a random segment (a presigned or webhook token)
            offset = stripped_a
            for segment in core.split("/"):
                if len(segment) >= 32 and is_random_token(segment.rstrip("=")):
                    spans.append((offset, offset + len(segment)))
                offset += len(segment) + 1


def secret_spans(text: str, *, entropy: bool = True) -> list[tuple[int, int]]:
    """The [start, end) ranges of `text` that hold secrets by what they are, sorted and merged."""
    if len(text) < 8:
        return []
    spans: list[tuple[int, int]] = []
    if "://" in text:
        _url_spans(text, spans)
    if "-----BEGIN " in text:
        _pem_spans(text, spans)
    if "=" in text:
        _param_spans(text, spans)
    if '"' in text and ":" in text:
        _json_spans(text, spans)
    if ":" in text or "=" in text:
        _line_pair_spans(text, spans)
    if " " in text or "\t" in text:
        for match in _AUTH_SCHEME.finditer(text):
            spans.append(match.span(1))
    if len(text) >= 20:
        _word_spans(text, spans, entropy)
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    if len(spans) < 2:
        return spans
    spans.sort()
    merged = [spans[0]]
    for a, b in spans[1:]:
        last_a, last_b = merged[-1]
        if a <= last_b:
            if b > last_b:
                merged[-1] = (last_a, b)
        else:
            merged.append((a, b))
    return merged


def _apply(text: str, spans: Iterable[tuple[int, int]], mask: str = MASK) -> str:
    out = []
    pos = 0
    for a, b in spans:
        out.append(text[pos:a])
        out.append(mask)
        pos = b
    out.append(text[pos:])
    return "".join(out)


def mask_string(text: str) -> str:
    """`text` with the secrets it holds by what they are masked (URL passwords, tokens, keys...)."""
    return _apply(text, secret_spans(text))


def _content_len(line: str) -> int:
    """The length of a line without its line break."""
    if line.endswith("\r\n"):
        return len(line) - 2
    if line and line[-1] in "\n\r\x85\u2028\u2029":
        return len(line) - 1
    return len(line)


def _edit_line(line: str, line_edits: list[tuple[int, int, str]]) -> str:
    if len(line_edits) == 1:
        a, b, replacement = line_edits[0]
        return line[:a] + replacement + line[b:]
    line_edits.sort()
    out = []
    pos = 0
    for a, b, replacement in line_edits:
        if a < pos:  # overlapping edits cannot happen; keep the first
            continue
        out.append(line[pos:a])
        out.append(replacement)
        pos = b
    out.append(line[pos:])
    return "".join(out)
