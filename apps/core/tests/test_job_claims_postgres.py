"""Job claims under real concurrency: separate processes racing on one PostgreSQL server."""

import json
import subprocess
import sys
import time
import uuid

import pytest

from tools.testing.postgres import postgres_server, postgres_url  # noqa: F401

RACERS = 8
MIGRATE = ("import django; django.setup(); from django.core.management import call_command; "
           "call_command('migrate', verbosity=0)")


@pytest.fixture
def database(postgres_url):
    env = {"PYTHONPATH": ":".join(sys.path), "DJANGO_SETTINGS_MODULE": "apps.core.settings.base",
           "DATABASE_URL": postgres_url, "LANG": "C.UTF-8"}
    result = subprocess.run([sys.executable, "-c", MIGRATE], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return env


def _start(env, *args):
    return subprocess.Popen([sys.executable, "-m", "apps.core.tests.claim_racer", *map(str, args)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _result(proc) -> dict:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def _race(env, job, lease, gate) -> list[str]:
    """RACERS processes claim the job at the same moment; their outcomes, sorted."""
    gate.mkdir()
    procs = [_start(env, "claim", job, f"w{n}", lease, gate) for n in range(RACERS)]
    deadline = time.monotonic() + 60
    while len(list(gate.glob("*.ready"))) < RACERS:
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "a racer did not start"
        time.sleep(0.01)
    (gate / "go").touch()
    return sorted(_result(p)["outcome"] for p in procs)


def _psql(url, sql):
    import psycopg2

    connection = psycopg2.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else None
    finally:
        connection.close()


def test_racing_first_claims_make_exactly_one_owner(database, tmp_path):
    outcomes = _race(database, uuid.uuid4(), lease=60, gate=tmp_path / "gate")
    assert outcomes == ["claimed"] + ["held_by_other"] * (RACERS - 1)


def test_racing_takeovers_of_an_expired_lease_make_exactly_one_owner(database, tmp_path):
    job = uuid.uuid4()
    assert _result(_start(database, "claim", job, "dead", -1))["outcome"] == "claimed"  # its lease has passed
    assert _race(database, job, lease=60, gate=tmp_path / "gate") == ["held_by_other"] * (RACERS - 1) + ["taken_over"]


def test_a_takeover_waits_for_a_finishing_transaction_and_then_finds_the_job_done(database):
    job = uuid.uuid4()
    assert _result(_start(database, "claim", job, "slow", -1))["outcome"] == "claimed"
    slow = _start(database, "work", job, "slow", 3.0)
    assert slow.stdout.readline().startswith("finished")  # its finish() is in, not committed
    taker = _result(_start(database, "claim", job, "taker", 60))
    assert taker["outcome"] == "already_done" and taker["seconds"] > 0.5  # it waited for the commit
    assert _result(slow)["result"] == "done"


def test_work_of_a_worker_that_lost_its_claim_rolls_back(database):
    job = uuid.uuid4()
    _result(_start(database, "claim", job, "slow", -1))
    assert _result(_start(database, "claim", job, "taker", 60))["outcome"] == "taken_over"
    assert _result(_start(database, "work", job, "slow", 0))["result"] == "lost"
    assert _result(_start(database, "work", job, "taker", 0))["result"] == "done"
    slugs = _psql(database["DATABASE_URL"], "SELECT slug FROM core_tenant ORDER BY slug")
    assert slugs == [("taker",)]
