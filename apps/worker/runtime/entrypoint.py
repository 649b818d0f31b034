"""The command line every worker entry point shares: settings, --check, --once."""

import argparse
import logging
import os
import sys

log = logging.getLogger("academy.worker")


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.worker.settings")
    import django

    django.setup()


def check_database() -> str | None:
    """None when the database answers, else the reason it does not."""
    from django.db import connection

    try:
        connection.ensure_connection()
    except Exception as exc:  # any driver error means the check failed
        return f"database {connection.settings_dict.get('NAME')!r}: {exc}"
    return None


def build_parser(worker: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"{worker}-worker", description=description)
    parser.add_argument("--check", action="store_true", help="load settings, connect, verify queues; exit 0 or 1")
    parser.add_argument("--once", action="store_true", help="drain what is queued now, then exit")
    return parser


def run(worker: str, description: str, argv: list[str] | None = None) -> int:
    args = build_parser(worker, description).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    setup_django()
    problem = check_database()
    if problem:
        print(f"{worker} worker: {problem}", file=sys.stderr)
        return 1
    if args.check:
        print(f"{worker} worker: settings loaded, database reachable")
        return 0
    print(f"{worker} worker: no queue runtime is configured yet", file=sys.stderr)
    return 1
