"""Benchmark for tools/checks/check_worker_forbidden_imports.py.

Generates a synthetic monorepo tree (apps/{worker,support,domains,core,shared}
plus a small apps/api that the workers must never reach), times the checker
in-process, and - when the ``importlinter`` package is importable - times
import-linter's ``lint-imports`` on the same tree with an equivalent forbidden
contract.

    python3 tools/bench/forbidden_imports_bench.py --modules 20000

Stdlib only.  The tree is written to a temporary directory and removed
afterwards unless --keep is given.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[2]
if str(_REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(_REPO_ROOT))

# Share of the generated modules per layer, in import order: a module may only
# import modules of its own layer that come later in the list, or of a later
# layer, so the generated graph is acyclic and layered like the real one.
LAYERS = (
    ("worker", 0.05),
    ("support", 0.30),
    ("domains", 0.25),
    ("core", 0.20),
    ("shared", 0.20),
)
WORKER_APPS = ("video", "ai", "messaging")
MODULES_PER_PACKAGE = 12
PACKAGES_PER_GROUP = 8

STDLIB_IMPORTS = (
    "import json",
    "import logging",
    "import os",
    "import re",
    "import time",
    "from dataclasses import dataclass, field",
    "from datetime import datetime, timedelta",
    "from typing import TYPE_CHECKING, Any",
    "from collections import defaultdict",
    "import itertools",
    "from pathlib import Path",
)
THIRD_PARTY_IMPORTS = (
    "import boto3",
    "from django.db import models",
    "from django.conf import settings",
    "from pydantic import BaseModel",
    "from django.utils import timezone",
)

ILINT_CONFIG = """\
[importlinter]
root_packages =
    apps
include_external_packages = True

[importlinter:contract:worker-forbidden]
name = Workers must not import the API layer or the HTTP stack
type = forbidden
source_modules =
    apps.worker
forbidden_modules =
    apps.api
    rest_framework
    drf_yasg
    gunicorn
    apps.**.views
    apps.**.serializers
    apps.**.urls
