"""The messaging worker: SMS, LMS and KakaoTalk Alimtalk through SOLAPI."""

import sys

from apps.support.messaging.adapters.queue import MessagingSQSQueue
from apps.worker.runtime.entrypoint import lazy, run


def load_handler():
    """The job handler, imported once Django is set up (it imports models)."""
    from apps.support.messaging.services import jobs

    return jobs.handle


def check_backend() -> str | None:
    """None when settings.MESSAGING_BACKEND can be built (the solapi backend needs its SDK
    and SOLAPI_API_KEY / SOLAPI_API_SECRET), else the reason."""
    from apps.support.messaging.backends import get_backend

    try:
        get_backend()
    except Exception as exc:  # ImproperlyConfigured, a missing SDK, a wrong dotted path
        return f"messaging backend cannot be used: {exc}"
    return None


def main(argv: list[str] | None = None) -> int:
    return run("messaging", __doc__, argv, queue=MessagingSQSQueue, handler=lazy(load_handler),
               checks=[check_backend])


if __name__ == "__main__":
    sys.exit(main())
