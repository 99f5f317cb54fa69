"""What counts as a secret in a values file, and masking it for screens and shared copies.

This docstring is the reference for what the masked outputs hide (the redacted
copy for sharing, the JSON and Markdown reports, the side-by-side diff with
"Show secrets" off, error snippets) and why. A secret is found by what the value
is and by what its key says, not only by where it sits. What is masked becomes
`MASK` (``••••••••``); the unmasked outputs (`migrate -o`, the "Migrated values"
download, ``--show-secrets``) always hold every value.

Key names
---------
A key name is split into words (``internalJwtPrivateKeyV4Base64`` -> internal,
jwt, private, key, v, 4, base, 64; ``AWS_SECRET_ACCESS_KEY`` -> aws, secret,
access, key) and read by the first rule that applies:

1. Names of secrets, not secrets (``REF``): the first word is ``existing``
   (``existingSecret``, ``existingControlPlaneSecret: my-secret``), the name is
   about pull secrets (``imagePullSecrets``), the last word is ``name``,
   ``names``, ``ref`` or ``refs`` (``secretName``, ``keyName``,
   ``secretKeyRef``), or the name is the field of a Secret that holds a value
   (``userPasswordKey: password``, ``accessKeyIdKey``: ``key`` after password,
   token, credentials, user, id, key, cert, url, host...). The value, and
   everything under it, holds names: never masked for its key.
2. Descriptions of a secret, not the secret (``PUBLIC``): the last word says
   what the value is and that is not secret: a place (host, port, address,
   server, endpoint, url, uri, domain), a database, schema, bucket, region,
   zone, namespace, project, user or username, email, issuer, audience, a
   file, path or directory, a type, kind, mode, format, algorithm, policy,
   size, length, lifetime, timeout, a flag (enabled, required), a prefix,
   annotations, labels, scopes, providers... (``passwordFile``, ``tokenUrl``,
   ``dbHost``, ``secretAnnotations``).
3. Secret (``SECRET``): the last word holds ``password``, ``passwd``,
   ``passphrase``, ``secret``, ``credential``, ends with ``token`` (not
   ``tokens``, ``tokenizer``: counts and model settings), or is ``pass``,
   ``pwd``, ``pw``, ``cred``, ``creds``, ``salt``, ``hmac``, ``psk``; or the
   name ends with the word ``key``/``keys`` (or a word ending so: ``apikey``)
   after another word: ``API_KEY``, ``accessKey``, ``SECRET_KEY``,
   ``privateKey``, ``tls.key``, ``storageAccountKey``. Not ``key`` alone (a
   toleration's ``key: nvidia.com/gpu``) nor a structural key:
   ``partitionKey``, ``topologyKey``, ``sortKey``, ``routingKey``,
   ``labelKey``, ``cacheKey``, ``key_ring``...
4. Identifiers (``IDENT``): a word says ``tag``, ``digest``, ``sha``,
   ``checksum``, ``commit``, ``revision``, ``version``, ``hash``, ``uuid``,
   ``fingerprint`` (``image.tag: <git sha>``, ``checksum/config: <sha256>``):
   the random-token rule below does not apply to their values.
5. A secret word elsewhere in the name, or ``auth``/``authorization``/
   ``authentication`` as the last word (``WEAK``): ``AWS_ACCESS_KEY_ID``,
   ``internalJwtPrivateKeyV4Base64``, ``BASIC_AUTH``, ``redisSecretInit``.
   The value right under such a key is masked, but the key does not make its
   section secret (the chart's ``auth:`` holds roles and cookie settings).

Under a ``SECRET`` or ``WEAK`` key a text value is masked, and so is a number
(``password: 12345678``). Booleans, nulls and empty strings are never masked.

Where a key sits
----------------
Under a ``SECRET`` key (a secret section: the top-level ``secrets:``,
``s3Creds``, ``credentials``...) every text value is masked unless its own key
is ``REF``, ``PUBLIC`` or ``IDENT``, it is a URL, or it spells a flag
(``"true"``, ``"off"``); then only what the value itself holds is masked
(below). So under ``secrets:`` the database host, port, username and database
name, bucket URLs (``s3://bucket/path``), ``existing...Secret`` names, booleans,
numbers, empty strings and nulls stay visible, while ``password``,
``cookiesSecret``, ``AWS_SECRET_ACCESS_KEY`` and any value under a key we do
not know there (``secrets.opaqueThing``, an OIDC ``client_id`` or ``key``) are
masked: when in doubt under a secret key, mask. Under a ``REF`` key nothing is
masked for its key name. A list is transparent: its items are values of the
list's key (``apiKeys: [a, b]`` masks both).

Environment entries: in a mapping holding ``name`` (or ``key``) and
``value``, the value is read as if its key were the name, so
``extraEnvVars: [{name: API_TOKEN, value: ...}]`` masks the value while
``{name: LOG_LEVEL, value: debug}`` and a toleration's
``{key: nvidia.com/gpu, value: "true"}`` stay visible. Env maps
(``extraEnvVars: {REDIS_PASSWORD: ...}``) are ordinary keys. In a list of
command-line arguments, the item after a flag that names a secret
(``--password``, ``--api-key``) is masked.

What a value is, wherever it sits
---------------------------------
In every text value, even under an ordinary key, these parts are masked and
the rest of the text is kept:

- URL credentials however the value is quoted: ``scheme://user:password@host``
  keeps the scheme, user, host, port, path and query and masks the password,
  even when it holds quotes, ``/`` or ``@`` (the last ``@`` before the next
  space or URL ends it; ``host:8080/path/@x`` is a port, not a password). A
  URL whose userinfo has no password (a Sentry DSN
  ``https://<public key>@o1.ingest.sentry.io/2``, a token as user name) has
  its userinfo masked, unless it is a plain lowercase user name (``git@``).
- Parameters whose name says secret (rules 3 and 5, and ``sig``,
  ``signature``): ``password=...`` and ``--token=...`` (up to ``;``, ``&``,
  ``,`` or a space), ``AccountKey=...`` in an Azure connection string,
  ``X-Amz-Signature=...`` in a presigned URL, ``"private_key": "..."`` in
  embedded JSON (a GCP service-account key), whole ``PASSWORD: ...`` and
  ``password = ...`` lines of an embedded config or ``.env`` file, and the
  credentials after ``Bearer`` or ``Basic``.
- PEM private keys: the body of any ``-----BEGIN ... PRIVATE KEY-----`` block
  (RSA, EC, OPENSSH, ENCRYPTED, PGP ... KEY BLOCK), line by line, to its END
  line or the end of the value; the BEGIN/END lines and certificates stay.
- JWTs (``eyJ...`` in three base64url parts), AWS access key ids (``AKIA``,
  ``ASIA`` ... and 16 more), and long random tokens: a run of 32 or more
  characters without spaces or dots that mixes two of lowercase, uppercase and
  digits, uses 16 or more distinct characters and reads as few natural words
  (or is all hex: ``openssl rand -hex``). Not tokens: UUIDs, digests after
  ``sha256:`` (image references), hostnames and other dotted names, paths and
  names made of words (``adaptive-harmony-gpu-pool-production``). This catches
  an AWS secret access key and GitHub, Slack, OpenAI or Hugging Face tokens
  under any key; in a URL or path of words, only a random segment is masked.

A text masked by its key or its content is masked everywhere else it appears
whole (a username equal to the password; an anchor whose alias sits under a
secret key: ``common: &pw hunter2`` then ``password: *pw``), from 4
characters on. What is masked only because it sits in a secret section in
doubt does not spread.

Not masked
----------
Keys (a secret used as a mapping key shows), comments (a commented-out
password shows: comments are kept byte for byte), and what no rule recognises:
short tokens under ordinary keys, secrets inside a URL's path that are not
random (webhook paths of words), a URL password holding a space.

The masked text
---------------
`mask_yaml_text` keeps the text's line structure (a masked file has as many
lines, so diffs of masked texts line up) and keeps it valid YAML of the same
structure: anchors, aliases, comments, block scalars, flow style survive; a
quoted value stays quoted in its own quotes (so a JSON file stays JSON); a
value masked in part keeps its style (a multi-line quoted or plain one
becomes one double-quoted line); a value masked whole keeps the mask on its
first line and its other lines are left empty; a masked value's tag is
dropped (``!!int`` would not hold the mask). `mask_data` applies the same
rules to parsed data, so a masked copy parses to `mask_data` of the file.
Text that does not parse is masked line by line with the same rules,
following indentation (sections, list entries, block scalars, continuation
lines), flow brackets, quotes and anchors as far as they go.

Every pass is linear in the size of the text: hand-written scanners and
regular expressions that cannot backtrack (possessive or bounded pieces,
searches that resume after each match), and one rebuild per line however many
values a line holds.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from migrator.errors import InputError
from migrator.yaml.parse import Node, build_tree, resolve_plain, split_lines
from migrator.yaml.paths import parse_field_path

MASK = "••••••••"

# ---------------------------------------------------------------------------
# key names

SECRET = "secret"  # the key says the value is a secret
WEAK = "weak"  # a secret word inside the name, or auth: the value is a secret, its section is not
REF = "ref"  # the value names a secret (existingSecret, secretName, secretKeyRef): never masked for its name
PUBLIC = "public"  # the value describes a secret (host, port, user, url, file, type...): shown
IDENT = "ident"  # an identifier (tag, digest, checksum): shown, and not read as a random token
PLAIN = "plain"

NORMAL_CTX, SECRET_CTX, REF_CTX = "normal", "secret", "ref"

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z][a-z]*|[a-z]+|[0-9]+")


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_STRONG_PARTS = ("password", "passwd", "passphrase", "secret", "credential")
_STRONG_WORDS = frozenset({"pass", "pwd", "pw", "cred", "creds", "salt", "hmac", "psk"})
# A cheap first look: a key name without any of these cannot say secret (`_is_strong`).
_STRONG_HINT = re.compile(r"pass|pw|cred|salt|hmac|psk|secret|token|key")
_WEAK_WORDS = frozenset({"auth", "authorization", "authentication"})
_REF_LAST = frozenset({"name", "names", "ref", "refs"})
# `<one of these>Key` names the field of a Secret that holds it (`userPasswordKey: password`).
_SECRET_FIELDS = _word_set(
    "password passwords passwd pass token tokens credential credentials creds cred user username id key keys "
    "cert certificate url uri host port database db email"
)
_PUBLIC_LAST = _word_set(
    "host hostname hosts port ports address addr addresses server servers endpoint endpoints url urls uri "
    "uris domain domains database databases db dbname schema bucket buckets region regions zone zones "
    "location namespace project user username users login email emails issuer audience scheme protocol "
    "sslmode file files filename path paths dir directory mount mountpath type kind mode format formats "
    "encoding algorithm alg policy size length bits ttl expiry expiration lifetime duration seconds timeout "
    "interval period enabled enable disabled required optional create prefix suffix alias annotations "
    "labels label selector provider providers scope scopes count limit class"
)
_IDENT_WORDS = _word_set(
    "tag tags digest sha sha1 sha256 sha512 checksum commit revision version hash uuid uid fingerprint"
)
# `key` with one of these is a structural key (a field name, a label, a partition), not a secret.
_STRUCTURAL = _word_set(
    "partition topology sort routing label labels selector node object cache map config primary foreign "
    "shard group index lookup idempotency dedup unique metric queue match hash row column field value "
    "values sharding ring"
)
_NOT_KEYS = frozenset({"monkey", "turkey", "donkey", "hockey", "jockey", "whiskey", "hotkey", "hotkeys"})


def _is_strong(word: str) -> bool:
    if word in _STRONG_WORDS:
        return True
    if any(part in word for part in _STRONG_PARTS):
        return True
    if word.endswith("token"):  # not `tokens` (counts), `tokenizer`, `tokengen`
        return True
    for tail in ("keys", "key"):
        if word.endswith(tail) and len(word) > len(tail) and word not in _NOT_KEYS:
            return word[: -len(tail)] not in _STRUCTURAL
    return False


@lru_cache(maxsize=16384)
def key_kind(name: str) -> str:
    """What a key name says about its value: SECRET, WEAK, REF, PUBLIC, IDENT or PLAIN (module docstring)."""
    words = _WORD.findall(name[:1024])
    if not words:
        return PLAIN
    words = [w.lower() for w in words]
    last = words[-1]
    if words[0] == "existing" or last in _REF_LAST or "pull" in words:
        return REF
    keyed = last in ("key", "keys") and len(words) > 1
    if keyed and words[-2] in _SECRET_FIELDS:  # `userPasswordKey: password`: a field of a Secret
        return REF
    if last in _PUBLIC_LAST:
        return PUBLIC
    unique = set(words)
    if _STRONG_HINT.search(" ".join(words)) is None:  # no word that could say secret
        if not unique.isdisjoint(_IDENT_WORDS):
            return IDENT
        return WEAK if last in _WEAK_WORDS else PLAIN
    structural = not unique.isdisjoint(_STRUCTURAL)
    keyword = len(words) > 1 and ("key" in unique or "keys" in unique) and not structural
    if _is_strong(last) or (keyed and not structural):
        return SECRET
    if not unique.isdisjoint(_IDENT_WORDS):
        return IDENT
    if keyword or any(_is_strong(w) for w in words):
        return WEAK  # a secret word inside the name: `AWS_ACCESS_KEY_ID`, `redisSecretInit`
    if last in _WEAK_WORDS:
        return WEAK
    return PLAIN


def _kind_of(key: Any) -> str:
    return key_kind(key) if isinstance(key, str) else PLAIN


def _child_ctx(ctx: str, kind: str) -> str:
    """The context of the values under a key of this kind."""
    if ctx == REF_CTX or kind == REF:
        return REF_CTX
    if kind == SECRET:
        return SECRET_CTX
    return ctx


_FLAGS = frozenset({"true", "false", "yes", "no", "on", "off"})


def _masks_whole(kind: str, ctx: str, value: Any) -> bool:
    """Whether a scalar is masked whole (else only the secret parts of a text are)."""
    if value is None or isinstance(value, bool) or value == "" or ctx == REF_CTX:
        return False
    if isinstance(value, str):
        if kind in (SECRET, WEAK):
            return True
        # in doubt under a secret section, but not a URL nor a flag spelled as text (`"true"`)
        return ctx == SECRET_CTX and kind == PLAIN and "://" not in value and value.lower() not in _FLAGS
    return kind in (SECRET, WEAK)  # numbers (and anything else) under a key that says secret


def _says_secret(name: str) -> bool:
    return key_kind(name) in (SECRET, WEAK)


_FLAG = re.compile(r"--?[A-Za-z][A-Za-z0-9_.-]{0,63}")


def _is_secret_flag(value: Any) -> bool:
    return isinstance(value, str) and _FLAG.fullmatch(value) is not None and _says_secret(value.lstrip("-"))


# ---------------------------------------------------------------------------
# what a text holds

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


# ---------------------------------------------------------------------------
# paths and plain data


def _state_of(path: Iterable[Any]) -> tuple[str, str]:
    """(context, kind) at the end of a key path."""
    ctx, kind = NORMAL_CTX, PLAIN
    selector: str | None = None
    for part in path:
        if isinstance(part, tuple):  # [name=X]: a list entry picked by its name
            selector = str(part[1]) if part[0] in ("name", "key") else None
            continue
        if isinstance(part, str):
            kind = key_kind(selector) if part == "value" and selector is not None else key_kind(part)
            ctx = _child_ctx(ctx, kind)
        selector = None
    return ctx, kind


def is_secret_path(path: str | tuple) -> bool:
    """Whether a text value at this key path is masked whole, from the path alone.

    A path cannot tell what the value is: URL credentials, tokens and keys found
    by content, booleans and numbers under `secrets:` are decided by `mask_data`
    and `mask_yaml_text`, which see the values.
    """
    parts = parse_field_path(path) if isinstance(path, str) else list(path)
    ctx, kind = _state_of(parts)
    if ctx == REF_CTX:
        return False
    return kind in (SECRET, WEAK) or (ctx == SECRET_CTX and kind == PLAIN)


def _env_name(mapping: dict) -> str | None:
    if "value" not in mapping:
        return None
    for carrier in ("name", "key"):
        name = mapping.get(carrier)
        if isinstance(name, str) and name:
            return name
    return None


def mask_data(value: Any, path: tuple | str = ()) -> Any:
    """A copy of `value` (found at `path`) with its secrets masked, by the rules of the module docstring."""
    parts = parse_field_path(path) if isinstance(path, str) else list(path)
    ctx, kind = _state_of(parts)
    found: set[str] = set()
    shown: list[tuple[Any, Any, str]] = []  # (container, key, original) of texts not masked whole
    holder = [value]
    stack: list[tuple[Any, Any, Any, str, str]] = [(value, holder, 0, ctx, kind)]
    while stack:
        item, container, slot, ctx, kind = stack.pop()
        if isinstance(item, dict):
            copy: dict = {}
            container[slot] = copy
            env = _env_name(item)
            for key, sub in item.items():
                sub_kind = key_kind(env) if key == "value" and env is not None else _kind_of(key)
                copy[key] = None
                stack.append((sub, copy, key, _child_ctx(ctx, sub_kind), sub_kind))
        elif isinstance(item, list):
            copy_list: list = [None] * len(item)
            container[slot] = copy_list
            after_flag = False
            for i, sub in enumerate(item):
                sub_kind = SECRET if after_flag else kind
                sub_ctx = _child_ctx(ctx, SECRET) if after_flag else ctx
                stack.append((sub, copy_list, i, sub_ctx, sub_kind))
                after_flag = _is_secret_flag(sub)
        elif _masks_whole(kind, ctx, item):
            container[slot] = MASK
            if isinstance(item, str) and kind in (SECRET, WEAK):
                found.add(item)
        elif isinstance(item, str):
            spans = secret_spans(item, entropy=kind != IDENT)
            container[slot] = _apply(item, spans) if spans else item
            found.update(item[a:b] for a, b in spans)
            shown.append((container, slot, item))
        else:
            container[slot] = item
    _mask_equal(shown, found)
    return holder[0]


def _mask_equal(shown: list[tuple[Any, Any, str]], found: set[str]) -> None:
    """Mask texts equal to a secret found elsewhere (a username that is the password, an anchor's alias).

    `found` holds what a key name or the content said was secret, not what was masked only for
    being in doubt under a secret section.
    """
    found = {s for s in found if len(s) >= 4}
    if not found:
        return
    for container, slot, original in shown:
        if original in found:
            container[slot] = MASK


# ---------------------------------------------------------------------------
# the text of a YAML file


def _content_len(line: str) -> int:
    """The length of a line without its line break."""
    if line.endswith("\r\n"):
        return len(line) - 2
    if line and line[-1] in "\n\r\x85\u2028\u2029":
        return len(line) - 1
    return len(line)


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


# ---------------------------------------------------------------------------
# text that does not parse: line by line


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
