import pytest

from apps.core.settings.database import DatabaseUrlError, database_from_url


def test_postgres_url_with_options():
    config = database_from_url("postgres://ac%40dmy:p%2Fss@db.internal:6543/academy?sslmode=require&conn_max_age=60")
    assert config == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "academy",
        "USER": "ac@dmy",
        "PASSWORD": "p/ss",
        "HOST": "db.internal",
        "PORT": "6543",
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"sslmode": "require"},
    }


def test_postgres_connections_are_kept_by_default_and_can_be_closed_per_request():
    assert database_from_url("postgres://u@h/academy")["CONN_MAX_AGE"] == 60
    assert database_from_url("postgres://u@h/academy?conn_max_age=0")["CONN_MAX_AGE"] == 0


def test_sqlite_absolute_and_relative_paths():
    assert database_from_url("sqlite:////var/lib/academy.db")["NAME"] == "/var/lib/academy.db"
    assert database_from_url("sqlite:///var/academy.db")["NAME"] == "var/academy.db"


@pytest.mark.parametrize(
    "url, message",
    [
        ("mysql://u@h/db", "scheme 'mysql' is not supported"),
        ("postgres://u@h:5432/", "names no database"),
        ("sqlite://", "needs a file path"),
        ("postgres://u@h/db?conn_max_age=soon", "give whole seconds"),
        ("postgres://u@h/db?conn_max_age=-1", "0 or more seconds"),
    ],
)
def test_bad_urls_say_what_is_wrong(url, message):
    with pytest.raises(DatabaseUrlError, match=message):
        database_from_url(url)


COUNTER_WRITER = """
import pathlib
import sys
import time
import django
from django.conf import settings
from apps.core.settings.database import database_from_url

path, hold_seconds, started = sys.argv[1], float(sys.argv[2]), pathlib.Path(sys.argv[3])
settings.configure(DATABASES={"default": database_from_url("sqlite:///" + path)})
django.setup()
from django.db import connection, transaction

with transaction.atomic(), connection.cursor() as cursor:
    cursor.execute("UPDATE counter SET n = n + 1")
    started.touch()
    time.sleep(hold_seconds)  # a worker committing a large result, say
"""


def test_a_writer_waits_for_another_processs_long_write_instead_of_failing(tmp_path):
    import sqlite3
    import subprocess
    import sys
    import time

    path = tmp_path / "shared.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE counter (n INTEGER)")
        db.execute("INSERT INTO counter VALUES (0)")

    def writer(hold: float, flag: str):
        return subprocess.Popen([sys.executable, "-c", COUNTER_WRITER, str(path), str(hold), str(tmp_path / flag)],
                                env={"PYTHONPATH": ":".join(sys.path)}, stderr=subprocess.PIPE, text=True)

    # Longer than Python's default 5 s lock timeout: the second writer fails without ours.
    first = writer(7, "first")
    deadline = time.monotonic() + 30
    while not (tmp_path / "first").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    second = writer(0, "second")
    errors = [w.communicate(timeout=60)[1] for w in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], errors
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT n FROM counter").fetchone() == (2,)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
