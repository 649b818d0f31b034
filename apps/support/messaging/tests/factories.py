"""Tenants, credits and batches for the messaging tests."""

import itertools

from apps.core.models import Tenant
from apps.support.messaging import credit_services
from apps.support.messaging.models import AlimtalkTemplate
from apps.support.messaging.services.batches import RecipientInput, SendRequest, submit_batch

_numbers = itertools.count(10_000_000)


def tenant(slug: str = "daechi", credits: int = 0) -> Tenant:
    made = Tenant.objects.create(name=slug.title(), slug=slug)
    if credits:
        credit_services.top_up(tenant_id=made.id, amount=credits, actor="test")
    return made


def numbers(count: int) -> list[str]:
    return [f"010-{n // 10000:04d}-{n % 10000:04d}" for n in itertools.islice(_numbers, count)]


def batch(owner: Tenant, recipients=None, *, count: int = 3, type: str = "sms", text: str = "출석했습니다",
          **kwargs):
    recipients = recipients if recipients is not None else numbers(count)
    request = SendRequest(type=type, text=text, recipients=[
        r if isinstance(r, RecipientInput) else RecipientInput(to=r) for r in recipients], **kwargs)
    return submit_batch(tenant=owner, request=request, actor="test").batch


def template(owner: Tenant, template_id: str = "TPL_ATTEND", body: str = "#{name} 학생이 #{time}에 출석했습니다."):
    return AlimtalkTemplate.objects.create(tenant=owner, template_id=template_id, pf_id="PF_ACADEMY", name="attend",
                                           body=body)
