"""Describes one layer blob for the image builder, which stores it as given.

    describe_layer.py LAYER OUT.json

LAYER is a tar, a gzipped tar (.tar.gz, .tgz) or a zstd one (.tar.zst, .tzst), as rules_oci
accepts them. OUT.json: {"mediaType", "digest" (sha256 of the blob), "size" (its bytes),
"diff_id" (sha256 of the uncompressed tar)}. Decompressing zstd needs the `zstd` program.
"""

import gzip
import hashlib
import json
import shutil
import subprocess
import sys

MEDIA_TYPES = {
    ".tar": "application/vnd.oci.image.layer.v1.tar",
    ".tar.gz": "application/vnd.oci.image.layer.v1.tar+gzip",
    ".tgz": "application/vnd.oci.image.layer.v1.tar+gzip",
    ".tar.zst": "application/vnd.oci.image.layer.v1.tar+zstd",
    ".tzst": "application/vnd.oci.image.layer.v1.tar+zstd",
}
CHUNK = 1 << 20


def media_type(path: str) -> str:
    for suffix in sorted(MEDIA_TYPES, key=len, reverse=True):
        if path.endswith(suffix):
            return MEDIA_TYPES[suffix]
    raise SystemExit(f"{path}: a layer must end in one of {', '.join(MEDIA_TYPES)}")


def _sha256(stream) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def diff_id(path: str, kind: str) -> str:
    if kind.endswith("+gzip"):
        with gzip.open(path, "rb") as stream:
            return _sha256(stream)
    if kind.endswith("+zstd"):
        zstd = shutil.which("zstd")
        if not zstd:
            raise SystemExit(f"{path}: describing a zstd layer needs the zstd program on PATH")
        with subprocess.Popen([zstd, "-dc", path], stdout=subprocess.PIPE) as process:
            digest = _sha256(process.stdout)
        if process.returncode != 0:
            raise SystemExit(f"{path}: zstd could not decompress it")
        return digest
    with open(path, "rb") as stream:
        return _sha256(stream)


def main(layer: str, out: str) -> int:
    kind = media_type(layer)
    with open(layer, "rb") as stream:
        digest = _sha256(stream)
    described = {"diff_id": diff_id(layer, kind), "digest": digest, "mediaType": kind, "size": _size(layer)}
    with open(out, "w") as f:
        json.dump(described, f, sort_keys=True)
    return 0


def _size(path: str) -> int:
    with open(path, "rb") as stream:
        return stream.seek(0, 2)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
