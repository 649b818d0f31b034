"""The demo's scenario, through the public HTTP API only: what an academy does with the
platform in its first hour.

    1. the operator creates an academy and its API key
    2. the academy uploads a 20-second lecture video (a direct upload in parts, with the
       resumable uploader) and waits for its HLS renditions, encrypted
    3. it starts a playback session for a student; headless chromium plays the lecture on
       the player page (watermark, heartbeats), the academy reads the student's progress,
       ends the session and the stream's URLs stop working
    4. it grades a phone photo of an answer sheet (OMR) and reads a printed page (OCR)
    5. the operator tops up its credits; it sends an attendance notice to three parents,
       then looks at its balance and ledger

Inputs are generated on the spot (ffmpeg's test pattern, a rendered page, a filled and
photographed answer sheet) into `workdir`.
"""

import time
import uuid
from collections.abc import Callable
from pathlib import Path

from apps.support.ai.services.omr_layout import load_spec
from tools.dev.demo.progress import Report, Step
from tools.dev.upload.upload import UploadError, upload_file
from tools.testing import media
from tools.testing.api_client import ApiClient, ApiError
from tools.testing.chromium import ChromiumUnavailable, headless_chromium
from tools.testing.documents import photos, text_images
from tools.testing.player_page import PlayerPage

POLL_SECONDS = 0.5
UPLOAD_PART_BYTES = 5 * 2**20  # S3's smallest: even the demo's short video comes in parts
VIDEO_TIMEOUT_SECONDS = 600
JOB_TIMEOUT_SECONDS = 300
ANSWERS = [3, 1, 4, 1, 5, 2, 2, 3, 5, 4, 1, 2, 3, 4, 5, 1, 2, 3, 4, 5]
WRONG_ON_PURPOSE = {4: 2, 11: 5}  # question -> the choice marked instead of the right one
PARENTS = ["010-2345-6789", "010 3456 7890", "+82 10-4567-8901"]
PLAY_SECONDS = 6
STUDENT = {"viewer": "2026-0117", "viewer_label": "김민준"}


