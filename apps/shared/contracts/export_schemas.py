"""Writes the JSON Schema of every queue message into docs/contracts/.

    tools/bazel run //apps/shared/contracts:export_schemas [-- --out DIR]
"""

import argparse
import json
import os
import pathlib
import sys

from apps.shared.contracts.messages import ALL_MESSAGE_TYPES


def schemas() -> dict[str, str]:
    return {
        f"{cls.__name__}.schema.json": json.dumps(cls.model_json_schema(), indent=2, sort_keys=True) + "\n"
        for cls in ALL_MESSAGE_TYPES
    }


def main(argv: list[str] | None = None) -> int:
    workspace = pathlib.Path(os.environ.get("BUILD_WORKSPACE_DIRECTORY", "."))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=pathlib.Path, default=workspace / "docs" / "contracts")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in schemas().items():
        (args.out / name).write_text(text)
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
