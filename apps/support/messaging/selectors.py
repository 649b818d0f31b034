"""Reading messaging state: balances, ledgers, batches (writes are in services and credit_services)."""

from django.db.models import Count, QuerySet

from apps.support.messaging.models import CreditAccount, CreditTransaction, MessageBatch, Recipient


def balance_of(*, tenant_id) -> CreditAccount:
    """The tenant's account; an unsaved empty one if it never had credits."""
    return CreditAccount.objects.filter(tenant_id=tenant_id).first() or CreditAccount(tenant_id=tenant_id)


def transactions_of(*, tenant_id) -> QuerySet[CreditTransaction]:
    return CreditTransaction.objects.filter(account_id=tenant_id).order_by("-id")


def batches_of(*, tenant_id) -> QuerySet[MessageBatch]:
    return MessageBatch.objects.filter(tenant_id=tenant_id).order_by("-created_at")


def recipients_of(*, batch: MessageBatch, status: str | None = None) -> QuerySet[Recipient]:
    recipients = Recipient.objects.filter(batch=batch).order_by("position")
    return recipients.filter(status=status) if status else recipients


def status_counts(*, batch: MessageBatch) -> dict[str, int]:
    counts = {status: 0 for status in Recipient.Status.values}
    for row in Recipient.objects.filter(batch=batch).values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts
