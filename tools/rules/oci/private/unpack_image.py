"""Unpacks an OCI image layout into a root filesystem directory, layer by layer.

    unpack_image.py LAYOUT DIR [--config-out FILE]

Applies OCI whiteouts (`.wh.name` removes `name`; `.wh..wh..opq` empties a directory), so
DIR is what a container of this image would see. --config-out writes the image config
(entrypoint, env, user) as JSON for the caller. Used by the image checks and smoke tests.
"""

import argparse
import gzip
import json
import os
import pathlib
import shutil
import sys
import tarfile


def blob(layout: pathlib.Path, digest: str) -> pathlib.Path:
    return layout / "blobs" / "sha256" / digest.split(":", 1)[1]


def image_parts(layout: pathlib.Path) -> tuple[dict, dict]:
    index = json.loads((layout / "index.json").read_text())
    manifest = json.loads(blob(layout, index["manifests"][0]["digest"]).read_text())
    config = json.loads(blob(layout, manifest["config"]["digest"]).read_text())
    return manifest, config


def apply_layer(path: pathlib.Path, root: pathlib.Path) -> None:
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    with opener(path, "rb") as raw, tarfile.open(fileobj=raw, mode="r|") as tar:
        for member in tar:
            name = pathlib.PurePosixPath(member.name)
            target = root / name
            if name.name == ".wh..wh..opq":
                for child in target.parent.iterdir():
                    shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
                continue
            if name.name.startswith(".wh."):
                victim = target.parent / name.name[len(".wh."):]
                if victim.is_dir() and not victim.is_symlink():
                    shutil.rmtree(victim)
                elif victim.exists() or victim.is_symlink():
                    victim.unlink()
                continue
            if (target.exists() or target.is_symlink()) and not (member.isdir() and target.is_dir()):
                shutil.rmtree(target) if target.is_dir() and not target.is_symlink() else target.unlink()
            # Our own layers: trusted. (The filter argument exists from Python 3.11.4 on.)
            extra = {"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}
            tar.extract(member, root, set_attrs=True, numeric_owner=True, **extra)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("layout", type=pathlib.Path)
    parser.add_argument("root", type=pathlib.Path)
    parser.add_argument("--config-out", type=pathlib.Path)
    args = parser.parse_args(argv)
    manifest, config = image_parts(args.layout)
    args.root.mkdir(parents=True, exist_ok=True)
    for layer in manifest["layers"]:
        apply_layer(blob(args.layout, layer["digest"]), args.root)
    if args.config_out:
        args.config_out.write_text(json.dumps(config["config"], indent=2))
    return 0


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())
