"""The messaging worker: SMS, LMS and KakaoTalk Alimtalk through SOLAPI."""

import sys

from apps.worker.runtime.entrypoint import run


def main(argv: list[str] | None = None) -> int:
    return run("messaging", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
