"""DATABASE_URL -> Django's DATABASES entry (postgres:// and sqlite:// URLs)."""

from urllib.parse import parse_qsl, unquote, urlsplit

_ENGINES = {
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "sqlite": "django.db.backends.sqlite3",
}


# The embedded default is one SQLite file written by the API and every local worker at once.
# WAL lets readers go on while a write is in progress; a writer that finds the file locked
# waits up to `timeout` seconds (Python's default is 5) instead of failing with "database is
# locked" while a worker's transaction commits a large result.
SQLITE_SHARED_BY_PROCESSES = {
    "timeout": 30,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


# Seconds a PostgreSQL connection is reused across requests (Django's CONN_MAX_AGE). A new
# connection costs a PostgreSQL backend process, about 6 ms here; /healthz needs none and
# answers in under 1 ms. Django checks a reused connection at the start of each request
# (CONN_HEALTH_CHECKS), so a database restart costs one reconnect, not an error.
POSTGRES_CONN_MAX_AGE = 60


class DatabaseUrlError(ValueError):
    pass


def database_from_url(url: str) -> dict:
    """Parses `postgres://user:pass@host:5432/name?sslmode=require` or `sqlite:///path/db.sqlite3`.

    Query parameters become OPTIONS (e.g. sslmode), except `conn_max_age`, Django's
    persistent-connection setting (seconds; default POSTGRES_CONN_MAX_AGE, 0 closes each
    connection when its request ends).
    """
    parts = urlsplit(url)
    engine = _ENGINES.get(parts.scheme)
    if engine is None:
        raise DatabaseUrlError(
            f"DATABASE_URL scheme {parts.scheme!r} is not supported; use one of {sorted(_ENGINES)}"
        )
    if engine.endswith("sqlite3"):
        # sqlite:///relative.db and sqlite:////absolute/path.db, as in dj-database-url.
        name = unquote(parts.path[1:]) if parts.path.startswith("/") else unquote(parts.path)
        if not name:
            raise DatabaseUrlError("DATABASE_URL for sqlite needs a file path: sqlite:////path/to/db.sqlite3")
        return {"ENGINE": engine, "NAME": name, "OPTIONS": SQLITE_SHARED_BY_PROCESSES}
    options = dict(parse_qsl(parts.query))
    config = {
        "ENGINE": engine,
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": unquote(parts.hostname or ""),
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": _conn_max_age(options.pop("conn_max_age", POSTGRES_CONN_MAX_AGE)),
        "CONN_HEALTH_CHECKS": True,
    }
    if not config["NAME"]:
        raise DatabaseUrlError("DATABASE_URL names no database: postgres://user:pass@host:5432/<name>")
    if options:
        config["OPTIONS"] = options
    return config


def _conn_max_age(value) -> int:
    try:
        seconds = int(value)
    except ValueError:
        raise DatabaseUrlError(f"DATABASE_URL conn_max_age={value!r}: give whole seconds (0 closes each "
                               f"connection after its request)") from None
    if seconds < 0:
        raise DatabaseUrlError(f"DATABASE_URL conn_max_age={seconds}: give 0 or more seconds")
    return seconds
