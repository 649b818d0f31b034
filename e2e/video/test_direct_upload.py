"""Direct uploads end to end, every piece a real process: the API under gunicorn, parts PUT
over HTTP to moto's S3 (presigned URLs) or to the API's part endpoint (the filesystem
default), the uploader CLI through a connection that drops, and the real video worker
turning the result into HLS."""

import base64
import hashlib
import subprocess
import sys
import time
import urllib.parse
from http.client import HTTPConnection

import requests

from tools.testing import media
from tools.testing.local_platform import VIDEO_WORKER
from tools.testing.tcp_proxy import FlakyProxy

MiB = 1024 * 1024
PART = 5 * MiB


def big_video(tmp_path):
    """A real 2-second clip of about 13 MB: three 5 MiB parts."""
    path = media.make_video(tmp_path / "lecture.mp4", width=640, height=360, seconds=2, grain=60)
    assert 2 * PART < path.stat().st_size <= 3 * PART
    return path


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def run_worker(stack):
    worker = stack.start_worker(VIDEO_WORKER, "--once")
    assert worker.wait(120) == 0, stack.log("worker")


def test_three_parts_to_s3_interrupted_resumed_completed_and_transcoded(make_stack, tmp_path):
    stack = make_stack()
    api = stack.start_api()
    http = stack.client(stack.api_key("daechi"))
    lecture = http.post(f"{api}/api/v1/lectures/", json={"title": "Calculus"}).json()
    data = big_video(tmp_path).read_bytes()
    parts = [data[i:i + PART] for i in range(0, len(data), PART)]
    uploads = f"{api}/api/v1/lectures/{lecture['id']}/uploads/"
    started = http.post(uploads, json={
        "filename": "week1.mp4", "size": len(data), "content_type": "video/mp4", "part_size": PART,
        "parts": [{"part_number": n, "content_md5": md5_b64(p)} for n, p in enumerate(parts[:2], 1)]})
    assert started.status_code == 201, started.text
    upload = started.json()
    assert upload["part_count"] == 3 and upload["storage"] == "s3"
    for url, body in zip(upload["part_urls"], parts):
        assert url["url"].startswith(stack.sqs.endpoint_url)  # straight to S3, not through the API
        assert requests.put(url["url"], data=body, headers=url["headers"], timeout=30).status_code == 200
    # The connection is gone; the client comes back and asks the storage what it holds.
    shown = http.get(f"{uploads}{upload['id']}/").json()
    assert [p["part_number"] for p in shown["parts"]] == [1, 2]
    url = http.post(f"{uploads}{upload['id']}/part-urls/",
                    json={"parts": [{"part_number": 3, "content_md5": md5_b64(parts[2])}]}).json()["part_urls"][0]
    last = requests.put(url["url"], data=parts[2], headers=url["headers"], timeout=30)
    etags = [p["etag"] for p in shown["parts"]] + [last.headers["ETag"]]
    done = http.post(f"{uploads}{upload['id']}/complete",
                     json={"parts": [{"part_number": n, "etag": e} for n, e in enumerate(etags, 1)]})
    assert done.status_code == 201, done.text
    video = done.json()["video"]
    assert video["status"] == "queued"
    [key] = [k for k in stack.keys("lectures/") if k.endswith(f"{video['id']}/source")]
    stored = stack.s3().get_object(Bucket=stack.bucket, Key=key)["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(data).hexdigest()

    run_worker(stack)
    video = http.get(f"{api}/api/v1/lectures/{lecture['id']}/videos/{video['id']}/").json()
    assert (video["status"], video["width"], video["height"]) == ("ready", 640, 360), video


def test_the_uploader_survives_a_dropped_connection_and_resumes_on_the_filesystem(make_stack, tmp_path):
    stack = make_stack(MEDIA_STORAGE="filesystem")
    api = stack.start_api()
    key = stack.api_key("daechi")
    http = stack.client(key)
    lecture = http.post(f"{api}/api/v1/lectures/", json={"title": "Calculus"}).json()
    source = big_video(tmp_path)
    host, port = api.removeprefix("http://").split(":")
    proxy = FlakyProxy(host, int(port)).start()

    def upload(*extra):
        return subprocess.run(
            [sys.executable, "-m", "tools.dev.upload.upload", "--api", proxy.url, "--key", key,
             "--lecture", lecture["id"], "--part-size", "5MiB", "--parallel", "1",
             "--state-dir", str(tmp_path / "state"), *extra, str(source)],
            env=stack.env, capture_output=True, text=True, timeout=120)

    # The network goes away half way through the second part and stays away: the run
    # gives up with its state kept.
    proxy.down_after(PART + PART // 2)
    first = upload("--retries", "2")
    assert first.returncode == 1, first.stderr
    assert "run the same command again to resume" in first.stderr
    proxy.up()
    upload_id = next(u for u in http.get(f"{api}/api/v1/lectures/{lecture['id']}/uploads/").json()["results"])["id"]
    held = http.get(f"{api}/api/v1/lectures/{lecture['id']}/uploads/{upload_id}/").json()["parts"]
    assert [p["part_number"] for p in held] == [1]

    # A drop that lasts a moment is ridden out within the run; the next run resumes.
    proxy.down_after(PART // 2, for_seconds=2)
    second = upload()
    assert second.returncode == 0, second.stderr
    video_id = second.stdout.strip().splitlines()[-1]
    video = http.get(f"{api}/api/v1/lectures/{lecture['id']}/videos/{video_id}/").json()
    assert (video["status"], video["size_bytes"]) == ("queued", source.stat().st_size)
    assert len(http.get(f"{api}/api/v1/lectures/{lecture['id']}/uploads/").json()["results"]) == 1
    stored = next((tmp_path / "data" / "media").glob(f"lectures/*/*/videos/{video_id}/source"))
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == hashlib.sha256(source.read_bytes()).hexdigest()

    run_worker(stack)
    assert http.get(f"{api}/api/v1/lectures/{lecture['id']}/videos/{video_id}/").json()["status"] == "ready"
    proxy.stop()


def test_a_part_sent_slower_than_gunicorns_timeout_still_arrives(make_stack, tmp_path):
    """A weak uplink: one 5 MiB part taking longer than the worker timeout. gunicorn's sync
    workers tell the arbiter they are alive only between requests, so it would kill the
    worker mid-part; the API server runs threaded workers, which keep telling it."""
    stack = make_stack(MEDIA_STORAGE="filesystem")
    api = stack.start_api(timeout=2)
    http = stack.client(stack.api_key("daechi"))
    lecture = http.post(f"{api}/api/v1/lectures/", json={"title": "Calculus"}).json()
    data = big_video(tmp_path).read_bytes()
    part = data[:PART]
    upload = http.post(f"{api}/api/v1/lectures/{lecture['id']}/uploads/", json={
        "filename": "week1.mp4", "size": len(data), "part_size": PART,
        "parts": [{"part_number": 1, "content_md5": md5_b64(part)}]}).json()
    url = urllib.parse.urlsplit(upload["part_urls"][0]["url"])
    connection = HTTPConnection(url.hostname, url.port, timeout=30)
    connection.putrequest("PUT", url.path)
    connection.putheader("Content-MD5", md5_b64(part))
    connection.putheader("Content-Length", str(len(part)))
    connection.endheaders()
    for offset in range(0, len(part), len(part) // 8):  # about 4 s for the part
        connection.send(part[offset:offset + len(part) // 8])
        time.sleep(0.5)
    answer = connection.getresponse()
    assert answer.status == 200, answer.read()
    assert answer.getheader("ETag") == f'"{hashlib.md5(part).hexdigest()}"'
    held = http.get(f"{api}/api/v1/lectures/{lecture['id']}/uploads/{upload['id']}/").json()["parts"]
    assert [p["part_number"] for p in held] == [1]
