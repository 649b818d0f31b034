"""Benchmark for tools/dev/checks/check_worker_forbidden_imports.py.

Generates a synthetic monorepo tree (apps/{worker,support,domains,core,shared}
plus a small apps/api that the workers must never reach), times the checker
(``check()`` inside a fresh interpreter per run, so no cache is warm, and the
CLI's wall time) and - when import-linter is importable - import-linter's
``lint_imports()`` / ``lint-imports --no-cache`` on the same tree with an
equivalent forbidden contract.

    tools/bazel run //tools/dev/bench:forbidden_imports_bench -- --modules 20000

The tree is written to a temporary directory and removed
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

_REPO_ROOT = Path(__file__).resolve().parents[3]

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


def _layout(leaves: int) -> tuple[list[_Module], set[str]]:
    """*leaves* modules spread over the layers by share; the packages that hold them."""
    modules: list[_Module] = []
    packages: set[str] = {"apps"}
    counts = [max(1, int(leaves * share)) for _, share in LAYERS]
    counts[-1] = max(1, leaves - sum(counts[:-1]))
    for (layer, _), count in zip(LAYERS, counts):
        made = 0
        group = 0
        while made < count:
            if layer == "worker":
                gname = WORKER_APPS[group % len(WORKER_APPS)]
                if group >= len(WORKER_APPS):
                    gname = f"{gname}_{group // len(WORKER_APPS)}"
            else:
                gname = f"pkg_{group:03d}"
            for p in range(PACKAGES_PER_GROUP):
                if made >= count:
                    break
                pkg = f"apps/{layer}/{gname}/sub_{p:02d}"
                packages.update({f"apps/{layer}", f"apps/{layer}/{gname}", pkg})
                for m in range(min(MODULES_PER_PACKAGE, count - made)):
                    stem = "sqs_main" if layer == "worker" and m == 0 else f"mod_{m:02d}"
                    name = f"{pkg}/{stem}".replace("/", ".")
                    modules.append(_Module(name, f"{pkg}/{stem}.py", len(modules), layer))
                    made += 1
            group += 1
    return modules, packages


def _plan(n_modules: int) -> tuple[list[_Module], set[str]]:
    """A layout whose modules plus package __init__ files come to *n_modules* (or just under)."""
    leaves = n_modules
    best = None
    for _ in range(30):
        modules, packages = _layout(max(len(LAYERS), leaves))
        total = len(modules) + len(packages)
        if total <= n_modules and (best is None or total > len(best[0]) + len(best[1])):
            best = (modules, packages)
        if total == n_modules:
            return best
        leaves -= total - n_modules
    modules, packages = best
    # Top up with extra modules in the last package: each adds exactly one module.
    pkg = modules[-1].path.rpartition("/")[0]
    for i in range(n_modules - len(modules) - len(packages)):
        name = f"{pkg}/extra_{i:03d}".replace("/", ".")
        modules.append(_Module(name, f"{pkg}/extra_{i:03d}.py", len(modules), modules[-1].layer))
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


def _render(m: _Module, rng: random.Random, mentions: float) -> str:
    stem = m.name.rpartition(".")[2]
    mention = rng.random() < mentions
    lines = [f'"""{stem}: generated module of the {m.layer} layer.', ""]
    if mention:  # import statements in a docstring: text, not imports
        lines += ["Only a docstring mentions the API layer, for instance::", "",
                  "    from apps.api.v1 import views", "    import rest_framework"]
    else:
        lines += ["Helpers and value objects; see the package docstring for the overview."]
    lines += ['"""', "", "from __future__ import annotations", ""]
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
        f'TEMPLATE = "import {stem} from somewhere; not code"' if mention else f'TEMPLATE = "{stem}: %s"',
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
        "        # from apps.api import urls  <- a comment, not an import" if mention
        else "        # name and size, for logs",
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


