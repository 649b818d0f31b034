"""The SQS worker runtime shared by every sqs_main*.py: at-least-once delivery from SQS,
done-once work through job claims (apps.core.services.job_claims).

Start at entrypoint.py (the command line) and worker.py (the loop); each other module is
one concept: poller, pool, processor, heartbeat, acks, deadletter, backoff, shutdown,
health, metrics, logging, inflight, connections, config. Nothing is imported here, so
importing an entry module never touches the database layer before django.setup().
"""
