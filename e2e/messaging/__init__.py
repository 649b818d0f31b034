"""Messaging end to end: the API under gunicorn, messaging workers, moto's SQS, a fake
SOLAPI and a real PostgreSQL, each its own process (see harness.py)."""
