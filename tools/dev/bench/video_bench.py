"""Benchmark: the video worker's wall time for one transcode against the bare ffmpeg
command line for the same ladder, side by side on the same input in one run, with the
segments in the clear and HLS AES-128 encrypted.

    tools/bazel run //tools/dev/bench:video_bench -- [--seconds 60] [--size 1920x1080] [--rate 30]
        [--preset veryfast] [--repeat 1]

  input     generated once: lavfi testsrc2 + a sine tone, x264 ultrafast, --seconds long
  ffmpeg    the exact argv the worker builds (apps.support.video.services.command), minus
            -progress: one run, every rendition (1080p/720p/360p) and the poster; "encrypted"
            adds the worker's -hls_key_info_file per rendition, with a key and key info file
            written as the worker writes them (hls_keys.py)
  worker    `python -m apps.worker.video.sqs_main --once` against moto's SQS (its own
            process, 127.0.0.1, ephemeral port), a fresh SQLite file and the filesystem
            storage: timed from sending the message to the process's exit, so it includes
            interpreter and Django start-up, the SQS round trips, ffprobe, progress
            writes, the key files and the sealed key, publishing to storage and the status
            changes. "handler" is the part between the job's start and "ready" as the
            database records it. The plain worker is tools/dev/bench/plain_video_worker.py:
            the same process with the key files left out, so ffmpeg writes clear segments.

Each round runs ffmpeg then the worker for each mode, plain first in odd rounds and
encrypted first in even ones; with --repeat > 1 the medians are reported. Goals: worker /
ffmpeg <= 1.05 in each mode (the encrypted worker against ffmpeg with the same encrypted
argv); "vs plain" is what encryption costs each side. Wall and CPU seconds (user + system
of the ffmpeg run, or of the worker process and its children, from getrusage) both: on a
small shared machine the CPU time moves less with other load than the wall time does.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

from tools.testing.local_platform import VIDEO_WORKER, LocalPlatform
from tools.testing.media import make_video

PLAIN_WORKER = "tools.dev.bench.plain_video_worker"
MODES = ("plain", "encrypted")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--rate", type=int, default=30)
    parser.add_argument("--preset", default="veryfast", help="x264 preset for both sides")
    parser.add_argument("--segment-seconds", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--remux-repeat", type=int, default=5,
                        help="runs per mode of the encryption-alone measurement (ffmpeg -c copy)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory(prefix="video-bench-") as scratch:
        work = Path(scratch)
        local = LocalPlatform(work, debug=True, env={
            "SQS_VISIBILITY_TIMEOUT": "120",
            "VIDEO_X264_PRESET": args.preset,
            "VIDEO_HLS_SEGMENT_SECONDS": str(args.segment_seconds),
            "VIDEO_WORK_DIR": str(work),
        })
        try:
            local.start_sqs()
            local.create_queue("video", visibility_timeout=120)
            local.migrate()
            # This process makes each round's lecture and video with the worker's settings.
            os.environ.update({**local.env, "DJANGO_SETTINGS_MODULE": "apps.worker.settings"})
            import django

            django.setup()
            print(f"generating a {args.seconds:g} s {width}x{height} input ...", flush=True)
            source = make_video(work / "input.mp4", width=width, height=height, seconds=args.seconds,
                                rate=args.rate)
            # {(what, mode): [seconds per round]}; what: ffmpeg, worker, handler, and their CPU time.
            runs: dict[tuple[str, str], list[float]] = {}
            for round_no in range(1, args.repeat + 1):
                for mode in MODES if round_no % 2 else reversed(MODES):
                    encrypted = mode == "encrypted"
                    wall, cpu = run_bare(source, work / f"bare-{mode}-{round_no}", args, encrypted=encrypted)
                    runs.setdefault(("ffmpeg", mode), []).append(wall)
                    runs.setdefault(("ffmpeg cpu", mode), []).append(cpu)
                    print(f"round {round_no}: ffmpeg, {mode}: {wall:.2f} s (CPU {cpu:.2f} s)", flush=True)
                    wall, inside, cpu = run_worker(source, local, round_no, encrypted=encrypted)
                    runs.setdefault(("worker", mode), []).append(wall)
                    runs.setdefault(("handler", mode), []).append(inside)
                    runs.setdefault(("worker cpu", mode), []).append(cpu)
                    print(f"round {round_no}: worker, {mode}: {wall:.2f} s (handler {inside:.2f} s, "
                          f"CPU {cpu:.2f} s)", flush=True)
            top = next(p for p in sorted((work / "bare-plain-1").iterdir()) if p.is_dir())
            for run_no in range(1, args.remux_repeat + 1):
                for mode in MODES if run_no % 2 else reversed(MODES):
                    wall, cpu = run_remux(top / "index.m3u8", work / f"remux-{mode}-{run_no}", args,
                                          encrypted=mode == "encrypted")
                    runs.setdefault(("remux", mode), []).append(wall)
                    runs.setdefault(("remux cpu", mode), []).append(cpu)
            print(f"remux of {top.name}, {args.remux_repeat} run(s) per mode: done", flush=True)
        finally:
            local.stop()
    report(args, runs)
    return 0


def children_cpu() -> float:
    """User + system seconds of this process's finished children and their waited-for
    children: an ffmpeg run, or a worker process with its ffprobe and ffmpeg. Less at the
    mercy of other load on the machine than wall time."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_bare(source: Path, out_dir: Path, args, *, encrypted: bool) -> tuple[float, float]:
    from django.conf import settings

    from apps.domains.lectures import content_keys
    from apps.support.video.services import hls_keys
    from apps.support.video.services.command import TranscodePlan, ffmpeg_command
    from apps.support.video.services.ladder import renditions_for
    from apps.support.video.services.probe import probe_source

    info = probe_source(str(source))
    plan = TranscodePlan(source=source, out_dir=out_dir, renditions=renditions_for(info.width, info.height),
                         has_audio=info.has_audio, duration=info.duration, frame_rate=info.frame_rate,
                         segment_seconds=settings.VIDEO_HLS_SEGMENT_SECONDS, preset=args.preset)
    for rendition in plan.renditions:
        plan.rendition_dir(rendition).mkdir(parents=True)
    keys = hls_keys.key_files(out_dir, content_keys.new_content_key()) if encrypted else contextlib.nullcontext()
    with keys as key_info_file:
        argv = ffmpeg_command(replace(plan, key_info_file=key_info_file), progress=None)
        started, cpu = time.monotonic(), children_cpu()
        subprocess.run(argv, check=True)
        elapsed, cpu = time.monotonic() - started, children_cpu() - cpu
    check_mode(plan.rendition_dir(plan.renditions[0]) / "index.m3u8", encrypted=encrypted)
    return elapsed, cpu


