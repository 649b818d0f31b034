"""Shows the platform doing its job, on this machine, in a few minutes:

    tools/bazel run //:demo [-- --out DIR] [--video-seconds 20]

Starts moto's SQS server, the API under gunicorn and the three workers as separate
processes on embedded defaults (SQLite, files on disk, the console SMS backend), then
drives the scenario of tools/dev/demo/scenario.py through the public HTTP API: an academy
and its key, a lecture video transcoded to HLS, an answer sheet graded, a page read,
credits topped up and an attendance notice sent. Prints each step's time, where the
outputs are, and stops every process it started.

Exit status: 0 when every step worked; 1 when one failed (its reason is printed, and the
logs of every process are kept under DIR/logs); 130 when interrupted.
"""

import argparse
import sys
import tempfile
from pathlib import Path

from tools.dev.demo.cli import output_dir, stop_on_sigterm
from tools.dev.demo.progress import Report
from tools.dev.demo.scenario import Scenario
from tools.testing.api_client import ApiError
from tools.testing.local_platform import LocalPlatform, PlatformError


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="demo", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="where the database, media, inputs and logs go (default: a new academy-demo-* "
                             "directory in the temp dir, kept afterwards)")
    parser.add_argument("--video-seconds", type=float, default=20, metavar="S",
                        help="length of the generated lecture video (default: %(default)s)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    stop_on_sigterm()
    root = output_dir(args.out) if args.out else Path(tempfile.mkdtemp(prefix="academy-demo-"))
    report = Report(sys.stdout)
    platform = LocalPlatform(root, inherit_environment=True)
    status = 0
    try:
        with report.step("Start the platform (SQS, API, three workers)") as step:
            platform.start_all(on_ready=step.note)
        inputs = root / "inputs"
        inputs.mkdir(exist_ok=True)
        scenario = Scenario(api_url=platform.api_url, operator_key=platform.operator_key, report=report,
                            workdir=inputs, video_seconds=args.video_seconds, check_alive=platform.check_alive)
        scenario.run()
    except (PlatformError, ApiError):
        status = 1
    except KeyboardInterrupt:
        status = 130
    finally:
        with report.step("Stop every process") as step:
            exits = platform.stop()
            step.note(", ".join(f"{name} {code}" for name, code in exits.items()))
    report.summary({
        "data (database, media)": str(platform.data_dir),
        "HLS master playlist (encrypted ladder)": _stored_path(platform, "master.m3u8"),
        "player screenshot (watermark)": str(root / "player.png") if (root / "player.png").exists() else "(none)",
        "generated inputs": str(root / "inputs"),
        "logs (SMS texts in messaging-worker.log)": str(platform.logs),
    })
    return status


def _stored_path(platform: LocalPlatform, name: str) -> str:
    found = sorted(platform.data_dir.rglob(name))
    return str(found[0]) if found else "(none)"


if __name__ == "__main__":
    sys.exit(main())