"""


class _Module:
    __slots__ = ("name", "path", "index", "imports", "layer")

    def __init__(self, name: str, path: str, index: int, layer: str) -> None:
        self.name = name
        self.path = path
        self.index = index
        self.layer = layer
        self.imports: list[_Module] = []


def _plan(n_modules: int, rng: random.Random) -> tuple[list[_Module], set[str]]:
    """Lay out module names/paths; return the leaf modules and every package dir."""
    modules: list[_Module] = []
    packages: set[str] = {"apps"}
    for layer, share in LAYERS:
        count = max(1, int(n_modules * share))
        group_names = WORKER_APPS if layer == "worker" else None
        made = 0
        group = 0
        while made < count:
            gname = group_names[group % len(group_names)] if group_names else f"pkg_{group:03d}"
            if group_names and group >= len(group_names):
                gname = f"{gname}_{group // len(group_names)}"
            for p in range(PACKAGES_PER_GROUP):
                pkg = f"apps/{layer}/{gname}/sub_{p:02d}"
                packages.update({f"apps/{layer}", f"apps/{layer}/{gname}", pkg})
                for m in range(MODULES_PER_PACKAGE):
                    if made >= count:
                        break
                    stem = "sqs_main" if layer == "worker" and m == 0 else f"mod_{m:02d}"
                    name = f"{pkg}/{stem}".replace("/", ".")
                    modules.append(_Module(name, f"{pkg}/{stem}.py", len(modules), layer))
                    made += 1
                if made >= count:
                    break
            group += 1
    # Every package __init__ counts as a module: shrink to the requested total.
    while len(modules) + len(packages) > n_modules and len(modules) > 1:
        modules.pop()
    packages = {p for p in packages if any(m.path.startswith(p + "/") for m in modules)} | {"apps"}
    return modules, packages


def _wire(modules: list[_Module], rng: random.Random) -> None:
    """Give each module a few first-party imports; nearly all are reachable from workers."""
    n = len(modules)
    worker_count = sum(1 for m in modules if m.layer == "worker")
    for m in modules[worker_count:]:
        if rng.random() < 0.97:  # ~3% stay unreachable, like dead code
            importer = modules[rng.randrange(0, m.index)]
            importer.imports.append(m)
    for m in modules:
        for _ in range(rng.randint(2, 4)):
            lo = max(m.index + 1, worker_count)
            if lo < n:
                m.imports.append(modules[rng.randrange(lo, n)])


def _import_line(target: _Module, rng: random.Random, k: int) -> str:
    pkg, _, leaf = target.name.rpartition(".")
    style = rng.random()
    if style < 0.35:
        return f"from {pkg} import {leaf}"
    if style < 0.6:
        return f"import {target.name}"
    if style < 0.8:
        return f"from {target.name} import helper, Thing"
    return f"from {target.name} import (\n    helper as helper_{k},\n    Thing as Thing_{k},  # re-exported\n)"


def _render(m: _Module, rng: random.Random) -> str:
    stem = m.name.rpartition(".")[2]
    lines = [
        f'"""{stem}: generated module of the {m.layer} layer.',
        "",
        "Only a docstring mentions the API layer, for instance::",
        "",
        "    from apps.api.v1 import views",
        "    import rest_framework",
        '"""',
        "",
        "from __future__ import annotations",
        "",
    ]
    lines += sorted(rng.sample(STDLIB_IMPORTS, 4))
    if rng.random() < 0.3:
        lines.append(rng.choice(THIRD_PARTY_IMPORTS))
    lines.append("")
    eager = m.imports[:]
    lazy = []
    checking = []
    if len(eager) > 2 and rng.random() < 0.12:
        lazy.append(eager.pop())
    if len(eager) > 2 and rng.random() < 0.06:
        checking.append(eager.pop())
    for k, t in enumerate(eager):
        lines.append(_import_line(t, rng, k))
    if checking:
        lines += ["", "if TYPE_CHECKING:"] + [f"    from {t.name} import Thing as _T{k}" for k, t in enumerate(checking)]
    lines += [
        "",
        "logger = logging.getLogger(__name__)",
        f'TEMPLATE = "import {stem} from somewhere; not code"',
        "",
        "",
        "@dataclass",
        "class Thing:",
        '    """A value object."""',
        "",
        "    name: str",
        "    size: int = 0",
        "",
        "    def describe(self) -> str:",
        "        # from apps.api import urls  <- a comment, not an import",
        '        return f"{self.name}:{self.size}"',
        "",
        "",
        "def helper(value: Any = None) -> dict:",
        '    """Return a summary dict for *value*."""',
        '    result = {"value": value, "when": datetime.now().isoformat()}',
    ]
    for t in lazy:
        lines += [
            "    if value:",
            f"        from {t.name} import helper as lazy_helper",
            "",
            '        result["lazy"] = lazy_helper(value)',
        ]
    lines.append("    return result")
    for j in range(rng.randint(1, 3)):
        lines += [
            "",
            "",
            f"def compute_{j}(items: list, *, scale: int = {j + 1}) -> list:",
            f'    """Scale and filter items ({j})."""',
            "    out = [",
            "        item * scale",
            "        for item in items",
            "        if item is not None",
            "    ]",
            f'    logger.debug("compute_{j}: %d items", len(out))',
            "    return out",
        ]
    return "\n".join(lines) + "\n"


def _init_source(pkg: str) -> str:
    return f'"""Package {pkg.replace("/", ".")}."""\n'


API_FILES = {
    "apps/api/__init__.py": "",
    "apps/api/v1/__init__.py": "",
    "apps/api/v1/views.py": "from rest_framework import viewsets\n\n\nclass ThingViewSet(viewsets.ViewSet):\n    pass\n",
    "apps/api/v1/serializers.py": "from rest_framework import serializers\n",
    "apps/api/v1/urls.py": "from apps.api.v1 import views\n\nurlpatterns = []\n",
}