class Scenario:
    def __init__(self, *, api_url: str, operator_key: str, report: Report, workdir: Path,
                 video_seconds: float, check_alive: Callable[[], None]):
        self.api_url = api_url
        self.operator = ApiClient(api_url, operator_key)
        self.report = report
        self.workdir = workdir
        self.video_seconds = video_seconds
        self.check_alive = check_alive
        self.academy: ApiClient | None = None
        self.results: dict[str, str] = {}

    def run(self) -> None:
        self.create_academy()
        video_url = self.upload_video()
        self.wait_for_hls(video_url)
        self.play_lecture(video_url)
        self.grade_answer_sheet()
        self.read_page()
        self.top_up()
        self.send_attendance_notice()
        self.show_credits()

    def create_academy(self) -> None:
        with self.report.step("Create an academy and its API key") as step:
            slug = f"daechi-math-{uuid.uuid4().hex[:6]}"
            tenant = self.operator.call("POST", "/api/v1/tenants/", expect=201,
                                        json={"name": "Daechi Math Academy", "slug": slug})
            self.academy = ApiClient(self.api_url, tenant["api_key"]["key"])
            me = self.academy.call("GET", "/api/v1/tenant/")
            step.note(f"tenant {me['slug']} ({me['id']}), key {tenant['api_key']['prefix']}... (shown once)")
            self.results["academy"] = me["slug"]

    def upload_video(self) -> str:
        with self.report.step(f"Upload a {self.video_seconds:g}-second lecture video") as step:
            source = media.make_video(self.workdir / "lecture.mp4", width=1280, height=720,
                                      seconds=self.video_seconds, rate=25)
            lecture = self.academy.call("POST", "/api/v1/lectures/", expect=201,
                                        json={"title": "Limits and continuity"})
            # As a teacher's big file goes: a direct upload in parts, resumable (tools/dev/upload).
            try:
                video = upload_file(api_url=self.api_url, key=self.academy.key, lecture_id=lecture["id"],
                                    path=source, part_size=UPLOAD_PART_BYTES, state_dir=self.workdir / "upload-state",
                                    progress=lambda done, total: step.progress(100 * done / total, "uploading"))
            except UploadError as exc:
                raise ApiError(f"the upload failed: {exc}") from None
            step.note(f"{source.stat().st_size / 1e6:.1f} MB {video['container']} in parts of "
                      f"{UPLOAD_PART_BYTES // 2**20} MiB, lecture {lecture['id']}, video {video['status']}")
            return f"/api/v1/lectures/{lecture['id']}/videos/{video['id']}/"

    def wait_for_hls(self, video_url: str) -> None:
        with self.report.step("Transcode to HLS (video worker, ffmpeg)") as step:
            video = self._poll(video_url, lambda v: v["status"] in ("ready", "failed"), VIDEO_TIMEOUT_SECONDS,
                               lambda v: step.progress(v["progress_percent"], v["status"]))
            if video["status"] != "ready":
                raise ApiError(f"the video failed: {video['failure_reason']}")
            ladder = ", ".join(f"{r['name']} {r['width']}x{r['height']} {r['bandwidth'] // 1000} kb/s"
                               for r in video["renditions"])
            step.note(f"{video['duration_seconds']:.1f} s; renditions: {ladder}")
            step.note("encrypted (AES-128): it plays through playback sessions only" if video["protected"]
                      else "not encrypted")
            self.results["thumbnail"] = video["thumbnail_url"] or ""

    def play_lecture(self, video_url: str) -> None:
        with self.report.step("Play the lecture for a student (player page, headless chromium)") as step:
            session = self.academy.call("POST", video_url + "playback-sessions/", expect=201, json=STUDENT)
            step.note(f"session {session['id']} for {STUDENT['viewer_label']} ({STUDENT['viewer']}), "
                      f"expires {session['expires_at']}")
            step.note(f"player {session['player_url']}")
            screenshot = self.workdir.parent / "player.png"
            try:
                with headless_chromium(self.workdir.parent / "chromium") as browser:
                    page = PlayerPage(browser)
                    page.open(session["player_url"])
                    page.play_past(PLAY_SECONDS, timeout=90)
                    step.progress(60, "playing")
                    step.note(f"played past {PLAY_SECONDS} s; watermark \"{page.watermark()}\"")
                    screenshot.write_bytes(page.screenshot())
                    browser.execute("window.academyPlayer.video.pause();")
                    page.wait_for_heartbeats(page.state()["sent"] + 1)
            except ChromiumUnavailable as exc:
                raise ApiError(str(exc)) from None
            except AssertionError as exc:  # the page did not play
                raise ApiError(f"the player did not play: {exc}") from None
            self.results["player screenshot"] = str(screenshot)
            for row in self.academy.call("GET", video_url + "progress/")["results"]:
                step.note(f"progress of {row['viewer_label']}: {row['covered_seconds']:.1f} of "
                          f"{row['duration_seconds']:.1f} s watched ({row['percent']} %), resumes at "
                          f"{row['position_seconds']:.1f} s")
            self.academy.call("DELETE", f"/api/v1/playback-sessions/{session['id']}/", expect=204)
            copied = self.academy.request("GET", session["master_playlist_url"]).status_code
            step.note(f"session ended; its master playlist URL now answers {copied}")

    def grade_answer_sheet(self) -> None:
        with self.report.step("Grade a phone photo of an answer sheet (AI worker, OMR)") as step:
            key = self.academy.call("POST", "/api/v1/ai/answer-keys/", expect=201,
                                    json={"name": "Weekly quiz 3", "choices": 5, "answers": ANSWERS})
            marks = {q: [WRONG_ON_PURPOSE.get(q, right)] for q, right in enumerate(ANSWERS, 1)}
            # On a desk, in perspective, a shadow across it, a little blurred, JPEG 70.
            photo = photos.sheet_photo(load_spec(), questions=len(ANSWERS), marks=marks, strength="phone", seed=3)
            path = self.workdir / "answer-sheet.jpg"
            path.write_bytes(photo.data)
            job = self._submit_file_job(step, path, "omr_grade", {"answer_key": key["id"]})
            result = job["result"]
            wrong = [q["number"] for q in result["questions"] if not q["is_correct"]]
            step.note(f"score {result['score']}/{result['total']} ({result['percent']} %); "
                      f"wrong: questions {', '.join(map(str, wrong)) or 'none'} "
                      f"(marked wrong on purpose: {', '.join(map(str, WRONG_ON_PURPOSE))})")
            self.results["answer sheet"] = str(path)

    def read_page(self) -> None:
        with self.report.step("Read a printed page (AI worker, OCR)") as step:
            page = text_images.render_lines(text_images.KOREAN_LINES[:2] + text_images.ENGLISH_LINES[:2],
                                            korean=True)
            path = self.workdir / "page.png"
            path.write_bytes(text_images.png_bytes(text_images.scanned(page, degrees=1.5, noise=4)))
            job = self._submit_file_job(step, path, "ocr", {})
            for line in job["result"]["lines"]:
                step.note(f"{line['confidence']:5.1f}  {line['text']}")
            self.results["page"] = str(path)

    def top_up(self) -> None:
        with self.report.step("Top up the academy's credits (operator)") as step:
            row = self.operator.call("POST", "/api/v1/credits/top-ups/", expect=201, json={
                "tenant": self.results["academy"], "amount": 1000, "memo": "first purchase"})
            step.note(f"balance {row['balance']} credits")

    def send_attendance_notice(self) -> None:
        with self.report.step("Send an attendance notice to three parents (messaging worker)") as step:
            batch = self.academy.call("POST", "/api/v1/messages/", expect=201,
                                      headers={"Idempotency-Key": f"attendance-{uuid.uuid4()}"},
                                      json={"type": "sms", "text": "[Daechi Math] 민준 학생이 19:02에 등원했습니다.",
                                            "recipients": PARENTS})
            step.note(f"batch {batch['id']}: {batch['recipient_count']} recipients, {batch['cost']} credits held")
            batch = self._poll(f"/api/v1/messages/{batch['id']}/", lambda b: b["status"] in ("done", "cancelled"),
                               JOB_TIMEOUT_SECONDS, lambda b: step.progress(100 if b["status"] == "done" else 50,
                                                                           b["status"]))
            for recipient in batch["recipients"]["results"]:
                step.note(f"{recipient['to']}: {recipient['status']} ({recipient['charge']})")
            if batch["counts"].get("sent", 0) + batch["counts"].get("delivered", 0) != len(PARENTS):
                raise ApiError(f"not every message was sent: {batch['counts']}")

    def show_credits(self) -> None:
        with self.report.step("Balance and ledger") as step:
            credits = self.academy.call("GET", "/api/v1/credits/")
            step.note(f"balance {credits['balance']}, held {credits['held']}")
            for row in reversed(credits["transactions"]["results"]):
                step.note(f"{row['kind']:<10} {row['amount']:>6}  balance {row['balance_after']:>5}  "
                          f"held {row['held_after']:>3}  {row['memo']}")

    def _submit_file_job(self, step: Step, path: Path, job_type: str, fields: dict) -> dict:
        with open(path, "rb") as handle:
            job = self.academy.call("POST", "/api/v1/ai/jobs/", expect=201, data={"type": job_type, **fields},
                                    files={"file": (path.name, handle)})
        job = self._poll(f"/api/v1/ai/jobs/{job['id']}/", lambda j: j["status"] in ("succeeded", "failed"),
                         JOB_TIMEOUT_SECONDS, lambda j: step.progress(100 if j["status"] == "succeeded" else 50,
                                                                     j["status"]))
        if job["status"] != "succeeded":
            raise ApiError(f"the {job_type} job failed: {job['failure_reason']}")
        return job

    def _poll(self, path: str, done: Callable[[dict], bool], timeout: float, show: Callable[[dict], None]) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            body = self.academy.call("GET", path)
            show(body)
            if done(body):
                return body
            self.check_alive()
            if time.monotonic() > deadline:
                raise ApiError(f"gave up after {timeout:.0f} s waiting on {path}: {body.get('status')}")
            time.sleep(POLL_SECONDS)
