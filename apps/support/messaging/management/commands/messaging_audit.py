"""manage messaging_audit [--tenant SLUG]: balance == sum(ledger) for every account."""

from django.core.management.base import BaseCommand, CommandError

from apps.support.messaging.audit import audit


class Command(BaseCommand):
    help = "Prints every credit account (and batch) whose balance differs from its ledger; fails if any does."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="only this tenant (slug)")

    def handle(self, *args, tenant=None, **options):
        tenant_id = None
        if tenant:
            from apps.core.models import Tenant

            found = Tenant.objects.filter(slug=tenant).first()
            if found is None:
                raise CommandError(f"no tenant {tenant!r}")
            tenant_id = found.id
        checked, discrepancies = audit(tenant_id=tenant_id)
        for discrepancy in discrepancies:
            self.stdout.write(str(discrepancy))
        self.stderr.write(f"{checked} account(s) checked, {len(discrepancies)} discrepancy(ies)")
        if discrepancies:
            raise CommandError("the credit ledger does not balance")
