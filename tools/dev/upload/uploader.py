"""One upload, start to end: upload_file resumes the saved upload or starts one, sends what the
storage lacks while the rest of the file is checksummed, and completes it into a video;
abort_saved_upload aborts the saved one instead."""

import mimetypes
import os
import threading
import time

from tools.dev.upload.api import Api, PartUrls, error_detail
from tools.dev.upload.checksum import Checksummer
from tools.dev.upload.errors import UploadError, UploadInterrupted, _Stopped
from tools.dev.upload.parts import (DEFAULT_PART_SIZE, MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, MiB, Part,
                                fit_part_size, part_count, parts_to_send, same_etag, split)
from tools.dev.upload.progress import Log, Meter, Progress
from tools.dev.upload.sending import PartSenders, send_parts
from tools.dev.upload.state import State, forget_state, load_state, save_state, state_file

STATE_SAVE_S = 1.0  # the MD5s checksummed meanwhile are written to the state file this often
BUSY_WAIT_S, BUSY_LIMIT_S = 2, 600  # 409 on complete: another completion is running
REPAIR_ROUNDS = 3  # complete -> 400 "parts missing" -> send them -> complete, at most this often


class _Upload:
    """One run of upload_file: resume or start, send what is missing while the rest is
    checksummed, complete.

    The file is read twice: once here, in order, for the parts' MD5s (this thread), and once
    by the part threads as they send (PartReader). A part is handed to them as soon as its
    MD5 is known, so sending starts after the first part is checksummed, not the whole file.
    The MD5s known so far go into the state file now and then (STATE_SAVE_S) and whenever
    the run ends, so a resumed run reads again only the parts it had not checksummed."""

    def __init__(self, *, api_url: str, key: str, lecture_id: str, path: str, parallel: int, part_size: int,
                 state_dir, retries: int, progress: Progress | None, checksum_progress: Progress | None,
                 log: Log | None):
        self.stop = threading.Event()
        self.lecture = lecture_id.strip().lower()  # the API's ids are lower-case UUIDs
        self.api = Api(api_url, key, self.lecture, retries=retries, stop=self.stop)
        self.path = os.path.abspath(path)
        self.name = os.path.basename(self.path)
        self.parallel, self.part_size, self.retries = parallel, part_size, retries
        self.progress, self.checksum_progress = progress, checksum_progress
        self.log = log or (lambda message: None)
        self.state_file = state_file(state_dir, self.path, self.api.base, self.lecture)
        self.said_waiting = False
        self.state: State | None = None  # the state file's, while it is kept
        self.md5s: list[bytes] = []  # parts 1, 2, ... as far as they are checksummed
        self.saved, self.saved_at = 0, 0.0  # how many of them the state file holds, since when
        self.checksummer: Checksummer | None = None

    def run(self) -> dict:
        try:
            return self._run()
        except _Stopped:
            raise KeyboardInterrupt from None
        finally:
            self.stop.set()  # part threads still running end at their next block
            if self.checksummer:
                self.checksummer.close()
            try:
                self._save_md5s()  # what this run checksummed is not read again
            except OSError:
                pass

    def _run(self) -> dict:
        self._stat()
        state = self._saved_state()
        upload = self._resume(state) if state else None
        if upload is None:
            state, upload = self._start()
        else:
            self._keep(state)
        count = part_count(self.size, state.part_size)
        if upload.get("part_count", count) != count:
            raise UploadError(f"the platform counts {upload.get('part_count')} parts, this tool {count}")
        self.urls = PartUrls(self.api, state.upload_id, upload.get("part_urls") or ())
        self._transfer(upload.get("parts") or [], send=upload["status"] != "completed")
        video = self._complete(state.upload_id, split(self.size, state.part_size, self.md5s))
        self._forget()
        return video

    def _stat(self) -> None:
        try:
            stat = os.stat(self.path)
        except OSError as exc:
            raise UploadError(f"cannot read {self.path}: {exc.strerror}") from None
        if not os.path.isfile(self.path):
            raise UploadError(f"{self.path} is not a regular file")
        if stat.st_size == 0:
            raise UploadError(f"{self.path} is empty")
        self.size, self.mtime_ns = stat.st_size, stat.st_mtime_ns

    def _saved_state(self) -> State | None:
        state = load_state(self.state_file, self.log)
        if state is None:
            return None
        if (state.path, state.api, state.lecture) != (self.path, self.api.base, self.lecture):
            return None
        if (state.size, state.mtime_ns) != (self.size, self.mtime_ns):
            self.log(f"{self.name} changed since the last run: abandoning upload {state.upload_id}, starting over")
            self._abort_quietly(state.upload_id)
            forget_state(self.state_file)
            return None
        return state

    def _resume(self, state: State) -> dict | None:
        upload = self.api.get_upload(state.upload_id)
        if upload is None or upload.get("status") == "aborted":
            why = "is gone" if upload is None else f"was aborted ({upload.get('failure_reason') or 'no reason given'})"
            self.log(f"the saved upload {state.upload_id} {why}: starting a new upload")
            forget_state(self.state_file)
            return None
        if upload.get("part_size") != state.part_size or upload.get("size") != self.size:
            self.log(f"the saved upload {state.upload_id} does not match the state file: starting a new upload")
            self._abort_quietly(state.upload_id)
            forget_state(self.state_file)
            return None
        if upload["status"] == "completed":
            self.log(f"upload {state.upload_id} was completed before")
        else:
            held = len(upload.get("parts") or [])
            self.log(f"resuming upload {state.upload_id}: the storage holds {held} of "
                     f"{upload.get('part_count')} parts")
        return upload

    def _keep(self, state: State) -> None:
        """Takes the MD5s a saved state holds: parts 1.. as far as they were checksummed (all
        of them in a state written by an earlier version); the rest is checksummed here."""
        self.state, self.saved_at = state, time.monotonic()
        try:
            md5s = [bytes.fromhex(h) for h in state.md5s]
        except (TypeError, ValueError):
            md5s = None
        if md5s is None or len(md5s) > part_count(self.size, state.part_size) or any(len(m) != 16 for m in md5s):
            self.log("the state file's checksums are damaged: checksumming again")
            md5s = []
        self.md5s, self.saved = md5s, len(md5s)

    def _start(self) -> tuple[State, dict]:
        """Checksums the first part, starts the upload with its MD5 (the answer carries its
        URL) and writes the state file: from here on a stop is resumed, however far the
        checksumming got."""
        part_size = fit_part_size(self.size, self.part_size)
        if part_size != self.part_size:
            self.log(f"parts of {part_size // MiB} MiB: {self.name} would need more than {MAX_PARTS} parts")
        self.checksummer = Checksummer(self.path, self.size, self.checksum_progress, self.stop)
        first = Part(1, 0, min(part_size, self.size), self.checksummer.md5(0, min(part_size, self.size)))
        content_type = mimetypes.guess_type(self.path)[0] or "application/octet-stream"
        upload = self.api.start_upload({
            "filename": self.name, "size": self.size, "content_type": content_type, "part_size": part_size,
            "parts": [{"part_number": first.number, "content_md5": first.content_md5}]})
        matches = upload["part_size"] == part_size
        self.md5s = [first.md5] if matches else []
        self.state = State(api=self.api.base, lecture=self.lecture, path=self.path, size=self.size,
                           mtime_ns=self.mtime_ns, part_size=upload["part_size"],
                           md5s=[m.hex() for m in self.md5s], upload_id=upload["id"])
        save_state(self.state_file, self.state)
        self.saved, self.saved_at = len(self.md5s), time.monotonic()
        count = upload["part_count"]
        self.log(f"started upload {upload['id']}: {count} part{'s' if count != 1 else ''} of "
                 f"{upload['part_size'] / MiB:.0f} MiB to {upload.get('storage', 'the storage')}")
        if not matches:  # the URL answered was signed for the checksum of another split
            upload["part_urls"] = []
            self.log(f"the platform chose parts of {upload['part_size'] / MiB:.0f} MiB: checksumming again")
            self.checksummer.close()
            self.checksummer = None
        return self.state, upload

    def _transfer(self, stored: list[dict], send: bool = True) -> None:
        """Goes through the parts in order: checksums those whose MD5 is not known yet, and
        hands each the storage does not hold whole (missing, another size, other bytes) to
        the part threads as soon as its MD5 is known; then waits for them. A part the storage
        holds at the right size counts as sent until its MD5 says otherwise. With send False
        (a completed upload) it only completes the MD5s, which the completion names."""
        part_size, known = self.state.part_size, len(self.md5s)
        count = part_count(self.size, part_size)
        held = {p.get("part_number"): p for p in stored}

        def size_of(number: int) -> int:
            return min(part_size, self.size - (number - 1) * part_size)

        def held_whole(number: int) -> bool:
            return number in held and held[number].get("size") == size_of(number)

        if self.checksummer is None and known < count:
            self.checksummer = Checksummer(self.path, self.size, self.checksum_progress, self.stop,
                                           done=known * part_size)
        senders = None
        if send:
            counted = sum(size_of(n) for n in range(1, count + 1)
                          if held_whole(n) and (n > known or same_etag(held[n].get("etag"), self.md5s[n - 1])))
            meter = Meter(self.size, counted, self.progress)
            senders = PartSenders(path=self.path, urls=self.urls, meter=meter, stop=self.stop,
                                  parallel=self.parallel, retries=self.retries)
        try:
            for number in range(1, count + 1):
                offset = (number - 1) * part_size
                if number > len(self.md5s):
                    self.md5s.append(self.checksummer.md5(offset, size_of(number)))
                    self._save_md5s(every=STATE_SAVE_S)
                if senders is None:
                    continue
                part = Part(number, offset, size_of(number), self.md5s[number - 1])
                if held_whole(number):
                    if same_etag(held[number].get("etag"), part.md5):
                        continue
                    if number > known:
                        meter.add(-part.size)  # counted as held while its MD5 was not known
                senders.put(part)
            self._save_md5s()
            if self.checksummer:
                self.checksummer.close()
            if senders:
                senders.wait()
        except _Stopped:
            if senders:
                senders.check()  # a part failed for good: that is why the run stops
            raise

    def _save_md5s(self, every: float | None = None) -> None:
        """Writes the MD5s checksummed since the state file was last written, if any (and,
        with `every`, if it was written longer ago than that)."""
        if self.state is None or len(self.md5s) <= self.saved:
            return
        if every is not None and time.monotonic() - self.saved_at < every:
            return
        self.state.md5s = [m.hex() for m in self.md5s]
        save_state(self.state_file, self.state)
        self.saved, self.saved_at = len(self.md5s), time.monotonic()

    def _forget(self) -> None:
        forget_state(self.state_file)
        self.state = None

    def _send(self, todo: list[Part]) -> None:
        meter = Meter(self.size, self.size - sum(p.size for p in todo), self.progress)
        send_parts(todo, path=self.path, urls=self.urls, meter=meter, stop=self.stop,
                   parallel=self.parallel, retries=self.retries)

    def _complete(self, upload_id: str, parts: list[Part]) -> dict:
        """Completes the upload into a video. An upload already completed answers its video
        again (and queues its transcode if an earlier completion could not)."""
        busy_until, repairs = time.monotonic() + BUSY_LIMIT_S, 0
        while True:
            response = self.api.complete(upload_id, parts)
            status = response.status_code
            if status in (200, 201):
                return response.json()["video"]
            detail = error_detail(response)
            if status == 409:
                self._wait_for_other_completion(upload_id, busy_until)
            elif status == 400 and repairs < REPAIR_ROUNDS:
                repairs += 1
                self._repair(upload_id, parts, detail)
            elif status == 404:
                raise UploadInterrupted(f"the platform no longer has upload {upload_id}: {detail}",
                                        hint="run the same command again to start a new upload")
            elif status == 415:
                self._forget()  # the platform aborted the upload and freed its parts
                raise UploadError(f"{self.name} is not a video the platform takes: {detail}")
            elif status == 503:
                raise UploadInterrupted(f"the platform could not finish: {detail}",
                                        hint="run the same command again later to finish it")
            else:
                raise self.api.refused(response, "complete the upload")

    def _wait_for_other_completion(self, upload_id: str, busy_until: float) -> None:
        upload = self.api.get_upload(upload_id)
        if upload is None or upload.get("status") == "aborted":
            raise UploadInterrupted(f"the platform aborted the upload "
                                    f"({(upload or {}).get('failure_reason') or 'it is gone'})",
                                    hint="run the same command again to start a new upload")
        if upload.get("status") == "completed":
            return  # the next complete answers its video
        if time.monotonic() > busy_until:
            raise UploadInterrupted("another completion of this upload is still running",
                                    hint="run the same command again later")
        if not self.said_waiting:
            self.log("another request is completing this upload: waiting for it")
            self.said_waiting = True
        if self.stop.wait(BUSY_WAIT_S):
            raise _Stopped()

    def _repair(self, upload_id: str, parts: list[Part], detail: str) -> None:
        """complete answered 400: send again what the storage lacks, if it lacks anything."""
        upload = self.api.get_upload(upload_id)
        if upload is None or upload.get("status") == "aborted":
            self._forget()
            raise UploadError(f"the platform refused the upload: {detail}")
        missing = parts_to_send(parts, upload.get("parts") or [])
        if not missing:
            raise UploadError(f"the platform refused to complete the upload: {detail}")
        self.log(f"the platform did not complete the upload ({detail}): "
                 f"sending parts {', '.join(str(p.number) for p in missing)} again")
        self._send(missing)

    def _abort_quietly(self, upload_id: str) -> None:
        """Frees an abandoned upload's parts (and its place among the academy's uploads in
        progress); the platform's cleanup does it later where this fails."""
        try:
            self.api.abort(upload_id)
        except UploadError:
            pass


