"""What a key's name says: a secret, a reference to one, a description of one, or nothing."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

MASK = "••••••••"

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