def generate_tree(root: Path, n_modules: int, seed: int = 7) -> int:
    """Write the synthetic tree under *root*; return the number of .py files written."""
    rng = random.Random(seed)
    modules, packages = _plan(n_modules - len(API_FILES), rng)
    _wire(modules, rng)
    for pkg in sorted(packages):
        (root / pkg).mkdir(parents=True, exist_ok=True)
        (root / pkg / "__init__.py").write_text(_init_source(pkg))
    for m in modules:
        (root / m.path).write_text(_render(m, rng))
    for path, text in API_FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return len(packages) + len(modules) + len(API_FILES)


def _time(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def _time_ours(root: Path, repeat: int) -> tuple[list[float], int, int]:
    from tools.checks.forbidden_imports import fs
    from tools.checks.forbidden_imports.checker import check

    outcome = {}

    def run() -> None:
        outcome["result"] = check(fs.load_tree(root), fs.load_allowlist(root))

    times = _time(run, repeat)
    result = outcome["result"]
    return times, result.modules_scanned, len(result.violations)


def _time_import_linter(root: Path, repeat: int) -> list[float] | None:
    """Run lint-imports in a child process per run (no cache); None if unavailable."""
    python = os.environ.get("IMPORTLINTER_PYTHON", sys.executable)
    probe = subprocess.run([python, "-c", "import importlinter"], capture_output=True)
    if probe.returncode != 0:
        return None
    (root / ".importlinter").write_text(ILINT_CONFIG)
    code = (
        "import sys, time\n"
        "sys.path.insert(0, '.')\n"
        "from importlinter.cli import lint_imports\n"
        "t0 = time.perf_counter()\n"
        "rc = lint_imports(config_filename='.importlinter', no_cache=True, no_logo=True)\n"
        "print('ELAPSED', time.perf_counter() - t0, rc, file=sys.stderr)\n"
    )
    times = []
    for _ in range(repeat):
        proc = subprocess.run(
            [python, "-c", code], cwd=root, capture_output=True, text=True,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        elapsed = [ln for ln in proc.stderr.splitlines() if ln.startswith("ELAPSED")]
        if not elapsed:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit("import-linter run failed")
        _, seconds, rc = elapsed[-1].split()
        if rc != "0":
            sys.stderr.write(proc.stdout)
            raise SystemExit(f"import-linter reported a broken contract (rc={rc})")
        times.append(float(seconds))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", type=int, default=20000, help="modules to generate (default 20000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per tool (default 5)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it")
    parser.add_argument("--skip-import-linter", action="store_true")
    args = parser.parse_args(argv)
    if args.modules < 50:
        parser.error("--modules must be at least 50")

    print(f"machine: {platform.platform()}, python {platform.python_version()}, "
          f"os.cpu_count()={os.cpu_count()}")
    tmp = None
    if args.keep:
        root = Path(args.keep)
        root.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.mkdtemp(prefix="forbidden-imports-bench-")
        root = Path(tmp)
    try:
        t0 = time.perf_counter()
        files = generate_tree(root, args.modules, args.seed)
        print(f"generated {files} modules under {root} in {time.perf_counter() - t0:.1f}s")

        ours, scanned, violations = _time_ours(root, args.repeat)
        print(f"checker: {scanned} modules reachable from apps/worker, {violations} violation(s)")
        rows = [("check_worker_forbidden_imports (in-process)", ours)]
        if not args.skip_import_linter:
            theirs = _time_import_linter(root, args.repeat)
            if theirs is None:
                print("import-linter: not importable (set IMPORTLINTER_PYTHON to a python that has it)")
            else:
                rows.append(("import-linter lint_imports (no cache)", theirs))

        base = min(ours)
        print()
        print(f"{'tool':<46} {'best s':>8} {'median s':>9} {'best ratio':>11}")
        for label, times in rows:
            print(f"{label:<46} {min(times):>8.3f} {statistics.median(times):>9.3f} "
                  f"{min(times) / base:>10.1f}x")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
