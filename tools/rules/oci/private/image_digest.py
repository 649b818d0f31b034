"""Writes the digest of an OCI layout's first manifest, as rules_oci's `<name>.digest` does.

    image_digest.py LAYOUT OUT

OUT holds `sha256:<hex>` and a newline: jq's `--raw-output .manifests[0].digest`.
"""

import json
import pathlib
import sys


def main(layout: str, out: str) -> int:
    index = json.loads((pathlib.Path(layout) / "index.json").read_text())
    pathlib.Path(out).write_text(index["manifests"][0]["digest"] + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
