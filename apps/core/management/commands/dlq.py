"""manage dlq: see, redrive and purge dead-lettered jobs without the AWS console.

    manage dlq list [--queue Q] [--json]
    manage dlq show ID [--json]                 ID: a job id or an SQS message id
    manage dlq redrive [--queue Q] [--job ID] [--dry-run]
    manage dlq purge [--queue Q] [--job ID] [--dry-run]

Q is a queue's settings key (video, ai-cpu, ai-gpu, messaging) or its name; without it
every queue's DLQ is read. See apps/core/queues/dead_letters.py for what each does.
"""

from botocore.exceptions import BotoCoreError, ClientError
from django.core.management.base import BaseCommand, CommandError

from apps.core.queues import QueueMissing, dead_letters
from apps.core.queues.dead_letters import DeadLetterBox, JobState


class Command(BaseCommand):
    help = "List, show, redrive or purge the messages in the platform's dead-letter queues."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list,show,redrive,purge}")
        listing = actions.add_parser("list", help="every message in the DLQs and its job's state")
        showing = actions.add_parser("show", help="one message: its job, its reason and its body")
        showing.add_argument("id", help="a job id or an SQS message id")
        redrive = actions.add_parser("redrive", help="re-open the jobs and send their messages back to their queue")
        purge = actions.add_parser("purge", help="delete messages that name no job that could still run "
                                                 "(poison bodies, unknown or finished jobs)")
        for sub in (listing, showing, redrive, purge):
            sub.add_argument("--queue", help="a queue's settings key (video, ai-cpu, ai-gpu, messaging) or name")
        for sub in (listing, showing):
            sub.add_argument("--json", action="store_true", help="print JSON instead of one line per message")
        for sub in (redrive, purge):
            sub.add_argument("--job", help="only the message of this job id (or SQS message id)")
            sub.add_argument("--dry-run", action="store_true", help="say what would be done, change nothing")

    def handle(self, *args, action, queue=None, **options):
        try:
            selected = dead_letters.queues(queue)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if action == "list":
            return self._list(selected, as_json=options["json"])
        if action == "show":
            return self._show(selected, options["id"], as_json=options["json"])
        return self._change(selected, action, job=options["job"], dry_run=options["dry_run"])

    def _boxes(self, selected, *, quiet: bool = False):
        """Each selected queue's DLQ, received; a queue that does not exist is said and skipped."""
        for queue in selected:
            try:
                box = DeadLetterBox(queue)
            except QueueMissing:
                if not quiet:
                    self.stderr.write(f"{queue.dlq_name}: does not exist here (skipped)")
                continue
            except (BotoCoreError, ClientError) as exc:
                raise CommandError(f"SQS cannot be used for {queue.dlq_name}: {exc}") from None
            with box:
                yield queue, box

    def _list(self, selected, *, as_json: bool) -> None:
        letters = []
        for queue, box in self._boxes(selected, quiet=as_json):
            letters += box.letters
            if as_json:
                continue
            self.stdout.write(f"{queue.dlq_name}: {len(box.letters)} message(s)")
            for letter in box.letters:
                self.stdout.write(f"  {_line(letter)}")
        if as_json:
            self.stdout.write(dead_letters.to_json(letters))

    def _show(self, selected, wanted: str, *, as_json: bool) -> None:
        for _queue, box in self._boxes(selected, quiet=as_json):
            for letter in box.letters:
                if dead_letters.matches(letter, wanted):
                    if as_json:
                        self.stdout.write(dead_letters.to_json([letter]))
                        return
                    for key, value in letter.as_dict().items():
                        self.stdout.write(f"{key:>14}: {value}")
                    return
        raise CommandError(f"no message of job or message id {wanted!r} in {_names(selected)}")

    def _change(self, selected, action: str, *, job: str | None, dry_run: bool) -> None:
        done = skipped = 0
        verb = "redriven" if action == "redrive" else "purged"
        for queue, box in self._boxes(selected):
            for letter in box.letters:
                if not dead_letters.matches(letter, job):
                    continue
                can = letter.redrivable if action == "redrive" else not letter.redrivable
                if not can:
                    skipped += 1
                    why = ("its job can still run: redrive it" if action == "purge"
                           else "poison: fix the sender, then purge it" if letter.message is None
                           else f"its job is {letter.record.state.value}")
                    self.stdout.write(f"skipped {letter.message_id} ({why}): {letter.record.summary}")
                    continue
                if not dry_run:
                    (box.redrive if action == "redrive" else box.purge)(letter)
                done += 1
                self.stdout.write(f"{'would be ' if dry_run else ''}{verb} {letter.message_id} "
                                  f"(job {letter.job_id or '-'}) -> "
                                  f"{queue.name if action == 'redrive' else 'deleted'}")
        if job is not None and done + skipped == 0:
            raise CommandError(f"no message of job or message id {job!r} in {_names(selected)}")
        self.stdout.write(f"{done} message(s) {'would be ' if dry_run else ''}{verb}, {skipped} skipped")


def _line(letter) -> str:
    state = letter.record.state.value if letter.message is not None else "poison"
    job = f"job {letter.job_id} ({letter.message.kind.value})" if letter.message is not None else "no job"
    reason = f" - {letter.reason}" if letter.reason and letter.record.state != JobState.FAILED else ""
    return f"{letter.message_id}  {job}  [{state}] {letter.record.summary}{reason}"


def _names(selected) -> str:
    return ", ".join(queue.dlq_name for queue in selected)
