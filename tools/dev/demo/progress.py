"""What the demo shows while it runs: each step with its time, and progress for long ones.

    report = Report(sys.stdout)
    with report.step("Transcode to HLS") as step:
        step.progress(40, "processing")       # a bar on a terminal, a line per 10 % otherwise
        step.note("720p 1280x720")            # a detail under the step
    report.summary()                          # each step's time and outcome

A step that raises is recorded as failed with the exception's message, and the
exception goes on to the caller.
"""

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO

BAR_WIDTH = 30


@dataclass
class StepRecord:
    title: str
    seconds: float = 0.0
    outcome: str = "running"
    reason: str = ""


@dataclass
class Step:
    record: StepRecord
    out: TextIO
    tty: bool
    started: float = field(default_factory=time.monotonic)
    _last_percent: int = -1
    _bar_shown: bool = False

    def progress(self, percent: float, status: str = "") -> None:
        percent = max(0, min(100, int(percent)))
        elapsed = time.monotonic() - self.started
        if self.tty:
            filled = BAR_WIDTH * percent // 100
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.out.write(f"\r    [{bar}] {percent:3d}% {status:<12} {elapsed:5.1f}s")
            self.out.flush()
            self._bar_shown = True
        elif percent // 10 != self._last_percent // 10 or percent == 100 and self._last_percent != 100:
            self.out.write(f"    {percent:3d}% {status} ({elapsed:.1f}s)\n")
            self.out.flush()
        self._last_percent = percent

    def note(self, text: str) -> None:
        self._end_bar()
        for line in text.splitlines():
            self.out.write(f"    {line}\n")
        self.out.flush()

    def _end_bar(self) -> None:
        if self._bar_shown:
            self.out.write("\n")
            self._bar_shown = False


class Report:
    def __init__(self, out: TextIO):
        self.out = out
        self.tty = out.isatty()
        self.steps: list[StepRecord] = []

    @contextmanager
    def step(self, title: str):
        record = StepRecord(title)
        self.steps.append(record)
        self.out.write(f"==> {title}\n")
        self.out.flush()
        step = Step(record, self.out, self.tty)
        try:
            yield step
        except BaseException as exc:
            record.outcome = "interrupted" if isinstance(exc, KeyboardInterrupt) else "FAILED"
            record.reason = str(exc) or type(exc).__name__
            raise
        else:
            record.outcome = "ok"
        finally:
            step._end_bar()
            record.seconds = time.monotonic() - step.started
            self.out.write(f"    {record.outcome} in {record.seconds:.1f}s\n")
            self.out.flush()

    @property
    def failed(self) -> StepRecord | None:
        return next((s for s in self.steps if s.outcome != "ok"), None)

    def summary(self, outputs: dict[str, str]) -> None:
        width = max((len(s.title) for s in self.steps), default=10)
        self.out.write("\nSummary\n")
        for s in self.steps:
            self.out.write(f"  {s.title:<{width}}  {s.seconds:6.1f}s  {s.outcome}\n")
        total = sum(s.seconds for s in self.steps)
        self.out.write(f"  {'total':<{width}}  {total:6.1f}s\n")
        if outputs:
            self.out.write("\nOutputs\n")
            label_width = max(len(k) for k in outputs)
            for label, where in outputs.items():
                self.out.write(f"  {label:<{label_width}}  {where}\n")
        failed = self.failed
        if failed:
            self.out.write(f"\nFailed at \"{failed.title}\": {failed.reason}\n")
        self.out.flush()
