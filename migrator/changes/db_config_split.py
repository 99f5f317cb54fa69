"""0.18.0: `secrets.dbUrl` is split into `secrets.db.{username,password,host,database}`."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

from migrator.changes.context import BreakingChange, ChangeContext, Code, facts

VERSION = "0.18.0"
URL = ("secrets", "dbUrl")
DB = ("secrets", "db")
FIELDS = ("username", "password", "host", "database")
SECRET_KEYS_BEFORE = "dbUrl"
SECRET_KEYS_AFTER = ("dbUsername", "dbPassword", "dbHost", "dbName")


class UrlError(ValueError):
    pass


def parse_db_url(url: str) -> tuple[dict[str, str], list[str]]:
    """Split a PostgreSQL URL into the four new fields, and the query/fragment parts that are lost.

    The user and password are percent-decoded (the chart passes them as plain
    environment variables now); the host keeps its port exactly as written.
    """
    text = url.strip()
    scheme, sep, _ = text.partition("://")
    if not sep:
        raise UrlError("it is not a URL (no `scheme://`)")
    if scheme.lower() not in ("postgres", "postgresql"):
        raise UrlError(f"the scheme `{scheme}` is not postgres:// or postgresql://")
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # e.g. an unclosed or invalid [IPv6] host
        raise UrlError(f"it is not a valid URL ({exc})") from None
    hostinfo = parts.netloc.rpartition("@")[2]
    if not hostinfo:
        raise UrlError("it names no host")
    if hostinfo.startswith("[") and "]" not in hostinfo:
        raise UrlError("its IPv6 host has no closing `]`")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError as exc:
        raise UrlError(f"its port is not valid ({exc})") from None
    database = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
    if "/" in database:
        raise UrlError("its path has more than one segment; a database name has none")
    lost = [name for name, _ in parse_qsl(parts.query, keep_blank_values=True)]
    if parts.query and not lost:
        lost = [parts.query.split("=", 1)[0]]
    if parts.fragment:
        lost.append("#" + "fragment")
    fields = {
        "username": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "host": hostinfo,
        "database": database,
    }
    return fields, lost


def _quote_style(ctx: ChangeContext) -> str:
    found = ctx.doc.entry(URL)
    style = found[1].style if found else None
    return style if style in ('"', "'") else ""


def apply(ctx: ChangeContext) -> None:
    if not ctx.has(URL):
        return
    existing_secret = ctx.get(("secrets", "existingControlPlaneSecret"))
    if existing_secret:
        ctx.finding(
            "existing-secret-keys",
            "critical",
            ("secrets", "existingControlPlaneSecret"),
            f"The database settings come from an existing Secret. From {VERSION} the chart reads the keys "
            f"{', '.join(SECRET_KEYS_AFTER)} from it instead of `{SECRET_KEYS_BEFORE}`; the pods fail to "
            "connect until the Secret is changed.",
        )
        ctx.manual(
            f"Change the Secret `{existing_secret}`: replace its key `{SECRET_KEYS_BEFORE}` by "
            f"{', '.join(f'`{k}`' for k in SECRET_KEYS_AFTER)} (user, password, host[:port], database name)."
        )
    url = ctx.get(URL)
    placeholders = not facts.SECRET_DEFAULTS_EMPTY.holds(ctx.target)  # the chart's `secrets.db.*` defaults
    if url in (None, "") and existing_secret and not ctx.has(DB) and placeholders:
        # Charts 0.18.0 to 0.41.x ship placeholder `secrets.db.*` defaults and refuse them beside an
        # existing Secret: the file must blank them, as it blanked `dbUrl` for 0.17.
        ctx.editor.replace_key(URL, "db", {name: "" for name in FIELDS}, quote='"')
        for name in FIELDS:
            ctx.move(URL, (*DB, name))
        ctx.did(
            "Replaced the empty `secrets.dbUrl` by empty `secrets.db` fields: beside an existing Secret, "
            f"charts {VERSION} to {facts.SECRET_DEFAULTS_EMPTY.since.previous_line()} refuse their own "
            "placeholder defaults for them."
        )
        return
    if url in (None, ""):
        ctx.editor.remove_key(URL)
        ctx.drop(URL, f"it was empty; from {VERSION} the database settings are `secrets.db.*`")
        if not existing_secret and not ctx.has(DB):
            for name in ("password", "database"):
                ctx.finding(
                    f"db-{name}-missing",
                    "critical",
                    (*DB, name),
                    f"No database {'name' if name == 'database' else name} is set, and the chart from "
                    f"{VERSION} requires `secrets.db.{name}`.",
                )
        ctx.did("Removed the empty `secrets.dbUrl`.")
        return
    if not isinstance(url, str):
        ctx.type_error(URL, "a connection URL string such as postgresql://user:password@host:5432/db")
        return
    try:
        fields, lost = parse_db_url(url)
    except UrlError as exc:
        ctx.block(
            f"`secrets.dbUrl` cannot be split into the new fields: {exc}. Set `secrets.db.username`, "
            "`password`, `host` and `database` by hand.",
            URL,
            code="db-url-unparseable",
        )
        return

    if ctx.has(DB):
        current = ctx.get(DB)
        if isinstance(current, dict) and all(str(current.get(k, "")) == fields[k] for k in FIELDS):
            ctx.editor.remove_key(URL)
            ctx.drop(URL, "it repeated the values already in `secrets.db`")
            ctx.did("Removed `secrets.dbUrl`, which repeated `secrets.db`.")
            return
        ctx.block(
            "The file has both `secrets.dbUrl` and `secrets.db`, and they disagree. Decide which holds the "
            "right database settings, delete the other, and run the assistant again.",
            URL,
        )
        return

    if lost:
        names = ", ".join(n for n in lost)
        ctx.finding(
            "db-url-params-dropped",
            "warning",
            URL,
            f"The URL's parameters ({names}) have no place in the new settings and are not carried over; "
            "the chart passes only user, password, host and database.",
        )
        ctx.manual(f"Make sure the database connection works without the URL parameters ({names}).")
        for name in lost:
            ctx.drop(f"secrets.dbUrl?{name.lstrip('#')}", f"no field for URL parameters from {VERSION}")
    for name in ("password", "database"):
        if not fields[name]:
            ctx.finding(
                f"db-{name}-missing",
                "critical",
                (*DB, name),
                f"The URL has no {name}; the chart from {VERSION} requires `secrets.db.{name}`. "
                f"The migrated file sets it to an empty value for you to fill in.",
            )
            ctx.manual(f"Fill in `secrets.db.{name}`.")

    ctx.editor.replace_key(URL, "db", fields, quote=_quote_style(ctx))
    for name in FIELDS:
        ctx.move(URL, (*DB, name))
    ctx.did("Split `secrets.dbUrl` into `secrets.db.username`, `password`, `host` and `database`.")


CHANGE = BreakingChange(
    id="db-config-split",
    guide_section=("#017x-to-0180", "0.17.x to 0.18.0: Database Configuration Format"),
    version=VERSION,
    title="Database settings split into separate fields",
    explanation=(
        "Up to 0.17 the chart took the whole database connection as one URL in `secrets.dbUrl`. "
        "From 0.18.0 it takes the user, password, host (with its port) and database name as four "
        "separate settings under `secrets.db` and never builds a URL itself. The old key is ignored, "
        "so a file that still has it deploys with the chart's placeholder database settings. "
        "URL parameters such as `sslmode` have no place in the new settings."
    ),
    automated=(
        "Splits `secrets.dbUrl` into `secrets.db.username`, `password`, `host` and `database`, "
        "decoding percent-escapes in the user and password and keeping the port with the host."
    ),
    manual_steps=(
        "If the settings come from an existing Secret (`secrets.existingControlPlaneSecret`), change "
        "that Secret: replace its key `dbUrl` by `dbUsername`, `dbPassword`, `dbHost` and `dbName`.",
        "If the URL had parameters (e.g. `sslmode`), make sure the connection works without them.",
    ),
    example_before='secrets:\n  dbUrl: "postgresql://username:password@db_address:5432/db_name"\n',
    example_after=(
        'secrets:\n  db:\n    username: "username"\n    password: "password"\n'
        '    host: "db_address:5432"\n    database: "db_name"\n'
    ),
    apply=apply,
    old_keys=("secrets.dbUrl",),
    new_keys=("secrets.db",),
    severity="critical",
    codes=(
        Code(
            "db-url-unparseable",
            ("critical",),
            "`secrets.dbUrl` is not a PostgreSQL URL that can be split into user, password, host and "
            "database, so the split is left to you (blocked).",
        ),
        Code(
            "db-url-params-dropped",
            ("warning",),
            "The database URL had parameters (such as `sslmode`) that the new `secrets.db` fields have no "
            "place for; they are not carried over.",
        ),
        Code(
            "db-password-missing",
            ("critical",),
            "No database password is set and the chart requires `secrets.db.password`: the migrated file "
            "has it empty for you to fill in.",
        ),
        Code(
            "db-database-missing",
            ("critical",),
            "No database name is set and the chart requires `secrets.db.database`: the migrated file has "
            "it empty for you to fill in.",
        ),
    ),
)
