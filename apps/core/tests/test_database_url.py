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