def generate_tree(root: Path, n_modules: int, seed: int = 7, mentions: float = 0.1) -> int:
    """Write the synthetic tree under *root*; return the number of .py files written.

    *mentions* is the share of modules whose docstring and comments quote import
    statements (text the checker must not mistake for imports).
    """
    rng = random.Random(seed)
    modules, packages = _plan(n_modules - len(API_FILES))
    _wire(modules, rng)
    for pkg in sorted(packages):
        (root / pkg).mkdir(parents=True, exist_ok=True)
        (root / pkg / "__init__.py").write_text(_init_source(pkg))
    for m in modules:
        (root / m.path).write_text(_render(m, rng, mentions))
    for path, text in API_FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return len(packages) + len(modules) + len(API_FILES)


def _stats(times: list[float]) -> tuple[float, float]:
    return min(times), statistics.median(times)


_OURS_IN_PROCESS = (
    "import sys, time\n"
    "sys.path.insert(0, {repo!r})\n"
    "from tools.dev.checks.forbidden_imports import fs\n"
    "from tools.dev.checks.forbidden_imports.checker import check\n"
    "t0 = time.perf_counter()\n"
    "result = check(fs.load_tree({root!r}), fs.load_allowlist({root!r}))\n"
    "print('ELAPSED', time.perf_counter() - t0, result.modules_scanned, len(result.violations))\n"
    "for v in result.violations[:3]:\n"
    "    print('CHAIN', ' -> '.join((h.path or h.module) + (f':{{h.line}}' if h.line else '') for h in v.chain))\n"
)


def _time_ours(root: Path, repeat: int) -> tuple[list[float], int, int, list[str]]:
    """check() timed inside a fresh interpreter per run (cold caches), tree listing included.

    Returns (seconds per run, modules reachable, violations, first chains).
    """
    code = _OURS_IN_PROCESS.format(repo=str(_REPO_ROOT), root=str(root))
    times = []
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        lines = proc.stdout.splitlines()
        elapsed = [ln for ln in lines if ln.startswith("ELAPSED")]
        if proc.returncode != 0 or not elapsed:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit("the checker failed")
        _, seconds, scanned, violations = elapsed[0].split()
        times.append(float(seconds))
    chains = [ln[len("CHAIN "):] for ln in lines if ln.startswith("CHAIN ")]
    return times, int(scanned), int(violations), chains


def _time_ours_cli(root: Path, repeat: int) -> list[float]:
    """Wall time of the command line, interpreter start-up included."""
    script = _REPO_ROOT / "tools/dev/checks/check_worker_forbidden_imports.py"
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, str(script), "--root", str(root)], capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode not in (0, 1):
            sys.stderr.write(proc.stderr)
            raise SystemExit("the checker failed")
    return times


def _import_linter_available(python: str) -> bool:
    probe = subprocess.run([python, "-c", "import importlinter"], capture_output=True)
    return probe.returncode == 0


_ILINT_IN_PROCESS = (
    "import sys, time\n"
    "sys.path.insert(0, '.')\n"
    "from importlinter.cli import lint_imports\n"
    "t0 = time.perf_counter()\n"
    "rc = lint_imports(config_filename='.importlinter', no_cache=True, no_logo=True)\n"
    "print('ELAPSED', time.perf_counter() - t0, rc, file=sys.stderr)\n"
)


