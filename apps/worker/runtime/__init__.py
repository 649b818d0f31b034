"""The SQS worker runtime shared by every sqs_main*.py: at-least-once delivery from SQS,
done-once work through job claims (apps.core.services.job_claims).

Start at entrypoint.py (the command line), worker.py (the loop) and claims.py (a message
from receipt to release); each other module is one concept: poller, pool, heartbeat,
acks, deadletter, backoff, stopping, shutdown, health, metrics, logging, inflight,
connections, config. Nothing is imported here, so importing an entry module never
touches the database layer before django.setup().
"""
