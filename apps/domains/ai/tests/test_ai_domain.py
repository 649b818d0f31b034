import itertools

import pytest
from django.core.exceptions import ValidationError

from apps.core.services.api_keys import create_tenant
from apps.domains.ai import selectors, services, status
from apps.domains.ai.status import InvalidTransition, check_transition

ALLOWED = {
    (status.CREATED, status.QUEUED),
    (status.QUEUED, status.PROCESSING),
    (status.PROCESSING, status.SUCCEEDED),
    (status.PROCESSING, status.FAILED),
    (status.QUEUED, status.FAILED),  # its job gave up before it started
    (status.FAILED, status.QUEUED),  # manage dlq redrive
}
ALL = [status.CREATED, status.QUEUED, status.PROCESSING, status.SUCCEEDED, status.FAILED]


@pytest.mark.parametrize("current, new", list(itertools.product(ALL, ALL)))
def test_only_the_documented_transitions_exist(current, new):
    if (current, new) in ALLOWED:
        check_transition(current, new)
    else:
        with pytest.raises(InvalidTransition, match=f"from '{current}' to '{new}'"):
            check_transition(current, new)


@pytest.fixture
def tenant(db):
    return create_tenant(name="Alpha", slug="alpha")


def test_a_job_goes_through_its_life_and_a_stale_copy_cannot_move_it(tenant):
    job = services.create_job(tenant=tenant, job_type="ocr", input_key="k.png")
    stale = selectors.job_for_message(job_id=job.id, tenant_id=tenant.id)
    job = services.start_processing(job=job)  # created -> queued -> processing
    assert job.status == status.PROCESSING
    services.mark_succeeded(job=job, result={"text": "x"})
    with pytest.raises(InvalidTransition, match="from 'succeeded' to 'processing'"):
        services.start_processing(job=stale)  # another process saw it "created"
    assert services.mark_succeeded(job=job, result={}).result == {"text": "x"}  # repeat: no-op
    assert services.mark_queued(job=job).status == status.SUCCEEDED  # the worker was quicker


def test_answer_keys_are_checked(tenant):
    key = services.create_answer_key(tenant=tenant, name="Midterm", answers=[1, 5, 3], choices=5)
    assert key.answers == [1, 5, 3]
    with pytest.raises(ValidationError, match="questions \\[2\\]"):
        services.create_answer_key(tenant=tenant, name="Bad", answers=[1, 6], choices=5)
    with pytest.raises(ValidationError):
        services.create_answer_key(tenant=tenant, name="Empty", answers=[])


def test_similar_questions_rank_by_cosine_within_the_tenant(tenant):
    other = create_tenant(name="Beta", slug="beta")
    q = {name: services.create_question(tenant=tenant, text=name) for name in ("a", "near", "far", "bare")}
    foreign = services.create_question(tenant=other, text="foreign")
    services.store_embeddings(tenant_id=tenant.id, model="m", vectors={
        q["a"].id: [1.0, 0.0, 0.0], q["near"].id: [0.9, 0.1, 0.0], q["far"].id: [0.0, 0.0, 1.0]})
    # Another tenant's id is ignored by store_embeddings; a vector written for it directly
    # still never shows up.
    assert services.store_embeddings(tenant_id=tenant.id, model="m", vectors={foreign.id: [1, 0, 0]}) == 0
    services.store_embeddings(tenant_id=other.id, model="m", vectors={foreign.id: [1.0, 0.0, 0.0]})
    question = selectors.question_get(tenant=tenant, question_id=q["a"].id)
    found = selectors.similar_questions(question=question, k=5)
    assert [(x.text, round(score, 3)) for x, score in found] == [("near", 0.994), ("far", 0.0)]
    assert len(selectors.similar_questions(question=question, k=1)) == 1
    assert selectors.similar_questions(question=q["bare"], k=5) == []