def run_remux(playlist: Path, out_dir: Path, args, *, encrypted: bool) -> tuple[float, float]:
    """A rendition copied into a new HLS ladder without re-encoding (-c copy): the muxer's
    work alone, so what encryption adds to it is not lost in x264's noise."""
    from apps.domains.lectures import content_keys
    from apps.support.video.services import hls_keys

    out_dir.mkdir(parents=True)
    keys = hls_keys.key_files(out_dir, content_keys.new_content_key()) if encrypted else contextlib.nullcontext()
    with keys as key_info_file:
        argv = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(playlist), "-map", "0", "-c", "copy",
                "-f", "hls", "-hls_time", str(args.segment_seconds), "-hls_playlist_type", "vod",
                "-hls_list_size", "0", "-hls_segment_type", "mpegts"]
        if key_info_file is not None:
            argv += ["-hls_key_info_file", str(key_info_file)]
        argv += ["-hls_segment_filename", str(out_dir / "seg_%05d.ts"), str(out_dir / "index.m3u8")]
        started, cpu = time.monotonic(), children_cpu()
        subprocess.run(argv, check=True)
        elapsed, cpu = time.monotonic() - started, children_cpu() - cpu
    check_mode(out_dir / "index.m3u8", encrypted=encrypted)
    return elapsed, cpu


