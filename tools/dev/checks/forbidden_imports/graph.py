"""Module names <-> files, and what the workers reach.

``ModuleIndex`` knows which module names are files of the tree, which are
packages (regular or namespace), and which are neither (stdlib, third-party,
missing).  ``reach`` walks breadth-first from every module under the worker
package, so the predecessor it records for each module lies on a shortest
chain back to a worker file.  Python's import semantics it follows:

* importing ``a.b.c`` runs ``a``, ``a.b`` and ``a.b.c`` (their ``__init__``);
* ``from p import n`` imports ``p.n`` too when ``p.n`` is a module of the
  tree; for modules outside the tree ``p.n`` may be a module, so it is only
  judged by the rules, never walked;
* ``from p import *`` imports the submodules that ``p.__all__`` names;
* a worker module's own parent packages run before it.

It stops at modules a rule forbids: what they import is not the workers'
business until the forbidden import itself is gone.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Callable, NamedTuple, Optional

from .model import PACKAGE_PARENT, SETTINGS_ENV, Hop, ImportRecord, ScanResult, kind_label
from .modnames import is_settings_module, lineage

_MODULE_PATH = re.compile(r"[^\W\d]\w*(?:/[^\W\d]\w*)*\.py")


class ModuleIndex:
    """Module name -> path for the ``.py`` files of a tree, and its packages.

    A ``.py`` file whose path is not a module name (``run-worker.py``, a file in
    ``some-dir/``) cannot be imported, but can still be run as a script: it is
    indexed under its path, which no import can name.
    """

    def __init__(self, paths) -> None:
        files = {}
        packages = set()
        for path in paths:
            if not _MODULE_PATH.fullmatch(path):
                if path.endswith(".py") and not path.startswith("/"):
                    files[path] = path
                continue
            name = path[:-3].replace("/", ".")
            if name.endswith(".__init__"):
                name = name[:-9]
                files[name] = path  # a package wins over a same-named module file
                packages.add(name)
            elif name == "__init__":
                continue
            elif name not in files:
                files[name] = path
            parent = name.rpartition(".")[0]
            while parent and parent not in packages:
                packages.add(parent)
                parent = parent.rpartition(".")[0]
        children = {}
        for name in set(files).union(packages):
            parent, dot, leaf = name.rpartition(".")
            if dot and "/" not in name:
                children.setdefault(parent, set()).add(leaf)
        self.files = files
        self.packages = packages
        self.children = children  # package -> names of its submodules and subpackages

    def path(self, module: str) -> Optional[str]:
        return self.files.get(module)

    def exists(self, module: str) -> bool:
        return module in self.files or module in self.packages

    def is_package(self, module: str) -> bool:
        return module in self.packages

    def modules_under(self, package: str) -> list:
        """Modules (and scripts) whose files lie under *package*'s directory."""
        prefix = package + "."
        folder = package.replace(".", "/") + "/"
        return sorted(m for m, path in self.files.items() if m == package or m.startswith(prefix)
                      or ("/" in m and path.startswith(folder)))


class Blocked(NamedTuple):
    """An import of a forbidden module: ``module`` as imported, ``matched`` the forbidden name."""

    source: str
    record: ImportRecord
    module: str
    matched: str
    rule: object


class Reach:
    def __init__(self, index: ModuleIndex) -> None:
        self.index = index
        # module -> (importing module, ImportRecord or None for a package parent);
        # None for the worker modules themselves.
        self.pred: dict = {}
        self.scanned: dict = {}   # module -> ScanResult, in visiting order
        self.blocked: list = []   # [Blocked]

    def hops_to(self, module: str) -> list:
        """Hops from a worker module up to (not including) *module*."""
        hops = []
        pred, index = self.pred, self.index
        step = pred.get(module)
        while step is not None:
            source, record = step
            if record is None:
                hops.append(Hop(source, index.path(source), None, PACKAGE_PARENT))
            else:
                hops.append(Hop(source, index.path(source), record.line, kind_label(record.kind, record.relative)))
            step = pred.get(source)
        hops.reverse()
        return hops


def reach(
    index: ModuleIndex,
    roots: list,
    scan: Callable[[str, bool], ScanResult],
    forbidden: Callable[[str], object],
    all_names: Callable[[str], tuple],
) -> Reach:
    """Walk from *roots*; *scan(module, as_settings)* gives a module's imports,
    *forbidden(name)* the rule that forbids that one name (or None),
    *all_names(package)* the literal ``__all__`` of a package."""
    result = Reach(index)
    pred = result.pred
    scanned = result.scanned
    blocked = result.blocked
    files = index.files
    known = set(files).union(index.packages)
    children = index.children
    settings_targets = set()
    settings_scanned = set()
    clear = set()    # names whose whole lineage is allowed and, where a file, queued
    settled = set()  # (module, names) outside the tree that can bring nothing new
    queue = deque()

    def visit(name: str, source: str, record: Optional[ImportRecord], shown: str) -> bool:
        """Walk *name*'s lineage; False if a forbidden module stopped it."""
        for step in lineage(name):
            if step in clear:
                continue
            rule = forbidden(step)
            if rule is not None:
                if record is not None:
                    blocked.append(Blocked(source, record, shown, step, rule))
                return False
            clear.add(step)
            if step in files and step not in pred:
                pred[step] = (source, record)
                queue.append(step)
        return True

    for root in roots:  # worker modules are scanned whatever their names
        pred[root] = None
        queue.append(root)
    for root in roots:  # `apps/__init__.py` and co. run before any worker module
        if "/" not in root:  # (a script runs no package)
            for parent in lineage(root)[:-1]:
                visit(parent, root, None, parent)

    while queue:
        module = queue.popleft()
        as_settings = module in settings_targets or is_settings_module(module)
        if module in scanned and (not as_settings or module in settings_scanned):
            continue
        found = scan(module, as_settings)
        scanned[module] = found
        if as_settings:
            settings_scanned.add(module)
        for record in found.imports:
            target, _, kind, names, _ = record
            if kind == SETTINGS_ENV and target not in settings_targets:
                settings_targets.add(target)
                if target in scanned and target not in settings_scanned:
                    queue.append(target)  # seen as a plain module before: read it again as settings
            if not names:
                if target not in clear:
                    visit(target, module, record, target)
            elif target in known:
                # `from target import names`: names that are submodules are imported too
                kids = children.get(target)
                if kids:
                    for name in names:
                        if name == "*":
                            for exported in all_names(target):
                                if exported in kids and f"{target}.{exported}" not in clear:
                                    visit(f"{target}.{exported}", module, record, f"{target}.{exported}")
                        elif name in kids and f"{target}.{name}" not in clear:
                            visit(f"{target}.{name}", module, record, f"{target}.{name}")
                if target not in clear:
                    visit(target, module, record, target)
            else:
                # Outside the tree `target.name` may be a module: judged by the rules, never walked.
                key = (target, names)
                if key in settled:
                    continue
                ok = target in clear or visit(target, module, record, target)
                if ok:
                    for name in names:
                        sub = f"{target}.{name}"
                        if name != "*" and sub not in clear:
                            if forbidden(sub) is None:
                                clear.add(sub)
                            else:
                                ok = visit(sub, module, record, sub) and ok
                if ok:
                    settled.add(key)
    return result
