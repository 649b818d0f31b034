"""Image build figures, side by side in one run on this machine.

    tools/bazel run //tools/dev/bench:image_bench -- [--images LABEL ...]

For each image: the clean build time (after `bazel clean`), the incremental rebuild time
after a one-line change to the worker's entry module (and how many layers changed), the
size of each layer, and whether two clean builds give the same digest. Then each worker
image's size next to the naive image built from api.txt on the same system base.
It works in the workspace `bazel run` was started from, drives tools/bazel there (the
outer command has finished by then) and restores the edited files.
"""

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import time

IMAGES = {
    "//apps/worker/video:image": ("apps/worker/video/sqs_main.py", "//tools/dev/bench:naive_video_image"),
    "//apps/worker/messaging:image": ("apps/worker/messaging/sqs_main.py", "//tools/dev/bench:naive_python_image"),
    "//apps/worker/ai:image_cpu": ("apps/worker/ai/sqs_main_cpu.py", "//tools/dev/bench:naive_ai_image"),
    "//apps/api:image": ("apps/api/server.py", None),
}


def bazel(*args: str) -> float:
    start = time.monotonic()
    subprocess.run(["tools/bazel", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - start


def layout_dir(label: str) -> pathlib.Path:
    package, name = label[2:].split(":")
    return pathlib.Path("bazel-bin") / package / name


def manifest(label: str) -> tuple[str, dict]:
    layout = layout_dir(label)
    digest = (layout.parent / (layout.name + ".json.sha256")).read_text().strip()
    blob = layout / "blobs" / "sha256" / digest.split(":")[1]
    return digest, json.loads(blob.read_text())


def mib(n: int) -> str:
    return f"{n / 2**20:8.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", nargs="*", default=list(IMAGES))
    args = parser.parse_args(argv)
    os.chdir(os.environ.get("BUILD_WORKSPACE_DIRECTORY", "."))
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    rows = []
    for label in args.images:
        source, _ = IMAGES[label]
        bazel("clean")
        clean = bazel("build", label)
        digest, before = manifest(label)
        bazel("clean")
        bazel("build", label)
        again, _ = manifest(label)
        path = pathlib.Path(source)
        original = path.read_text()
        try:
            path.write_text(original + "# one-line change for the benchmark\n")
            incremental = bazel("build", label)
            _, after = manifest(label)
        finally:
            path.write_text(original)
        changed = sum(a["digest"] != b["digest"] for a, b in zip(before["layers"], after["layers"]))
        rows.append((label, clean, incremental, changed, len(before["layers"]), digest == again, before))
    bazel("build", *args.images)

    print("\n| image | clean build s | rebuild after one-line change s | layers changed | same digest after clean rebuild |")
    print("|---|---:|---:|---:|---|")
    for label, clean, incremental, changed, total, same, _ in rows:
        print(f"| `{label}` | {clean:.1f} | {incremental:.1f} | {changed} of {total} | {'yes' if same else 'NO'} |")

    print("\n| image | layer sizes, MiB compressed (base ... code) | total MiB |")
    print("|---|---|---:|")
    for label, *_, m in rows:
        sizes = [layer["size"] for layer in m["layers"]]
        print(f"| `{label}` | {' / '.join(mib(s).strip() for s in sizes)} | {mib(sum(sizes)).strip()} |")

    naive = [n for label in args.images if (n := IMAGES[label][1])]
    if naive:
        bazel("build", *sorted(set(naive)))
        print("\n| worker image | MiB | naive image from api.txt on the same base, MiB | ratio |")
        print("|---|---:|---:|---:|")
        for label, *_, m in rows:
            if not IMAGES[label][1]:
                continue
            ours = sum(layer["size"] for layer in m["layers"])
            theirs = sum(layer["size"] for layer in manifest(IMAGES[label][1])[1]["layers"])
            print(f"| `{label}` | {mib(ours).strip()} | {mib(theirs).strip()} | {ours / theirs:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
