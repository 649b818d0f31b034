"""Assembles an OCI image index layout from oci_image layouts, as rules_oci's oci_image_index.

    build_index.py --out DIR --image LAYOUT [--image LAYOUT ...] [--annotations FILE]

Each image's manifests (its index.json entries) become entries of one index manifest
(application/vnd.oci.image.index.v1+json), in the order given, each with the platform its
config names (os, architecture, and variant, os.version, os.features where set), as rules_oci's
image_index.sh writes them. Annotations are `name=value` lines, for the index manifest. The
layout's index.json names the index manifest alone, so `<name>.digest` is the index's digest.
Blobs are hard-linked where possible; JSON is written as build_image.py writes it.
"""

import argparse
import json
import pathlib
import sys

from build_image import INDEX, Layout, dumps, read_pairs

PLATFORM_KEYS = ("architecture", "os", "os.features", "os.version", "variant")


def add_image(out: Layout, image: pathlib.Path) -> list[dict]:
    source = Layout(image)
    entries = []
    for descriptor in json.loads((image / "index.json").read_text())["manifests"]:
        manifest = json.loads(source.blob_path(descriptor["digest"]).read_text())
        config = json.loads(source.blob_path(manifest["config"]["digest"]).read_text())
        platform = {key: config[key] for key in PLATFORM_KEYS if config.get(key) is not None}
        for blob in (descriptor, manifest["config"], *manifest["layers"]):
            out.put_file(source.blob_path(blob["digest"]), blob["digest"])
        entries.append({**descriptor, "platform": platform})
    return entries


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--image", type=pathlib.Path, action="append", required=True)
    parser.add_argument("--annotations", type=pathlib.Path)
    args = parser.parse_args(argv)
    out = Layout(args.out)
    index = {"schemaVersion": 2, "mediaType": INDEX,
             "manifests": [entry for image in args.image for entry in add_image(out, image)]}
    annotations = read_pairs(args.annotations)
    if annotations:
        index["annotations"] = annotations
    digest, size = out.put_bytes(dumps(index))
    (args.out / "oci-layout").write_bytes(dumps({"imageLayoutVersion": "1.0.0"}))
    (args.out / "index.json").write_bytes(dumps(
        {"schemaVersion": 2, "mediaType": INDEX, "manifests": [{"mediaType": INDEX, "digest": digest, "size": size}]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
