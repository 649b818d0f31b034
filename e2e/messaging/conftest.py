from e2e.messaging.harness import messaging  # noqa: F401
from tools.testing.fake_solapi import fake_solapi  # noqa: F401
from tools.testing.postgres import postgres_server, postgres_url  # noqa: F401
from tools.testing.sqs_server import sqs_server  # noqa: F401
