"""Gzips a layer tar deterministically and describes it for the image builder.

    compress_layer.py LAYER.tar OUT.tar.gz OUT.json

OUT.json: {"diff_id": sha256 of the tar, "digest": sha256 of the gzip, "size": bytes}.
The gzip header carries no name and mtime 0, so equal tars give equal blobs.
"""

import gzip
import hashlib
import json
import shutil
import sys


class _Hashing:
    def __init__(self, raw):
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data):
        self.sha.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self):
        self.raw.flush()


def main(tar_path: str, out_path: str, json_path: str) -> int:
    diff = hashlib.sha256()
    with open(tar_path, "rb") as src, open(out_path, "wb") as raw:
        sink = _Hashing(raw)
        with gzip.GzipFile(filename="", mode="wb", fileobj=sink, mtime=0, compresslevel=6) as gz:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                diff.update(chunk)
                gz.write(chunk)
    with open(json_path, "w") as f:
        json.dump({"diff_id": "sha256:" + diff.hexdigest(), "digest": "sha256:" + sink.sha.hexdigest(),
                   "size": sink.size}, f, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
