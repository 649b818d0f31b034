"""The use case: which forbidden imports do the workers reach?

A ``SourceTree`` (paths + reader) and an ``Allowlist`` in, a ``CheckResult``
out; ``fs`` builds both from a directory.  Modules are read and scanned as
the walk reaches them, so unreachable code (the API itself) is never read.
"""

from __future__ import annotations

import gc

from .allowlist import Allowlist
from .astscan import literal_all
from .graph import ModuleIndex, reach
from .model import DYNAMIC, CheckResult, Hop, ScanResult, SourceTree, Violation, kind_label
from .rules import FORBIDDEN, UNFOLLOWABLE_DYNAMIC_IMPORT, UNREADABLE_MODULE, RuleBook
from .scanner import scan_source

WORKER_PACKAGE = "apps.worker"


def _scan_file(read, path: str, module: str, as_settings: bool) -> ScanResult:
    try:
        text = read(path)
    except (OSError, UnicodeError) as exc:
        return ScanResult([], (), f"cannot read: {exc}")
    return scan_source(text, module, path.endswith("/__init__.py"), as_settings)


def check(
    tree: SourceTree,
    allowlist: Allowlist = Allowlist(),
    rules=FORBIDDEN,
    worker_package: str = WORKER_PACKAGE,
) -> CheckResult:
    enabled = gc.isenabled()
    gc.disable()  # hundreds of thousands of small tuples, none of them cyclic
    try:
        return _check(tree, allowlist, rules, worker_package)
    finally:
        if enabled:
            gc.enable()


def _check(tree: SourceTree, allowlist: Allowlist, rules, worker_package: str) -> CheckResult:
    index = ModuleIndex(tree.paths)
    read = tree.read

    def scan(module: str, as_settings: bool) -> ScanResult:
        return _scan_file(read, index.files[module], module, as_settings)

    def all_names(package: str) -> tuple:
        path = index.files.get(package)
        if path is None:
            return ()
        try:
            return literal_all(read(path))
        except (OSError, UnicodeError):
            return ()

    walked = reach(index, index.modules_under(worker_package), scan, RuleBook(rules), all_names)

    violations = []
    seen = set()
    for b in walked.blocked:
        key = (b.source, b.record.line, b.matched)
        if key in seen:
            continue
        seen.add(key)
        kind = kind_label(b.record.kind, b.record.relative)
        chain = walked.hops_to(b.source)
        chain.append(Hop(b.source, index.path(b.source), b.record.line, kind))
        chain.append(Hop(b.module, index.path(b.module)))
        # Say why when the rule matched a parent package rather than the module itself.
        detail = "" if b.rule.matches(b.module) else f"importing {b.module} runs {b.matched}"
        violations.append(Violation(b.rule.id, b.rule.description, kind, b.module, tuple(chain), detail))

    used = set()
    for module, found in walked.scanned.items():
        if not found.error and not found.unfollowable:
            continue
        path = index.path(module)
        before = walked.hops_to(module)
        if found.error:
            violations.append(Violation(UNREADABLE_MODULE.id, UNREADABLE_MODULE.description, "-", None,
                                        tuple(before + [Hop(module, path)]), found.error))
        if found.unfollowable and allowlist.allows(path):
            used.add(path)
            continue
        for dyn in found.unfollowable:
            chain = before + [Hop(module, path, dyn.line, DYNAMIC)]
            violations.append(Violation(UNFOLLOWABLE_DYNAMIC_IMPORT.id, UNFOLLOWABLE_DYNAMIC_IMPORT.description,
                                        DYNAMIC, None, tuple(chain), dyn.call))
    violations.sort(key=Violation.sort_key)
    unused = sorted(set(allowlist.entries) - used)
    return CheckResult(len(walked.scanned), violations, unused)
