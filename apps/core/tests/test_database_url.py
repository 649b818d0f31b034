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
        "OPTIONS": {"sslmode": "require"},
    }


def test_sqlite_absolute_and_relative_paths():
    assert database_from_url("sqlite:////var/lib/academy.db")["NAME"] == "/var/lib/academy.db"
    assert database_from_url("sqlite:///var/academy.db")["NAME"] == "var/academy.db"


@pytest.mark.parametrize(
    "url, message",
    [
        ("mysql://u@h/db", "scheme 'mysql' is not supported"),
        ("postgres://u@h:5432/", "names no database"),
        ("sqlite://", "needs a file path"),
    ],
)
def test_bad_urls_say_what_is_wrong(url, message):
    with pytest.raises(DatabaseUrlError, match=message):
        database_from_url(url)


COUNTER_WRITER = """
import sys
import django
from django.conf import settings
from apps.core.settings.database import database_from_url

settings.configure(DATABASES={"default": database_from_url("sqlite:///" + sys.argv[1])})
django.setup()
from django.db import connection, transaction

for _ in range(int(sys.argv[2])):
    with transaction.atomic(), connection.cursor() as cursor:
        # Read, then write: under SQLite's default deferred BEGIN two processes doing this
        # deadlock on the lock upgrade and one fails at once with "database is locked".
        cursor.execute("SELECT n FROM counter")
        (n,) = cursor.fetchone()
        cursor.execute("UPDATE counter SET n = %s", [n + 1])
"""


def test_processes_sharing_the_sqlite_file_queue_for_writes_instead_of_failing(tmp_path):
    import sqlite3
    import subprocess
    import sys

    path = tmp_path / "shared.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE counter (n INTEGER)")
        db.execute("INSERT INTO counter VALUES (0)")
    writers = [subprocess.Popen([sys.executable, "-c", COUNTER_WRITER, str(path), "150"],
                                env={"PYTHONPATH": ":".join(sys.path)}, stderr=subprocess.PIPE, text=True)
               for _ in range(3)]
    errors = [w.communicate(timeout=120)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0], errors
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT n FROM counter").fetchone() == (450,)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
