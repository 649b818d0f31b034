"""Every change to a tenant's credits, each with its ledger row in the same transaction.

    hold(tenant_id=..., amount=cost, ...)      # raises InsufficientCredits; nothing changes
    capture(...) / release(...)                # the worker, per provider call
    refund(...)                                # a failed delivery, where the pricing says so
    top_up(...) / adjust(...)                  # staff

Race safety: each change is one conditional UPDATE ... RETURNING,

    UPDATE account SET balance = balance + :amount, held = held + :held_delta
     WHERE tenant_id = :t AND balance + :amount >= 0 AND held + :held_delta >= 0
    RETURNING balance, held

On PostgreSQL the second of two concurrent UPDATEs of the row waits for the first to commit
and re-evaluates its WHERE clause against the new row, so two holds can never both spend
the same credits; SQLite runs writers one at a time. The CHECK constraints on the table
are the last line. The ledger row is inserted in the same transaction, with the balance the
UPDATE returned, so `balance == sum(amount)` holds at every commit.

Call these inside the transaction that makes the change they pay for (the batch insert,
the recipients' status update): the money and the state commit together or not at all.
"""

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from apps.support.messaging.models import CreditAccount, CreditTransaction, MessageBatch

Kind = CreditTransaction.Kind


class InsufficientCredits(Exception):
    def __init__(self, *, balance: int, cost: int):
        self.balance, self.cost = balance, cost
        super().__init__(f"insufficient credits: the balance is {balance}, this costs {cost}")


class LedgerError(Exception):
    """A capture or release larger than what is held: a bug, never a user error."""


@dataclass(frozen=True)
class Balance:
    balance: int
    held: int


def get_or_create_account(*, tenant_id) -> CreditAccount:
    account, _ = CreditAccount.objects.get_or_create(tenant_id=tenant_id)
    return account


def top_up(*, tenant_id, amount: int, actor: str, memo: str = "") -> CreditTransaction:
    if amount <= 0:
        raise ValueError("a top-up must be a positive number of credits")
    with transaction.atomic():
        get_or_create_account(tenant_id=tenant_id)
        return _apply(tenant_id=tenant_id, kind=Kind.TOP_UP, amount=amount, actor=actor, memo=memo)


def adjust(*, tenant_id, amount: int, actor: str, memo: str) -> CreditTransaction:
    """A staff correction; raises InsufficientCredits rather than going below zero."""
    if amount == 0:
        raise ValueError("an adjustment must change the balance")
    if not memo:
        raise ValueError("an adjustment needs a memo saying why")
    with transaction.atomic():
        get_or_create_account(tenant_id=tenant_id)
        return _apply(tenant_id=tenant_id, kind=Kind.ADJUSTMENT, amount=amount, actor=actor, memo=memo)


def hold(*, tenant_id, amount: int, quantity: int, batch: MessageBatch | None, actor: str) -> CreditTransaction:
    """Reserves `amount` for an accepted batch; InsufficientCredits when the balance is short."""
    return _apply(tenant_id=tenant_id, kind=Kind.HOLD, amount=-amount, held_delta=amount, quantity=quantity,
                  batch=batch, actor=actor)


def capture(*, tenant_id, amount: int, quantity: int, batch: MessageBatch, actor: str = "worker",
            memo: str = "") -> CreditTransaction | None:
    """Spends held credits: the provider accepted `quantity` messages."""
    if amount == 0:
        return None
    return _apply(tenant_id=tenant_id, kind=Kind.CAPTURE, amount=0, held_delta=-amount, quantity=quantity,
                  batch=batch, actor=actor, memo=memo)


def release(*, tenant_id, amount: int, quantity: int, batch: MessageBatch, actor: str = "worker",
            memo: str = "") -> CreditTransaction | None:
    """Gives held credits back: `quantity` messages will not be sent."""
    if amount == 0:
        return None
    return _apply(tenant_id=tenant_id, kind=Kind.RELEASE, amount=amount, held_delta=-amount, quantity=quantity,
                  batch=batch, actor=actor, memo=memo)


def refund(*, tenant_id, amount: int, quantity: int, batch: MessageBatch, actor: str = "webhook",
           memo: str = "") -> CreditTransaction | None:
    """Gives captured credits back: delivery failed and the pricing refunds the type."""
    if amount == 0:
        return None
    return _apply(tenant_id=tenant_id, kind=Kind.REFUND, amount=amount, quantity=quantity, batch=batch,
                  actor=actor, memo=memo)


_UPDATE = (
    "UPDATE {table} SET balance = balance + %s, held = held + %s, updated_at = %s "
    "WHERE tenant_id = %s AND balance + %s >= 0 AND held + %s >= 0 RETURNING balance, held"
)


def _apply(*, tenant_id, kind: str, amount: int, held_delta: int = 0, quantity: int = 0,
           batch: MessageBatch | None = None, actor: str = "", memo: str = "") -> CreditTransaction:
    # No savepoint: a caller's transaction that fails here rolls back whole, which is what
    # every caller wants (a refused hold must not leave its batch behind).
    with transaction.atomic(savepoint=False):
        now = timezone.now()
        pk = CreditAccount._meta.pk.get_db_prep_value(tenant_id, connection)
        updated_at = CreditAccount._meta.get_field("updated_at").get_db_prep_value(now, connection)
        with connection.cursor() as cursor:
            cursor.execute(_UPDATE.format(table=CreditAccount._meta.db_table),
                           [amount, held_delta, updated_at, pk, amount, held_delta])
            row = cursor.fetchone()
        if row is None:
            account = CreditAccount.objects.filter(tenant_id=tenant_id).first()
            balance = account.balance if account else 0
            if amount < 0:
                raise InsufficientCredits(balance=balance, cost=-amount)
            raise LedgerError(f"{kind} of {-held_delta} credits for tenant {tenant_id}, but only "
                              f"{account.held if account else 0} are held")
        balance, held = row
        return CreditTransaction.objects.create(
            account_id=tenant_id, kind=kind, amount=amount, held_delta=held_delta, balance_after=balance,
            held_after=held, batch=batch, quantity=quantity, memo=memo[:200], actor=actor[:100], created_at=now,
        )
