"""The send job reaches a real SQS-speaking server (moto's, over HTTP) in the shape the
messaging worker decodes."""

from apps.api.tests.messaging_fixtures import Caller
from apps.shared.contracts import SendMessagesMessage, decode
from apps.support.messaging.adapters.queue import MessagingSQSQueue
from tools.testing.sqs_server import sqs_server, unique_name  # noqa: F401


def test_an_accepted_batch_is_queued_for_the_messaging_worker(db, client, settings, sqs_server, monkeypatch):  # noqa: F811
    for name, value in sqs_server.env().items():
        monkeypatch.setenv(name, value)
    settings.AWS_ENDPOINT_URL, settings.AWS_REGION = sqs_server.endpoint_url, sqs_server.region
    settings.SQS_QUEUES = {**settings.SQS_QUEUES, "messaging": unique_name("messaging")}
    queue = MessagingSQSQueue(client=sqs_server.client())
    queue.ensure()
    caller = Caller(client, "daechi", credits=100)
    created = caller.send(["010-1234-5678"]).json()
    [received] = queue.receive(max_messages=10, wait_seconds=1)
    message = decode(received["Body"], SendMessagesMessage)
    assert str(message.batch_id) == created["id"] and message.tenant_id == caller.tenant.id
