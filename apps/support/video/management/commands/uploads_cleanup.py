"""manage uploads_cleanup --older-than 24h: abort abandoned direct uploads and free their parts.

Run it from cron (or a scheduled task) next to the API. On S3 the bucket's lifecycle rule
AbortIncompleteMultipartUpload does the storage's half by itself (see the README); this
command also closes the uploads' rows, frees parts on the filesystem storage, and aborts
multipart uploads under lectures/ that no open upload owns.
"""

import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from apps.support.video.services import direct_uploads

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_age(text: str) -> timedelta:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text)
    if not match:
        raise CommandError(f"--older-than takes a number and a unit (s, m, h or d), e.g. 24h; not {text!r}")
    return timedelta(**{UNITS[match.group(2)]: float(match.group(1))})


class Command(BaseCommand):
    help = "Aborts direct uploads not completed within --older-than and frees parts no open upload owns."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", default="24h", type=parse_age,
                            help="age of an upload (since it was started) that counts as abandoned; default 24h")

    def handle(self, *args, older_than: timedelta, **options):
        done = direct_uploads.cleanup(older_than=older_than)
        self.stdout.write(f"aborted {done['uploads_aborted']} abandoned uploads; "
                          f"freed {done['orphans_freed']} orphaned part sets (older than {older_than})")
