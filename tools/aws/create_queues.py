"""Creates the worker queues, each with its dead-letter queue and redrive policy.

    tools/bazel run //tools/aws:create_queues -- [--max-receive-count N]
        [--visibility-timeout SECONDS] [--queue NAME ...]

NAME is a role from settings.SQS_QUEUES: video, ai-cpu, ai-gpu, messaging (default: all).
Everything else comes from the worker settings and the environment: the endpoint
(AWS_ENDPOINT_URL, unset for AWS itself), AWS_REGION, credentials from boto3's usual
chain, the queue names (SQS_VIDEO_QUEUE, ...), and the defaults of the two options
(SQS_MAX_RECEIVE_COUNT, SQS_VISIBILITY_TIMEOUT). Safe to run again: existing queues
keep their URL and get the attributes asked for.

Prints each queue's URL and its DLQ's. Exit status: 0 when every queue is in place,
1 when SQS refused or could not be reached, 2 for bad arguments.
"""

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.worker.settings")
    import django

    django.setup()
    from botocore.exceptions import BotoCoreError, ClientError
    from django.conf import settings

    from apps.core.queues import SQSQueue

    parser = argparse.ArgumentParser(
        prog="create_queues", description=__doc__.split("\n\n")[0],
        epilog="Exit status: 0 queues in place, 1 SQS error, 2 bad arguments.",
    )
    parser.add_argument("--queue", action="append", choices=sorted(settings.SQS_QUEUES), metavar="NAME",
                        help=f"a queue role, repeatable; one of {', '.join(settings.SQS_QUEUES)} (default: all)")
    parser.add_argument("--max-receive-count", type=int, default=settings.SQS_MAX_RECEIVE_COUNT, metavar="N",
                        help="receives before a message moves to the DLQ (default: %(default)s)")
    parser.add_argument("--visibility-timeout", type=int, default=settings.SQS_VISIBILITY_TIMEOUT,
                        metavar="SECONDS", help="the queues' visibility timeout (default: %(default)s)")
    args = parser.parse_args(argv)
    if not 1 <= args.max_receive_count <= 1000:
        parser.error("--max-receive-count must be between 1 and 1000")
    if not 0 <= args.visibility_timeout <= 43200:
        parser.error("--visibility-timeout must be between 0 and 43200")

    endpoint = settings.AWS_ENDPOINT_URL or f"AWS {settings.AWS_REGION}"
    for role in args.queue or list(settings.SQS_QUEUES):
        queue = SQSQueue(name=settings.SQS_QUEUES[role])
        try:
            setup = queue.ensure(max_receive_count=args.max_receive_count, visibility_timeout=args.visibility_timeout)
        except (BotoCoreError, ClientError) as exc:
            print(f"create_queues: {role} ({queue.name}) at {endpoint}: {exc}", file=sys.stderr)
            return 1
        print(f"{role}: {setup.url}")
        print(f"  dlq: {setup.dlq_url}")
        print(f"  maxReceiveCount={setup.max_receive_count} visibilityTimeout={setup.visibility_timeout}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
