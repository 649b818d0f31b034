"""Writing a job's progress to the database as it goes, without a write per ffmpeg line.

    report = ProgressReporter(video)
    report.phase(0, 95)(fraction)      # the transcode fills 0..95 %
    report.phase(95, 99)(fraction)     # publishing 95..99 %; "ready" sets 100

A write happens when the whole percent rises and at least `interval` seconds have
passed since the last one (the first rise is written at once).
"""

import time
from collections.abc import Callable

from apps.domains.lectures import services
from apps.domains.lectures.models import LectureVideo


class ProgressReporter:
    def __init__(self, video: LectureVideo, *, interval: float = 1.0, clock=time.monotonic):
        self.video = video
        self.interval = interval
        self.clock = clock
        self.written = video.progress_percent
        self.last_write = None

    def phase(self, start: int, end: int) -> Callable[[float], None]:
        def report(fraction: float) -> None:
            self.update(start + (end - start) * max(0.0, min(1.0, fraction)))
        return report

    def update(self, percent: float) -> None:
        whole = int(percent)
        now = self.clock()
        if whole <= self.written:
            return
        if self.last_write is not None and now - self.last_write < self.interval:
            return
        services.record_progress(video=self.video, percent=whole)
        self.written = whole
        self.last_write = now
