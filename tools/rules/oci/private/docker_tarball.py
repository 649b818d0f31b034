"""Writes a tarball of an OCI image layout that a container engine loads.

    docker_tarball.py [--format docker|oci] LAYOUT OUT.tar TAGS_FILE

TAGS_FILE holds one `repository:tag` per line. The tarball holds the OCI layout itself
(index.json with the tags as ref names, oci-layout, blobs); `docker` (the default) adds
Docker's manifest.json, so both `docker load` (any version) and `podman load` accept it.
Entries are sorted with fixed metadata, like the layers. An image index (oci_image_index)
loads only as `oci`: Docker's manifest.json describes one image.
"""

import argparse
import io
import json
import pathlib
import sys
import tarfile

MTIME = 946684800
INDEX = "application/vnd.oci.image.index.v1+json"


def add(tar: tarfile.TarFile, name: str, data: bytes | None = None, path: pathlib.Path | None = None) -> None:
    info = tarfile.TarInfo(name)
    info.mtime, info.uid, info.gid, info.uname, info.gname, info.mode = MTIME, 0, 0, "", "", 0o644
    if path is not None:
        info.size = path.stat().st_size
        with path.open("rb") as f:
            tar.addfile(info, f)
    else:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def docker_manifest(root: pathlib.Path, descriptor: dict, tags: list[str]) -> list[dict]:
    """Docker's manifest.json for the one image the descriptor names."""
    manifest = json.loads((root / "blobs/sha256" / descriptor["digest"].split(":")[1]).read_text())
    return [{
        "Config": "blobs/sha256/" + manifest["config"]["digest"].split(":")[1],
        "RepoTags": list(tags),
        "Layers": ["blobs/sha256/" + layer["digest"].split(":")[1] for layer in manifest["layers"]],
    }]


def write(layout: str, out: str, tags: list[str], image_format: str = "docker") -> None:
    root = pathlib.Path(layout)
    index = json.loads((root / "index.json").read_text())
    descriptor = index["manifests"][0]
    if descriptor.get("mediaType") == INDEX and image_format == "docker":
        raise SystemExit(f"{layout} is an image index (several images): Docker's format holds one; "
                         f"load one of its oci_image targets, or set format = \"oci\"")
    index["manifests"] = [
        {**descriptor, "annotations": {"org.opencontainers.image.ref.name": tag}} for tag in tags
    ] or [descriptor]
    with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as tar:
        for blob in sorted((root / "blobs/sha256").iterdir()):
            add(tar, f"blobs/sha256/{blob.name}", path=blob)
        add(tar, "index.json", json.dumps(index, sort_keys=True).encode())
        if image_format == "docker":
            add(tar, "manifest.json", json.dumps(docker_manifest(root, descriptor, tags), sort_keys=True).encode())
        add(tar, "oci-layout", (root / "oci-layout").read_bytes())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--format", choices=("docker", "oci"), default="docker")
    parser.add_argument("layout")
    parser.add_argument("out")
    parser.add_argument("tags_file", type=pathlib.Path)
    args = parser.parse_args(argv)
    tags = [line.strip() for line in args.tags_file.read_text().splitlines() if line.strip()]
    write(args.layout, args.out, tags, args.format)
    return 0


if __name__ == "__main__":
    sys.exit(main())