def _time_import_linter(root: Path, repeat: int, python: str) -> tuple[list[float], list[float], int]:
    """import-linter on the same tree, no cache: (in-process seconds, CLI wall seconds, exit code).

    Each run is a fresh interpreter; the in-process figure is timed around
    ``lint_imports()`` only, like ours; the CLI figure includes start-up.
    """
    (root / ".importlinter").write_text(ILINT_CONFIG)
    # Keep the caller's PYTHONPATH: under `bazel run` it is where import-linter lives.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    inner, wall = [], []
    rc = None
    for _ in range(repeat):
        proc = subprocess.run([python, "-c", _ILINT_IN_PROCESS], cwd=root, capture_output=True, text=True, env=env)
        elapsed = [ln for ln in proc.stderr.splitlines() if ln.startswith("ELAPSED")]
        if not elapsed:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit("import-linter run failed")
        _, seconds, rc = elapsed[-1].split()
        inner.append(float(seconds))
        # The `lint-imports` console script, started the way its entry point starts it.
        command = [python, "-c", "import sys; from importlinter.cli import lint_imports_command as c;"
                   " sys.argv = ['lint-imports', '--no-cache']; c()"]
        t0 = time.perf_counter()
        cli = subprocess.run(command, cwd=root, capture_output=True, text=True, env=env)
        wall.append(time.perf_counter() - t0)
        if cli.returncode != int(rc):
            raise SystemExit(f"lint-imports CLI exited {cli.returncode}: {cli.stderr.strip()[-500:]}")
    return inner, wall, int(rc)


def _inject_violation(root: Path) -> str:
    """Make the deepest shared module import the API; return the module changed."""
    target = sorted((root / "apps/shared").rglob("mod_*.py"))[-1]
    with target.open("a") as fh:
        fh.write("\n\ndef late():\n    from apps.api.v1 import urls\n    return urls\n")
    return target.relative_to(root).as_posix()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", type=int, default=20000, help="modules to generate (default 20000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per tool (default 5)")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the generated tree (default 7)")
    parser.add_argument("--mentions", type=float, default=0.1,
                        help="share of modules whose docstrings/comments quote import statements (default 0.1)")
    parser.add_argument("--with-violation", action="store_true",
                        help="add one forbidden in-function import deep in the tree (both tools must report it)")
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR (must be empty or absent) and keep it")
    parser.add_argument("--importlinter-python", metavar="PYTHON", default=sys.executable,
                        help="interpreter that has import-linter installed (default: this one)")
    parser.add_argument("--skip-import-linter", action="store_true")
    args = parser.parse_args(argv)
    if args.modules < 50:
        parser.error("--modules must be at least 50")

    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}, os.cpu_count()={os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    tmp = None
    if args.keep:
        root = Path(args.keep)
        root.mkdir(parents=True, exist_ok=True)
        if any(root.iterdir()):
            parser.error(f"--keep {root}: directory is not empty")
    else:
        tmp = tempfile.mkdtemp(prefix="forbidden-imports-bench-")
        root = Path(tmp)
    try:
        t0 = time.perf_counter()
        files = generate_tree(root, args.modules, args.seed, args.mentions)
        print(f"generated {files} modules under {root} in {time.perf_counter() - t0:.1f}s")
        if args.with_violation:
            print(f"injected a forbidden import into {_inject_violation(root)}")

        rows = []
        ours, scanned, violations, chains = _time_ours(root, args.repeat)
        print(f"checker: {scanned} modules reachable from apps/worker, {violations} violation(s)")
        for chain in chains:
            print(f"  {chain}")
        rows.append(("ours: check(), in-process", ours))
        rows.append(("ours: CLI wall (interpreter start-up included)", _time_ours_cli(root, args.repeat)))

        if args.skip_import_linter:
            pass
        elif not _import_linter_available(args.importlinter_python):
            print(f"import-linter: not importable by {args.importlinter_python} (see --importlinter-python)")
        else:
            inner, wall, rc = _time_import_linter(root, args.repeat, args.importlinter_python)
            print(f"import-linter: exit {rc} ({'contract broken' if rc else 'contract kept'})")
            rows.append(("import-linter lint_imports(), in-process, no cache", inner))
            rows.append(("import-linter lint-imports CLI wall, no cache", wall))

        base = min(ours)
        print()
        print(f"{'':<52} {'best s':>8} {'median s':>9} {'best / ours':>12}")
        for label, times in rows:
            best, median = _stats(times)
            print(f"{label:<52} {best:>8.3f} {median:>9.3f} {best / base:>11.1f}x")
        print(f"(best and median of {args.repeat} runs; ratios against ours: check(), in-process)")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
