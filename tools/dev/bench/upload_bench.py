"""A big lecture video uploaded by the one-request path and by direct uploads in parts,
side by side in one run: wall time, and the API's peak memory growth and CPU seconds.

    tools/bazel run //tools/dev/bench:upload_bench -- --size-mib 2048 [--parallel 4] [--part-mib 16]

Scenarios, each against the same API (gunicorn, one sync worker, DJANGO_DEBUG=0) and the
same moto server (S3 and SQS, on 127.0.0.1):

  old path, filesystem     POST /videos/ multipart (streamed from disk by this client)
  old path, S3             the same with MEDIA_STORAGE=s3 (the API writes the object)
  direct, filesystem       tools/dev/upload: parts PUT to the API's part endpoint
  direct, S3               tools/dev/upload: parts PUT to moto with presigned URLs
  boto3 upload_file        the "aws s3 cp" way: boto3's transfer manager straight to moto,
                           same part size and concurrency: what direct uploads compare with

The parts phase (until the last part is stored) is what a client controls. Completion is
moto's: for an upload created without a checksum algorithm (direct uploads sign
Content-MD5 only) moto computes S3's default full-object CRC64NVME in pure Python, about
5 s per GiB on this machine, where boto3's CRC32 uploads skip it; real S3 does not slow
down that way.

The file is a real MP4 padded with random bytes to --size-mib (the API sniffs only its
first bytes; no worker runs). The API's memory is its worker's VmRSS sampled every 20 ms
(growth over its idle size); its CPU is the worker's utime + stime over the upload.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from boto3.s3.transfer import TransferConfig

from tools.dev.upload.upload import upload_file
from tools.testing import media
from tools.testing.local_platform import LocalPlatform
from tools.testing.sqs_server import start_sqs_server, unique_name
from tools.testing.waiting import wait_until

MiB = 1024 * 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def make_file(path: Path, size: int) -> Path:
    clip = media.make_video(path.with_suffix(".clip.mp4"), width=320, height=240, seconds=1)
    with open(path, "wb") as out:
        out.write(clip.read_bytes())
        while out.tell() < size:
            out.write(os.urandom(min(16 * MiB, size - out.tell())))
    return path


class ProcessMeter:
    """Peak RSS growth and CPU seconds of one process while a block runs."""

    def __init__(self, pid: int):
        self.pid = pid

    def _rss(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def _cpu(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def __enter__(self):
        self.base_rss, self.peak, self.cpu0, self._stop = self._rss(), 0, self._cpu(), threading.Event()
        self.started = time.perf_counter()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.started
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())
        self.growth = max(0, self.peak - self.base_rss)
        self.cpu = self._cpu() - self.cpu0


def worker_pid(master_pid: int) -> int:
    """gunicorn's one worker: the master's child, which it forks once it listens."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return int(wait_until(lambda: children.read_text().split(), 30, "gunicorn's worker")[0])


class MultipartFile:
    """The one-request upload's multipart/form-data body, read from disk as it is sent (a
    file-like object with a length, so requests sends a Content-Length, not chunks)."""

    def __init__(self, path: Path, boundary: str):
        self._head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                      f"filename=\"{path.name}\"\r\nContent-Type: video/mp4\r\n\r\n").encode()
        self._tail = f"\r\n--{boundary}--\r\n".encode()
        self._file = open(path, "rb")  # noqa: SIM115 - closed when read to the end
        self._length = len(self._head) + path.stat().st_size + len(self._tail)
        self._pending = self._head

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        size = MiB if size is None or size < 0 else size
        if self._pending:
            chunk, self._pending = self._pending[:size], self._pending[size:]
            return chunk
        if self._file.closed:
            return b""
        chunk = self._file.read(size)
        if chunk:
            return chunk
        self._file.close()
        chunk, self._pending = self._tail[:size], self._tail[size:]
        return chunk


class Api:
    """The API alone (tools/testing/local_platform.py) storing media on `storage`."""

    def __init__(self, workdir: Path, sqs, storage: str, bucket: str):
        self.platform = LocalPlatform(workdir / storage, sqs=sqs, env={
            "MEDIA_STORAGE": storage, "AWS_STORAGE_BUCKET_NAME": bucket,
            "VIDEO_UPLOAD_MAX_BYTES": str(64 * 1024 * MiB)})
        self.platform.create_queue("video", visibility_timeout=60, max_receive_count=5)
        self.platform.migrate()
        self.key = self.platform.api_key(f"bench-{storage}")
        try:
            self.url = self.platform.start_api(timeout=1200)
            self.worker = worker_pid(self.platform.services[-1].process.pid)
        except BaseException:
            self.close()
            raise
        self.http = self.platform.client(self.key)

    def lecture(self) -> str:
        return self.http.call("POST", "/api/v1/lectures/", expect=201, json={"title": "bench"})["id"]

    def close(self):
        self.platform.stop()


