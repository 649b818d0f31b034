"""Assembles an OCI image layout from a base layout (or scratch) and layer blobs.

    build_image.py --out DIR [--base DIR | --scratch OS/ARCH[/VARIANT]] [--created-by LABEL]
                   [--layer BLOB=DESCRIPTOR.json ...] [--entrypoint FILE] [--cmd FILE]
                   [--env FILE] [--labels FILE] [--annotations FILE] [--exposed-ports FILE]
                   [--volumes FILE] [--created FILE] [--user USER] [--workdir DIR]

The files are the ones rules_oci's oci_image macro writes: entrypoint and cmd one argument
per line (a newline inside an argument written `%5Cn`), env, labels and annotations one
`key=value` per line, exposed ports and volumes comma-separated, created one datetime.
As in rules_oci: a value given replaces the base's; an entrypoint clears the base's Cmd; env
entries replace the base's by name, and `$KEY` / `${KEY}` in a value is the base's value of
KEY (empty if unset); labels merge with the base's; exposed ports and volumes add to them.
Layer blobs are stored as given (tar, gzip or zstd) with the media type the descriptor
names. Blobs are hard-linked where possible. JSON is written with sorted keys and no spaces,
so the manifest digest depends only on content; without `created` the image is created at
the epoch.
"""

import argparse
import hashlib
import json
import os
import pathlib
import re
import shutil
import sys

EPOCH = "1970-01-01T00:00:00Z"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def dumps(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class Layout:
    def __init__(self, root: pathlib.Path):
        self.root = root
        (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)

    def blob_path(self, digest: str) -> pathlib.Path:
        return self.root / "blobs" / "sha256" / digest.split(":", 1)[1]

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.blob_path(digest).write_bytes(data)
        return digest, len(data)

    def put_file(self, source: pathlib.Path, digest: str) -> None:
        target = self.blob_path(digest)
        if target.exists():
            return
        try:
            os.link(os.path.realpath(source), target)
        except OSError:
            shutil.copyfile(source, target)


def read_base(base: pathlib.Path) -> tuple[dict, dict]:
    index = json.loads((base / "index.json").read_text())
    descriptor = index["manifests"][0]
    manifest = json.loads((base / "blobs" / "sha256" / descriptor["digest"].split(":")[1]).read_text())
    config = json.loads((base / "blobs" / "sha256" / manifest["config"]["digest"].split(":")[1]).read_text())
    return manifest, config


def merge_env(base: list[str], extra: dict[str, str]) -> list[str]:
    merged = dict(item.split("=", 1) for item in base)
    inherited = dict(merged)

    def expand(match: re.Match) -> str:
        return inherited.get(match.group(1) or match.group(2), "")

    for key, value in extra.items():
        merged[key] = ENV_REFERENCE.sub(expand, value)
    return [f"{k}={v}" for k, v in merged.items()]


def read_lines(path: pathlib.Path | None) -> list[str] | None:
    if path is None:
        return None
    return [line.replace("%5Cn", "\n") for line in path.read_text().splitlines()]


def read_pairs(path: pathlib.Path | None) -> dict[str, str]:
    pairs = {}
    for line in read_lines(path) or []:
        if line.strip():
            key, sep, value = line.partition("=")
            if not sep:
                raise SystemExit(f"{path}: '{line}' is not key=value")
            pairs[key] = value
    return pairs


def read_list(path: pathlib.Path | None) -> list[str]:
    text = path.read_text() if path else ""
    return [item.strip() for item in text.replace("\n", ",").split(",") if item.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=pathlib.Path)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--base", type=pathlib.Path)
    source.add_argument("--scratch", help="OS/ARCH[/VARIANT] of an image without a base")
    parser.add_argument("--layer", action="append", default=[])
    parser.add_argument("--created-by", default="oci_image")
    for name in ("entrypoint", "cmd", "env", "labels", "annotations", "exposed-ports", "volumes", "created"):
        parser.add_argument(f"--{name}", type=pathlib.Path)
    parser.add_argument("--user")
    parser.add_argument("--workdir")
    args = parser.parse_args(argv)
    layout = Layout(args.out)

    manifest = {"schemaVersion": 2, "mediaType": MANIFEST, "layers": []}
    if args.base:
        base_manifest, config = read_base(args.base)
        manifest["layers"] = list(base_manifest["layers"])
        for layer in manifest["layers"]:
            layout.put_file(args.base / "blobs" / "sha256" / layer["digest"].split(":")[1], layer["digest"])
        config.setdefault("config", {})
        config["history"] = list(config.get("history", []))
    else:
        os_name, arch, *variant = args.scratch.split("/")
        config = {"architecture": arch, "os": os_name, "config": {}, "rootfs": {"type": "layers", "diff_ids": []},
                  "history": []}
        if variant:
            config["variant"] = variant[0]
    config["created"] = args.created.read_text().strip() if args.created else EPOCH

    for item in args.layer:
        blob, described = item.split("=", 1)
        info = json.loads(pathlib.Path(described).read_text())
        layout.put_file(pathlib.Path(blob), info["digest"])
        manifest["layers"].append({"mediaType": info["mediaType"], "digest": info["digest"], "size": info["size"]})
        config["rootfs"]["diff_ids"].append(info["diff_id"])
        config["history"].append({"created": config["created"], "created_by": args.created_by})

    image = config["config"]
    if args.entrypoint:
        image["Entrypoint"] = read_lines(args.entrypoint)
        image.pop("Cmd", None)
    if args.cmd:
        image["Cmd"] = read_lines(args.cmd)
    if args.env:
        image["Env"] = merge_env(image.get("Env", []), read_pairs(args.env))
    if args.workdir:
        image["WorkingDir"] = args.workdir
    if args.user:
        image["User"] = args.user
    if args.labels:
        image["Labels"] = {**image.get("Labels", {}), **read_pairs(args.labels)}
    if args.exposed_ports:
        ports = {p if "/" in p else p + "/tcp": {} for p in read_list(args.exposed_ports)}
        image["ExposedPorts"] = {**image.get("ExposedPorts", {}), **ports}
    if args.volumes:
        image["Volumes"] = {**image.get("Volumes", {}), **{v: {} for v in read_list(args.volumes)}}

    config_digest, config_size = layout.put_bytes(dumps(config))
    manifest["config"] = {"mediaType": CONFIG, "digest": config_digest, "size": config_size}
    annotations = read_pairs(args.annotations)
    if annotations:
        manifest["annotations"] = annotations
    manifest_digest, manifest_size = layout.put_bytes(dumps(manifest))
    descriptor = {"mediaType": MANIFEST, "digest": manifest_digest, "size": manifest_size}
    (args.out / "index.json").write_bytes(dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": [descriptor]}))
    (args.out / "oci-layout").write_bytes(dumps({"imageLayoutVersion": "1.0.0"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