def upload_file(*, api_url: str, key: str, lecture_id: str, path: str, parallel: int = 4,
                part_size: int = DEFAULT_PART_SIZE, state_dir: str | os.PathLike | None = None,
                retries: int = 8, progress: Progress | None = None, checksum_progress: Progress | None = None,
                log: Log | None = None) -> dict:
    """Uploads `path` as a video of lecture `lecture_id` and returns the API's video
    ({"id", "status", ...}), resuming the upload a state file in `state_dir` remembers.

    progress(done, total) follows the bytes stored, checksum_progress(done, total) the
    checksumming pass (which runs alongside: parts are sent as they are checksummed; the
    two are called from different threads), log(message) says what happens (resumes,
    restarts). Raises
    UploadInterrupted where running again resumes, UploadError where it cannot go on, and
    KeyboardInterrupt as it came, the state kept in both first cases."""
    if not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE:
        raise ValueError(f"part_size must be between {MIN_PART_SIZE} and {MAX_PART_SIZE} bytes")
    return _Upload(api_url=api_url, key=key, lecture_id=lecture_id, path=path, parallel=parallel,
                   part_size=part_size, state_dir=state_dir, retries=retries, progress=progress,
                   checksum_progress=checksum_progress, log=log).run()


def abort_saved_upload(*, api_url: str, key: str, lecture_id: str, path: str,
                       state_dir: str | os.PathLike | None = None, log: Log | None = None) -> bool:
    """Aborts the upload the state file remembers for `path` and forgets it; False when
    there was none."""
    log = log or (lambda message: None)
    lecture = lecture_id.strip().lower()
    api = Api(api_url, key, lecture, retries=3, stop=threading.Event())
    file = state_file(state_dir, os.path.abspath(path), api.base, lecture)
    state = load_state(file, log)
    if state is None:
        return False
    response = api.abort(state.upload_id)
    if response.status_code == 409:
        raise UploadError(f"upload {state.upload_id} cannot be aborted: {error_detail(response)}")
    if response.status_code not in (204, 404):
        raise api.refused(response, "abort the upload")
    forget_state(file)
    log(f"aborted upload {state.upload_id}" if response.status_code == 204
        else f"upload {state.upload_id} was already gone")
    return True
