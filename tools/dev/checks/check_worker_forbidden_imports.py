"""Fail when a module reachable from apps/worker imports what workers must not.

Workers may use apps.support, apps.domains, apps.core and apps.shared; they
must not import apps.api, rest_framework, drf_yasg, gunicorn, or any module
whose last dotted part is views, serializers or urls.  Every module reachable
from apps/worker/** is scanned (first-party imports followed transitively,
including imports in functions, under TYPE_CHECKING, relative imports,
package __init__ files, literal dynamic imports and Django settings strings);
each violation is printed with its chain of file:line hops.

Exit status: 0 clean, 1 violations, 2 bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tools.dev.checks...` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tools.dev.checks.forbidden_imports import fs, report  # noqa: E402
from tools.dev.checks.forbidden_imports.allowlist import ALLOWLIST_PATH, AllowlistError  # noqa: E402
from tools.dev.checks.forbidden_imports.checker import check  # noqa: E402


def default_root() -> Path:
    """The workspace under `bazel run`, else the repository holding this script."""
    workspace = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    if workspace:
        return Path(workspace)
    return Path(__file__).resolve().parents[3]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="check_worker_forbidden_imports",
        description=__doc__.split("\n\n")[0],
        epilog=f"A non-literal dynamic import is a violation unless its file is listed, with a\n"
               f"reason, in <root>/{ALLOWLIST_PATH}.\n\n"
               f"exit status: 0 clean, 1 violations, 2 bad usage",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--root", type=Path, default=None,
                        help="repository root holding apps/worker (default: $BUILD_WORKSPACE_DIRECTORY, "
                             "else the repository of this script)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) and usage errors (2)
        return exc.code if isinstance(exc.code, int) else 2
    root = (args.root or default_root()).resolve()
    if not root.is_dir():
        print(f"{parser.prog}: error: root {root} is not a directory", file=sys.stderr)
        return 2
    if not (root / "apps" / "worker").is_dir():
        print(f"{parser.prog}: error: {root} has no apps/worker directory", file=sys.stderr)
        return 2
    try:
        allowlist = fs.load_allowlist(root)
    except AllowlistError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2

    result = check(fs.load_tree(root), allowlist)

    for path in result.unused_allowlist:
        print(f"warning: {ALLOWLIST_PATH}: {path} excuses nothing (no non-literal dynamic import in a "
              f"module reachable from apps/worker); remove the entry", file=sys.stderr)
    if args.format == "json":
        sys.stdout.write(report.render_json(result, str(root)))
    else:
        sys.stdout.write(report.render_text(result))
    return 1 if result.violations else 0


if __name__ == "__main__":
    sys.exit(main())
