"""A transcode job that fails on every delivery: the worker gives up on the last one, the
API shows the video failed with why, `manage dlq` lists the message, and a redrive (once
the cause is fixed) brings the video to ready. Every piece its own process."""

import json

from tools.testing import media
from tools.testing.local_platform import VIDEO_WORKER
from tools.testing.waiting import wait_until


def test_a_poisoned_video_job_shows_failed_and_comes_back_with_a_redrive(make_stack, tmp_path):
    # The worker's ffmpeg is missing: every delivery raises FileNotFoundError, a retryable error.
    stack = make_stack(max_receive_count=2, VIDEO_FFMPEG_BIN=str(tmp_path / "no-ffmpeg"),
                       SQS_RETRY_BACKOFF_BASE_SECONDS="1", SQS_RETRY_BACKOFF_MAX_SECONDS="1")
    key = stack.api_key("daechi")
    stack.start_api()
    http = stack.client(key)
    video_url = http.upload_video(media.make_video(tmp_path / "수업.mov", width=640, height=360, seconds=2),
                                  title="미적분")
    video_id = video_url.rstrip("/").rsplit("/", 1)[1]

    broken = stack.start_worker(VIDEO_WORKER, name="broken-worker")
    wait_until(lambda: http.get(video_url).json()["status"] == "failed", 60, what="the video to fail")
    wait_until(lambda: stack.visible_messages("video", dlq=True) == 1, 30, what="the message to reach the DLQ")
    broken.terminate()
    broken.wait(20)
    failed = http.get(video_url).json()
    assert failed["failure_reason"].startswith("gave up after 2 attempts: "), failed
    assert "FileNotFoundError" in failed["failure_reason"]

    [listed] = json.loads(stack.manage("dlq", "list", "--queue", "video", "--json"))
    assert (listed["state"], listed["kind"]) == ("failed", "video.transcode")
    assert video_id in listed["job"] and listed["reason"].startswith("gave up after 2 attempts")
    shown = stack.manage("dlq", "show", listed["job_id"])
    assert listed["message_id"] in shown
    assert stack.visible_messages("video", dlq=True) == 1, "listing or showing must not take the message away"

    # Fixed: a worker with ffmpeg, then the redrive.
    stack.env["VIDEO_FFMPEG_BIN"] = "ffmpeg"
    stack.start_worker(VIDEO_WORKER, name="fixed-worker")
    out = stack.manage("dlq", "redrive", "--queue", "video", "--job", listed["job_id"])
    assert "1 message(s) redriven, 0 skipped" in out, out
    wait_until(lambda: http.get(video_url).json()["status"] == "ready", 90, what="the redriven video to be ready")
    ready = http.get(video_url).json()
    assert ready["failure_reason"] == "" and ready["progress_percent"] == 100
    assert stack.visible_messages("video", dlq=True) == 0
    assert "0 message(s) redriven" in stack.manage("dlq", "redrive")
