"""The video worker's job handler: one transcode message -> a published HLS ladder.

    handle(VideoTranscodeMessage, JobContext)

  1. look the video up (within the message's tenant) and move it to "processing"
  2. ffprobe the source: no video stream, no duration, or longer than
     VIDEO_MAX_DURATION_SECONDS -> "failed" with the reason, PermanentJobError
  3. a new content key and IV (content_keys.py), sealed at once with the video's id: a bad
     VIDEO_KEY_ENCRYPTION_KEYS fails here, not after the transcode
  4. one ffmpeg run: every rendition of the ladder, AES-128 encrypted, and the poster;
     progress to the database (an unreadable or corrupt file -> "failed",
     PermanentJobError). The key file exists only during the run (hls_keys.py)
  5. check every playlist is encrypted with that key's IV, store renditions and poster,
     then the master playlist (publish.py)
  6. "ready", with the renditions, the poster, the master playlist's key and the sealed
     content key and IV, in one UPDATE

The content key itself is never stored, logged or sent: only its sealed form reaches the
database. A retried job makes a new key and encrypts and stores every segment again; the
master playlist is written last and the sealed key with "ready", so nothing points at a
ladder whose key the database does not hold.

Transcoding takes minutes, so the handler is @long_running: the runtime does not wrap it
in one transaction, and every step is safe to repeat. A delivery that finds the video
"ready" does nothing; one that finds it "processing" (an earlier worker died or was
stopped) does the work again and overwrites the same keys. Errors other than
PermanentJobError (storage, database, a worker shutting down) make the runtime retry;
when the last delivery fails too, the video is marked "failed" with "gave up after N
attempts: ..." (dead_letters.give_up) and `manage dlq redrive` can send it again.
"""

import logging
import tempfile
from dataclasses import replace
from pathlib import Path

from django.conf import settings
from django.core.files.storage import storages

from apps.core.queues import JobContext, PermanentJobError, gives_up_with, long_running
from apps.domains.lectures import content_keys, keys, selectors, services, status
from apps.domains.lectures.models import LectureVideo
from apps.shared.contracts import VideoTranscodeMessage
from apps.support.video.services import dead_letters, hls_keys
from apps.support.video.services.command import TranscodePlan, ffmpeg_command
from apps.support.video.services.ladder import renditions_for
from apps.support.video.services.probe import SourceRejected, check_source, probe_source
from apps.support.video.services.progress import ProgressReporter
from apps.support.video.services.publish import publish
from apps.support.video.services.source import SourceMissing, local_source
from apps.support.video.services.transcode import TranscodeFailed, run_ffmpeg

log = logging.getLogger(__name__)

TRANSCODE_SHARE = 95  # percent of the progress bar the transcode fills; publishing the rest


@long_running
@gives_up_with(dead_letters.give_up)
def handle(message: VideoTranscodeMessage, context: JobContext) -> None:
    video = selectors.video_for_job(video_id=message.video_id, tenant_id=message.tenant_id)
    if video is None:
        raise PermanentJobError(f"video {message.video_id} of tenant {message.tenant_id} does not exist")
    if video.status == status.READY:
        return
    if video.status == status.FAILED:
        raise PermanentJobError(f"video {video.id} has already failed: {video.failure_reason}")
    video = services.start_processing(video=video)
    storage = storages["default"]
    work_root = settings.VIDEO_WORK_DIR or None
    if work_root:
        Path(work_root).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="academy-video-", dir=work_root) as scratch:
        work = Path(scratch)
        try:
            source = local_source(storage, video.source_key, work)
            info = probe_source(str(source), ffprobe_bin=settings.VIDEO_FFPROBE_BIN)
            check_source(info, max_duration=settings.VIDEO_MAX_DURATION_SECONDS)
        except (SourceMissing, SourceRejected) as exc:
            _fail(video, str(exc))
        services.record_media_info(video=video, duration_seconds=info.duration, width=info.width,
                                   height=info.height)
        plan = TranscodePlan(
            source=source, out_dir=work / "hls", renditions=renditions_for(info.width, info.height),
            has_audio=info.has_audio, duration=info.duration, frame_rate=info.frame_rate,
            segment_seconds=settings.VIDEO_HLS_SEGMENT_SECONDS, preset=settings.VIDEO_X264_PRESET,
            ffmpeg_bin=settings.VIDEO_FFMPEG_BIN,
        )
        for rendition in plan.renditions:
            plan.rendition_dir(rendition).mkdir(parents=True)
        content_key = content_keys.new_content_key()
        sealed = content_keys.seal(content_key.key, video_id=video.id)
        progress = ProgressReporter(video)
        with hls_keys.key_files(work, content_key) as key_info_file:
            plan = replace(plan, key_info_file=key_info_file)
            try:
                run_ffmpeg(ffmpeg_command(plan), duration=info.duration, log_path=work / "ffmpeg.log",
                           on_progress=progress.phase(0, TRANSCODE_SHARE),
                           cancelled=context.cancelled if context is not None else None)
            except TranscodeFailed as exc:
                _fail(video, str(exc))
        published = publish(plan=plan, storage=storage, prefix=keys.hls_prefix(video), key_iv=content_key.iv_hex,
                            on_progress=progress.phase(TRANSCODE_SHARE, 99))
    services.mark_ready(video=video, renditions=published.renditions, hls_master_key=published.master_key,
                        thumbnail_key=published.thumbnail_key, content_key_sealed=sealed,
                        content_key_iv=content_key.iv_hex)
    log.info("video %s ready: %s", video.id, ", ".join(r["name"] for r in published.renditions))


def _fail(video: LectureVideo, reason: str) -> None:
    services.mark_failed(video=video, reason=reason)
    raise PermanentJobError(reason)
