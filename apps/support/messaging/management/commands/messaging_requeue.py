"""manage messaging_requeue [--older-than SECONDS]: queue accepted batches whose job never reached the queue."""

from django.core.management.base import BaseCommand

from apps.support.messaging.services.batches import requeue_unqueued_batches


class Command(BaseCommand):
    help = "Queues message batches accepted (credits held) whose job never reached the messaging queue."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=float, default=300, help="seconds since the batch was accepted")

    def handle(self, *args, older_than, **options):
        for batch in requeue_unqueued_batches(older_than_seconds=older_than):
            self.stdout.write(f"queued batch {batch.id}")
