"""Helpers for tests: source trees on disk and the CLI's output."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from tools.dev.checks import check_worker_forbidden_imports as cli

# The skeleton every fixture tree starts from: packages with empty __init__
# files and one worker entry point that imports a support module on line 3.
BASE = {
    "apps/__init__.py": "",
    "apps/worker/__init__.py": "",
    "apps/worker/video/__init__.py": "",
    "apps/worker/video/sqs_main.py": """\
        \"\"\"The video worker.\"\"\"
        import sys
        from apps.support.video.services import queue

        def main():
            return queue.run(sys.argv)
        """,
    "apps/support/__init__.py": "",
    "apps/support/video/__init__.py": "",
    "apps/support/video/services/__init__.py": "",
    "apps/support/video/services/queue.py": """\
        \"\"\"Queue helpers.\"\"\"
        import json


        def run(argv):
            return json.dumps(argv)
        """,
    "apps/api/__init__.py": "",
    "apps/api/v1/__init__.py": "",
    "apps/api/v1/urls.py": "urlpatterns = []\n",
    "apps/api/v1/views.py": "def index(request):\n    return None\n",
}


def write_tree(root: Path, files: dict, base: bool = True) -> Path:
    """Write ``{relative path: source}`` under *root* (sources are dedented)."""
    merged = dict(BASE) if base else {}
    merged.update(files)
    for rel, source in merged.items():
        if source is None:
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    return root


def in_memory(files: dict, base: bool = True) -> dict:
    merged = dict(BASE) if base else {}
    merged.update(files)
    return {rel: textwrap.dedent(src) for rel, src in merged.items() if src is not None}


def run(capsys, root: Path, *args: str):
    """Run the CLI on *root*; return (exit code, text output, stderr)."""
    code = cli.main(["--root", str(root), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def run_json(capsys, root: Path):
    code, out, err = run(capsys, root, "--format", "json")
    return code, json.loads(out), err


def chain_text(violation: dict) -> str:
    """A JSON violation's chain as ``path:line -> ...`` (what the text output prints, minus kinds)."""
    hops = []
    for hop in violation["chain"]:
        where = hop["path"] or hop["module"]
        if hop["line"] is not None:
            where = f"{where}:{hop['line']}"
        hops.append(where)
    return " -> ".join(hops)
