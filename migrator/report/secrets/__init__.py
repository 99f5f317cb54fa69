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

from migrator.report.secrets.content import is_random_token, mask_string, secret_spans
from migrator.report.secrets.data import is_secret_path, mask_data
from migrator.report.secrets.names import (
    IDENT,
    MASK,
    NORMAL_CTX,
    PLAIN,
    PUBLIC,
    REF,
    REF_CTX,
    SECRET,
    SECRET_CTX,
    WEAK,
    key_kind,
)
from migrator.report.secrets.text import mask_line, mask_parsed_text, mask_yaml_text

__all__ = [
    "IDENT",
    "MASK",
    "NORMAL_CTX",
    "PLAIN",
    "PUBLIC",
    "REF",
    "REF_CTX",
    "SECRET",
    "SECRET_CTX",
    "WEAK",
    "is_random_token",
    "is_secret_path",
    "key_kind",
    "mask_data",
    "mask_line",
    "mask_parsed_text",
    "mask_string",
    "mask_yaml_text",
    "secret_spans",
]