def run_old_path(api: Api, path: Path) -> ProcessMeter:
    boundary = uuid.uuid4().hex
    lecture = api.lecture()
    with ProcessMeter(api.worker) as meter:
        answer = api.http.post(f"/api/v1/lectures/{lecture}/videos/", data=MultipartFile(path, boundary),
                               timeout=1200, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert answer.status_code == 201, answer.text[:500]
    return meter


def run_direct(api: Api, path: Path, args, state_dir: Path) -> tuple[ProcessMeter, float]:
    """The uploader's run, and how much of it the parts took (until the last byte was stored)."""
    lecture = api.lecture()
    sent = []

    def progress(done: int, total: int) -> None:
        if done == total and not sent:
            sent.append(time.perf_counter())

    with ProcessMeter(api.worker) as meter:
        video = upload_file(api_url=api.url, key=api.key, lecture_id=lecture, path=path, parallel=args.parallel,
                            part_size=args.part_mib * MiB, state_dir=state_dir, progress=progress)
    assert video["status"] == "queued", video
    return meter, sent[0] - meter.started


def run_boto3(sqs, bucket: str, path: Path, args) -> tuple[float, float]:
    """boto3's transfer manager (what `aws s3 cp` runs), same part size and concurrency:
    its wall time, and how much of it the parts took (until CompleteMultipartUpload)."""
    s3 = sqs.client(service="s3")
    completing = []
    s3.meta.events.register("before-call.s3.CompleteMultipartUpload",
                            lambda **_: completing.append(time.perf_counter()))
    config = TransferConfig(multipart_threshold=args.part_mib * MiB, multipart_chunksize=args.part_mib * MiB,
                            max_concurrency=args.parallel, use_threads=True)
    started = time.perf_counter()
    s3.upload_file(str(path), bucket, "bench/boto3-upload", Config=config)
    wall = time.perf_counter() - started
    s3.delete_object(Bucket=bucket, Key="bench/boto3-upload")
    return wall, completing[0] - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=2048, help="size of the uploaded file (default 2048)")
    parser.add_argument("--parallel", type=int, default=4, help="parts in flight, uploader and boto3 (default 4)")
    parser.add_argument("--part-mib", type=int, default=16, help="part size in MiB (default 16)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="upload-bench-"))
    moto, sqs = start_sqs_server()
    s3 = sqs.client(service="s3")
    bucket = unique_name("bench")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": sqs.region})
    apis: list[Api] = []
    try:
        path = make_file(workdir / "lecture.mp4", args.size_mib * MiB)
        size = path.stat().st_size
        print(f"file: {size / MiB:.0f} MiB; parts of {args.part_mib} MiB, {args.parallel} in flight", flush=True)
        rows = []
        for storage in ("filesystem", "s3"):
            api = Api(workdir, sqs, storage, bucket)
            apis.append(api)
            old = run_old_path(api, path)
            rows.append((f"old path, {storage}", old.wall, None, old.growth, old.cpu))
            direct, parts = run_direct(api, path, args, workdir / "state")
            rows.append((f"direct, {storage}", direct.wall, parts, direct.growth, direct.cpu))
            print(f"  {storage} done", flush=True)
            if storage == "filesystem":
                subprocess.run(["rm", "-rf", str(api.platform.data_dir / "media")], check=False)
        boto3_wall, boto3_parts = run_boto3(sqs, bucket, path, args)
        rows.append(("boto3 upload_file (aws s3 cp)", boto3_wall, boto3_parts, None, None))
        print()
        print("| scenario | wall | MB/s | parts phase | MB/s in parts | API RSS growth | API CPU |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, wall, parts, growth, cpu in rows:
            phase = f"{parts:.1f} s | {size / 1e6 / parts:.0f}" if parts else "- | -"
            meter = f"{growth / MiB:.1f} MiB | {cpu:.2f} s" if growth is not None else "- | -"
            print(f"| {name} | {wall:.1f} s | {size / 1e6 / wall:.0f} | {phase} | {meter} |")
        direct_s3 = next(r for r in rows if r[0] == "direct, s3")
        print(f"\ndirect upload to S3 vs boto3: {boto3_parts / direct_s3[2]:.0%} of its throughput in the parts "
              f"phase, {boto3_wall / direct_s3[1]:.0%} overall")
    finally:
        for api in apis:
            api.close()
        moto.stop()
        if not args.keep:
            subprocess.run(["rm", "-rf", str(workdir)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