def run_worker(source: Path, local: LocalPlatform, round_no: int, *, encrypted: bool) -> tuple[float, float, float]:
    """(wall seconds, the handler's seconds as the database records them, CPU seconds)."""
    from django.core.files import File
    from django.core.files.storage import storages

    from apps.core.services.api_keys import create_tenant
    from apps.domains.lectures import keys, services
    from apps.domains.lectures.models import LectureVideo
    from apps.shared.contracts import VideoTranscodeMessage

    slug = f"bench-{uuid.uuid4().hex[:8]}"
    lecture = services.create_lecture(tenant=create_tenant(name=slug, slug=slug), title="bench")
    video_id = uuid.uuid4()
    key = keys.source_key(tenant_id=lecture.tenant_id, lecture_id=lecture.id, video_id=video_id, extension="mp4")
    with open(source, "rb") as handle:
        key = storages["default"].save(key, File(handle, name=source.name))
    video = services.create_video(lecture=lecture, video_id=video_id, source_key=key, original_filename="in.mp4",
                                  size_bytes=source.stat().st_size, container="mp4")
    started, cpu = time.monotonic(), children_cpu()
    local.queues["video"].send(VideoTranscodeMessage(job_id=video.job_id, tenant_id=video.tenant_id,
                                                     video_id=video.id, source_key=video.source_key))
    name = f"worker-{'encrypted' if encrypted else 'plain'}-{round_no}"
    status = local.start_worker(VIDEO_WORKER if encrypted else PLAIN_WORKER, "--once", name=name).wait()
    total, cpu = time.monotonic() - started, children_cpu() - cpu
    video = LectureVideo.objects.get(pk=video.pk)
    if status != 0 or video.status != "ready":
        raise SystemExit(f"worker failed ({status}, {video.status}: {video.failure_reason}):\n"
                         f"{local.log(name)[-3000:]}")
    check_mode(Path(storages["default"].path(video.renditions[0]["playlist_key"])), encrypted=encrypted)
    return total, (video.finished_at - video.processing_started_at).total_seconds(), cpu


def check_mode(playlist: Path, *, encrypted: bool) -> None:
    """The run made what it was meant to: a timing of the wrong mode would compare nothing."""
    if ("#EXT-X-KEY:METHOD=AES-128" in playlist.read_text()) != encrypted:
        raise SystemExit(f"{playlist} is {'not ' if encrypted else ''}encrypted")


def report(args, runs: dict[tuple[str, str], list[float]]) -> None:
    """Medians; every ratio is the median of each round's own ratio (a worker run against the
    ffmpeg run just before it, an encrypted run against the same round's plain one), which
    cancels the slow drift of a shared machine's speed that a ratio of medians keeps."""
    def median(what, mode):
        return statistics.median(runs[what, mode])

    def ratio(what, mode, base_what, base_mode):
        return statistics.median(a / b for a, b in zip(runs[what, mode], runs[base_what, base_mode], strict=True))

    print()
    print(f"video bench: {args.seconds:g} s {args.size} @ {args.rate} fps, preset {args.preset}, "
          f"{args.segment_seconds} s segments, {args.repeat} round(s), {os.cpu_count()} CPUs, "
          f"{platform.python_implementation()} {platform.python_version()}")
    print(f"  {'':36} {'wall s':>8} {'vs ffmpeg':>9} {'vs plain':>8} {'CPU s':>8} {'vs ffmpeg':>9} {'vs plain':>8}")
    rows = [("bare ffmpeg command line", "ffmpeg", "ffmpeg cpu"),
            ("worker (process, --once)", "worker", "worker cpu"),
            ("worker handler (in DB)", "handler", None)]
    for mode in MODES:
        for label, wall, cpu in rows:
            line = (f"  {label + ', ' + mode:36} {median(wall, mode):8.2f} {ratio(wall, mode, 'ffmpeg', mode):9.3f} "
                    f"{ratio(wall, mode, wall, 'plain'):8.3f}")
            if cpu:
                line += (f" {median(cpu, mode):8.2f} {ratio(cpu, mode, 'ffmpeg cpu', mode):9.3f} "
                         f"{ratio(cpu, mode, cpu, 'plain'):8.3f}")
            print(line)
    if ("remux", "plain") in runs:
        print(f"  encryption alone: the top rendition copied (-c copy) into HLS, {args.remux_repeat} run(s) each")
        for mode in MODES:
            print(f"  {'ffmpeg -c copy, ' + mode:36} {median('remux', mode):8.2f} {'':9} "
                  f"{ratio('remux', mode, 'remux', 'plain'):8.3f} {median('remux cpu', mode):8.2f} {'':9} "
                  f"{ratio('remux cpu', mode, 'remux cpu', 'plain'):8.3f}")


if __name__ == "__main__":
    sys.exit(main())
