"""manage create_queues [--queue NAME ...] [--max-receive-count N] [--visibility-timeout SECONDS]:
the worker queues, each with its dead-letter queue and redrive policy.

NAME is a role from settings.SQS_QUEUES: video, ai-cpu, ai-gpu, messaging (default: all).
Everything else comes from the settings and the environment: the endpoint (AWS_ENDPOINT_URL,
unset for AWS itself), AWS_REGION, credentials from boto3's usual chain, the queue names
(SQS_VIDEO_QUEUE, ...), and the defaults of the two options (SQS_MAX_RECEIVE_COUNT,
SQS_VISIBILITY_TIMEOUT). Safe to run again: existing queues keep their URL and get the
attributes asked for. Exit status: 0 when every queue is in place, 1 when SQS refused or
could not be reached, 2 for bad arguments.
"""

import argparse

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.core.queues import SQSQueue
from apps.core.queues.sqs import MAX_VISIBILITY_SECONDS


def _bounded(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return value

    return parse


class Command(BaseCommand):
    help = ("Creates the worker queues, each with its dead-letter queue and redrive policy; "
            "prints each queue's URL and its DLQ's. Safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--queue", action="append", choices=sorted(settings.SQS_QUEUES), metavar="NAME",
                            help=f"a queue role, repeatable; one of {', '.join(settings.SQS_QUEUES)} (default: all)")
        parser.add_argument("--max-receive-count", type=_bounded(1, 1000), default=settings.SQS_MAX_RECEIVE_COUNT,
                            metavar="N", help="receives before a message moves to the DLQ, 1..1000 "
                                              "(default: SQS_MAX_RECEIVE_COUNT, %(default)s)")
        parser.add_argument("--visibility-timeout", type=_bounded(0, MAX_VISIBILITY_SECONDS),
                            default=settings.SQS_VISIBILITY_TIMEOUT, metavar="SECONDS",
                            help=f"the queues' visibility timeout, 0..{MAX_VISIBILITY_SECONDS} "
                                 "(default: SQS_VISIBILITY_TIMEOUT, %(default)s)")

    def handle(self, *args, queue, max_receive_count, visibility_timeout, **options):
        endpoint = settings.AWS_ENDPOINT_URL or f"AWS {settings.AWS_REGION}"
        for role in queue or list(settings.SQS_QUEUES):
            sqs_queue = SQSQueue(name=settings.SQS_QUEUES[role])
            try:
                setup = sqs_queue.ensure(max_receive_count=max_receive_count, visibility_timeout=visibility_timeout)
            except (BotoCoreError, ClientError) as exc:
                raise CommandError(f"{role} ({sqs_queue.name}) at {endpoint}: {exc}") from None
            self.stdout.write(f"{role}: {setup.url}\n"
                              f"  dlq: {setup.dlq_url}\n"
                              f"  maxReceiveCount={setup.max_receive_count} visibilityTimeout={setup.visibility_timeout}")
