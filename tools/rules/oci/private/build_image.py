"""Assembles an OCI image layout from a base layout and compressed layers.

    build_image.py --out DIR --digest-out FILE --spec SPEC.json [--base DIR]
                   [--layer LAYER.tar.gz=LAYER.json ...]

SPEC.json holds the image attributes of oci_image (entrypoint, cmd, env, workdir, user,
labels, annotations, exposed_ports, os, architecture, created_by). Values given replace the
base's; env entries merge by name. Blobs are hard-linked where possible (a rebuild after a
one-line change copies nothing big). JSON is written with sorted keys and no spaces, so the
manifest digest depends only on content.
"""

import argparse
import hashlib
import json
import os
import pathlib
import shutil
import sys

EPOCH = "1970-01-01T00:00:00Z"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
INDEX = "application/vnd.oci.image.index.v1+json"


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
    merged.update(extra)
    return [f"{k}={v}" for k, v in merged.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=pathlib.Path)
    parser.add_argument("--digest-out", required=True, type=pathlib.Path)
    parser.add_argument("--spec", required=True, type=pathlib.Path)
    parser.add_argument("--base", type=pathlib.Path)
    parser.add_argument("--layer", action="append", default=[])
    args = parser.parse_args(argv)
    spec = json.loads(args.spec.read_text())
    layout = Layout(args.out)

    manifest = {"schemaVersion": 2, "mediaType": MANIFEST, "layers": []}
    config = {
        "architecture": spec["architecture"], "os": spec["os"], "created": EPOCH,
        "config": {}, "rootfs": {"type": "layers", "diff_ids": []}, "history": [],
    }
    if args.base:
        base_manifest, base_config = read_base(args.base)
        manifest["layers"] = list(base_manifest["layers"])
        for layer in manifest["layers"]:
            layout.put_file(args.base / "blobs" / "sha256" / layer["digest"].split(":")[1], layer["digest"])
        config["config"] = base_config.get("config", {})
        config["rootfs"]["diff_ids"] = list(base_config["rootfs"]["diff_ids"])
        config["history"] = list(base_config.get("history", []))

    for item in args.layer:
        blob, described = item.split("=", 1)
        info = json.loads(pathlib.Path(described).read_text())
        layout.put_file(pathlib.Path(blob), info["digest"])
        manifest["layers"].append({"mediaType": LAYER_GZIP, "digest": info["digest"], "size": info["size"]})
        config["rootfs"]["diff_ids"].append(info["diff_id"])
        config["history"].append({"created": EPOCH, "created_by": spec.get("created_by", "oci_image")})

    image = config["config"]
    if spec.get("env"):
        image["Env"] = merge_env(image.get("Env", []), spec["env"])
    for key, field in (("entrypoint", "Entrypoint"), ("cmd", "Cmd"), ("workdir", "WorkingDir"), ("user", "User")):
        if spec.get(key):
            image[field] = spec[key]
    if spec.get("labels"):
        image["Labels"] = {**image.get("Labels", {}), **spec["labels"]}
    if spec.get("exposed_ports"):
        image["ExposedPorts"] = {**image.get("ExposedPorts", {}), **{p if "/" in p else p + "/tcp": {} for p in spec["exposed_ports"]}}

    config_digest, config_size = layout.put_bytes(dumps(config))
    manifest["config"] = {"mediaType": CONFIG, "digest": config_digest, "size": config_size}
    if spec.get("annotations"):
        manifest["annotations"] = spec["annotations"]
    manifest_digest, manifest_size = layout.put_bytes(dumps(manifest))
    index = {"schemaVersion": 2, "mediaType": INDEX,
             "manifests": [{"mediaType": MANIFEST, "digest": manifest_digest, "size": manifest_size}]}
    (args.out / "index.json").write_bytes(dumps(index))
    (args.out / "oci-layout").write_bytes(dumps({"imageLayoutVersion": "1.0.0"}))
    args.digest_out.write_text(manifest_digest + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
