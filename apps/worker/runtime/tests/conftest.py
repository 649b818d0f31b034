from apps.worker.runtime.tests.harness import rt  # noqa: F401
from tools.testing.postgres import postgres_server, postgres_url  # noqa: F401
from tools.testing.sqs_server import sqs_server  # noqa: F401
