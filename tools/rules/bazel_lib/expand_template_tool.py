"""Writes a template with its substitutions applied, for expand_template.

    expand_template_tool.py TEMPLATE OUT SUBSTITUTIONS.json [STATUS_FILE ...]

SUBSTITUTIONS.json maps each text to its replacement. With status files (Bazel's
stable-status.txt and volatile-status.txt, `KEY value` per line), `{{KEY}}` in a replacement
first becomes that key's value, as aspect_bazel_lib's stamp_substitutions do.
"""

import json
import pathlib
import sys


def status(paths: list[str]) -> dict[str, str]:
    values = {}
    for path in paths:
        for line in pathlib.Path(path).read_text().splitlines():
            key, _, value = line.partition(" ")
            values[key] = value
    return values


def main(template: str, out: str, substitutions: str, *status_files: str) -> int:
    text = pathlib.Path(template).read_text()
    keys = status(list(status_files))
    for old, new in json.loads(pathlib.Path(substitutions).read_text()).items():
        for key, value in keys.items():
            new = new.replace("{{" + key + "}}", value)
        text = text.replace(old, new)
    pathlib.Path(out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
