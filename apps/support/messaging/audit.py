"""Checks the credit ledger: prints every account whose balance or held credits differ
from the sum of its ledger, and every batch whose held, captured, released or refunded
credits differ from its recipients' charges. Exit status 0 when all agree, 1 when any
differs, 2 for an unknown tenant (or bad arguments).

    tools/bazel run //apps/support/messaging:audit                    # the database of DATABASE_URL
    tools/bazel run //apps/support/messaging:audit -- --tenant <slug-or-id>
    tools/bazel run //apps/support/messaging:audit -- --no-batches    # accounts only, not batches

It reads in one REPEATABLE READ transaction (PostgreSQL) or one read transaction (SQLite),
so the workers and the API may go on while it runs: every change commits its ledger row
with it, so a consistent snapshot always balances.
"""

import argparse
import os
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Discrepancy:
    kind: str  # "account" or "batch"
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}: {self.detail}"


def audit(*, tenant_id=None, batches: bool = True) -> tuple[int, list[Discrepancy]]:
    """(accounts checked, discrepancies)."""
    from django.db import connection, transaction

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        checked, found = _accounts(tenant_id)
        if batches:
            found += _batches(tenant_id)
    return checked, found


def _accounts(tenant_id) -> tuple[int, list[Discrepancy]]:
    from django.db.models import Count, Sum

    from apps.support.messaging.models import CreditAccount, CreditTransaction

    ledger = CreditTransaction.objects.values("account_id").annotate(amount=Sum("amount"), held=Sum("held_delta"),
                                                                     rows=Count("id"))
    accounts = CreditAccount.objects.select_related("tenant")
    if tenant_id is not None:
        ledger, accounts = ledger.filter(account_id=tenant_id), accounts.filter(tenant_id=tenant_id)
    sums = {row["account_id"]: row for row in ledger}
    found = []
    checked = 0
    for account in accounts:
        checked += 1
        row = sums.pop(account.tenant_id, {"amount": 0, "held": 0, "rows": 0})
        if account.balance != row["amount"] or account.held != row["held"]:
            found.append(Discrepancy("account", f"{account.tenant.slug} ({account.tenant_id})",
                                     f"balance {account.balance} but ledger sums to {row['amount']}; held "
                                     f"{account.held} but ledger sums to {row['held']} ({row['rows']} rows)"))
    for account_id, row in sums.items():
        found.append(Discrepancy("account", str(account_id), f"{row['rows']} ledger rows but no account"))
    return checked, found


def _batches(tenant_id) -> list[Discrepancy]:
    from django.db.models import Count, Q, Sum

    from apps.support.messaging.models import CreditTransaction, MessageBatch, Recipient

    kinds = CreditTransaction.Kind
    batches = MessageBatch.objects.all()
    if tenant_id is not None:
        batches = batches.filter(tenant_id=tenant_id)
    money = {row["batch_id"]: row for row in CreditTransaction.objects.filter(batch__in=batches).values("batch_id")
             .annotate(held=Sum("held_delta"),
                       captured=Sum("held_delta", filter=Q(kind=kinds.CAPTURE)),
                       released=Sum("amount", filter=Q(kind=kinds.RELEASE)),
                       refunded=Sum("amount", filter=Q(kind=kinds.REFUND)))}
    charges = {}
    for row in Recipient.objects.filter(batch__in=batches).values("batch_id", "charge").annotate(n=Count("pk")):
        charges.setdefault(row["batch_id"], {})[row["charge"]] = row["n"]
    found = []
    charge = Recipient.Charge
    for batch in batches.only("id", "unit_price"):
        m = money.get(batch.id, {})
        c = charges.get(batch.id, {})
        price = batch.unit_price
        expected = {
            "held": price * c.get(charge.HELD, 0),
            "captured": price * (c.get(charge.CAPTURED, 0) + c.get(charge.REFUNDED, 0)),
            "released": price * c.get(charge.RELEASED, 0),
            "refunded": price * c.get(charge.REFUNDED, 0),
        }
        actual = {"held": m.get("held") or 0, "captured": -(m.get("captured") or 0),
                  "released": m.get("released") or 0, "refunded": m.get("refunded") or 0}
        wrong = [f"{k} {actual[k]} (recipients say {expected[k]})" for k in expected if actual[k] != expected[k]]
        if wrong:
            found.append(Discrepancy("batch", str(batch.id), "; ".join(wrong)))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenant", help="only this tenant (slug or id)")
    parser.add_argument("--no-batches", action="store_true", help="check accounts only")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.support.messaging.audit_settings")
    workspace = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    if workspace:  # under `bazel run`: the embedded SQLite default means the workspace's var/
        os.chdir(workspace)
    import django

    django.setup()
    tenant_id = None
    if args.tenant:
        from apps.core.models import Tenant

        tenant = Tenant.objects.filter(slug=args.tenant).first()
        if tenant is None:
            try:
                tenant = Tenant.objects.filter(pk=args.tenant).first()
            except Exception:
                tenant = None
        if tenant is None:
            print(f"audit: no tenant {args.tenant!r}", file=sys.stderr)
            return 2
        tenant_id = tenant.id
    checked, found = audit(tenant_id=tenant_id, batches=not args.no_batches)
    for discrepancy in found:
        print(discrepancy)
    print(f"audit: {checked} account(s) checked, {len(found)} discrepancy(ies)", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":  # run with -m; `tools/bazel run` goes through bin/audit.py
    sys.exit(main())
