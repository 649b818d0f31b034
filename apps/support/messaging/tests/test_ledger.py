"""The credit ledger: every change is a ledger row, the balance never goes below zero, and
the audit finds any account whose balance is not the sum of its ledger."""

import pytest
from django.db import connection, transaction

from apps.support.messaging import audit, credit_services
from apps.support.messaging.credit_services import InsufficientCredits, LedgerError
from apps.support.messaging.models import CreditAccount, CreditTransaction
from apps.support.messaging.tests import factories

pytestmark = pytest.mark.django_db


def _sums(tenant):
    rows = CreditTransaction.objects.filter(account_id=tenant.id)
    return sum(r.amount for r in rows), sum(r.held_delta for r in rows)


def test_a_hold_capture_release_and_refund_keep_balance_equal_to_the_ledger():
    tenant = factories.tenant(credits=1000)
    credit_services.hold(tenant_id=tenant.id, amount=300, quantity=15, batch=None, actor="t")
    credit_services.capture(tenant_id=tenant.id, amount=200, quantity=10, batch=None)
    credit_services.release(tenant_id=tenant.id, amount=100, quantity=5, batch=None)
    credit_services.refund(tenant_id=tenant.id, amount=20, quantity=1, batch=None)
    account = CreditAccount.objects.get(tenant=tenant)
    assert (account.balance, account.held) == (1000 - 300 + 100 + 20, 0)
    assert _sums(tenant) == (account.balance, account.held)
    kinds = list(CreditTransaction.objects.filter(account_id=tenant.id).order_by("id").values_list("kind", flat=True))
    assert kinds == ["top_up", "hold", "capture", "release", "refund"]
    last = CreditTransaction.objects.filter(account_id=tenant.id).order_by("-id").first()
    assert (last.balance_after, last.held_after) == (account.balance, account.held)


def test_a_hold_larger_than_the_balance_changes_nothing():
    tenant = factories.tenant(credits=100)
    with pytest.raises(InsufficientCredits) as caught:
        with transaction.atomic():
            credit_services.hold(tenant_id=tenant.id, amount=101, quantity=1, batch=None, actor="t")
    assert (caught.value.balance, caught.value.cost) == (100, 101)
    assert CreditAccount.objects.get(tenant=tenant).balance == 100
    assert CreditTransaction.objects.filter(account_id=tenant.id).count() == 1


def test_a_tenant_without_an_account_has_nothing_to_hold():
    tenant = factories.tenant()
    with pytest.raises(InsufficientCredits) as caught:
        credit_services.hold(tenant_id=tenant.id, amount=1, quantity=1, batch=None, actor="t")
    assert caught.value.balance == 0


def test_capturing_more_than_is_held_is_a_ledger_error():
    tenant = factories.tenant(credits=100)
    credit_services.hold(tenant_id=tenant.id, amount=10, quantity=1, batch=None, actor="t")
    with pytest.raises(LedgerError):
        credit_services.capture(tenant_id=tenant.id, amount=11, quantity=1, batch=None)


def test_adjustments_need_a_memo_and_never_go_below_zero():
    tenant = factories.tenant(credits=50)
    with pytest.raises(ValueError):
        credit_services.adjust(tenant_id=tenant.id, amount=-10, actor="staff", memo="")
    with pytest.raises(InsufficientCredits):
        credit_services.adjust(tenant_id=tenant.id, amount=-51, actor="staff", memo="chargeback")
    credit_services.adjust(tenant_id=tenant.id, amount=-50, actor="staff", memo="chargeback")
    assert CreditAccount.objects.get(tenant=tenant).balance == 0


def test_top_ups_are_positive():
    tenant = factories.tenant()
    with pytest.raises(ValueError):
        credit_services.top_up(tenant_id=tenant.id, amount=0, actor="staff")


def test_the_ledger_is_append_only():
    tenant = factories.tenant(credits=10)
    row = CreditTransaction.objects.get(account_id=tenant.id)
    row.amount = 1_000_000
    with pytest.raises(TypeError):
        row.save()
    with pytest.raises(TypeError):
        row.delete()
    with pytest.raises(TypeError):
        CreditTransaction.objects.filter(pk=row.pk).update(amount=1)
    with pytest.raises(TypeError):
        CreditTransaction.objects.all().delete()


def test_the_balance_cannot_be_negative_even_written_directly():
    from django.db import IntegrityError

    tenant = factories.tenant(credits=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditAccount.objects.filter(tenant=tenant).update(balance=-1)


def test_the_audit_finds_an_account_that_does_not_match_its_ledger(capsys):
    good = factories.tenant("good", credits=100)
    bad = factories.tenant("bad", credits=100)
    factories.batch(good, count=2)
    assert audit.audit() == (2, [])
    with connection.cursor() as cursor:  # what a bug or a hand-edit would do
        cursor.execute("UPDATE messaging_creditaccount SET balance = balance + 5 WHERE tenant_id = %s",
                       [bad.id.hex])
    checked, found = audit.audit()
    assert checked == 2 and len(found) == 1
    assert "bad" in str(found[0]) and "balance 105 but ledger sums to 100" in str(found[0])


def test_the_audit_finds_a_batch_whose_recipients_disagree_with_its_money():
    tenant = factories.tenant(credits=100)
    batch = factories.batch(tenant, count=2)
    batch.recipients.filter(position=0).update(charge="captured")
    _, found = audit.audit()
    assert [d.kind for d in found] == ["batch"] and "held 40 (recipients say 20)" in found[0].detail
