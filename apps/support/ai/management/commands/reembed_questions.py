"""manage reembed_questions [--tenant SLUG] [--dry-run]: queue embed jobs for every question
whose stored vector is missing or was made by another model than AI_EMBED_MODEL.

Run it after changing AI_EMBED_MODEL. Until a question is embedded again it is left out of
similar-question searches for questions embedded by the new model (vectors of different
models are never compared), and its own searches compare it only with questions of its
old model. Jobs go to the queue AI_EMBED_DEVICE names, QUESTIONS_PER_JOB questions each.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.core.models import Tenant
from apps.core.queues import QueueUnavailable
from apps.domains.ai import selectors
from apps.support.ai.services.embed_names import model_name
from apps.support.ai.services.uploads import JobRejected, submit_embed_job

QUESTIONS_PER_JOB = 256


class Command(BaseCommand):
    help = "Queues embed jobs for questions not embedded by the configured AI_EMBED_MODEL."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="only this academy (its slug); default every academy")
        parser.add_argument("--dry-run", action="store_true", help="count what would be queued, queue nothing")

    def handle(self, *args, tenant: str | None, dry_run: bool, **options):
        model = model_name(settings.AI_EMBED_MODEL)
        tenants = Tenant.objects.order_by("slug")
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"no academy with the slug {tenant!r}")
        queued_jobs = queued_questions = 0
        for academy in tenants:
            # Ids are all a job needs: the stored vectors stay in the database.
            stale = list(selectors.questions_not_embedded_by(tenant=academy, model=model).only("id", "tenant_id"))
            if not stale:
                continue
            self.stdout.write(f"{academy.slug}: {len(stale)} questions to embed with {model}")
            if dry_run:
                queued_questions += len(stale)
                continue
            for start in range(0, len(stale), QUESTIONS_PER_JOB):
                chunk = stale[start:start + QUESTIONS_PER_JOB]
                try:
                    submit_embed_job(tenant=academy, questions=chunk)
                except QueueUnavailable as exc:
                    raise CommandError(f"{exc}; nothing more was queued (run the command again)") from None
                except JobRejected as exc:
                    raise CommandError(str(exc)) from None
                queued_jobs += 1
                queued_questions += len(chunk)
        verb = "would queue" if dry_run else f"queued {queued_jobs} embed jobs for"
        self.stdout.write(f"{verb} {queued_questions} questions (model {model})")
