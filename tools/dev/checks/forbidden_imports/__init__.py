"""Forbidden-import checker for the workers (stdlib only).

Layout, domain first (nothing but ``fs`` touches the disk, nothing but the
entry script knows about the command line):

* ``model``            value objects: import records, hops, violations, SourceTree
* ``modnames``         module-name arithmetic (paths, relative imports, parents)
* ``fastscan``         regex scanner for plain modules; declines what it is unsure of
* ``astscan``          exact scanner: kinds, dynamic imports, DJANGO_SETTINGS_MODULE
* ``settings_strings`` dotted paths in Django settings modules
* ``scanner``          picks the scanner for a module
* ``graph``            module index and the breadth-first walk from apps/worker
* ``rules``            what is forbidden, one predicate per rule
* ``allowlist``        the one place that excuses non-literal dynamic imports
* ``checker``          the use case: SourceTree + Allowlist -> CheckResult
* ``report``           text and JSON renderings
* ``fs``               filesystem adapter

Entry point: tools/dev/checks/check_worker_forbidden_imports.py.
"""

from .allowlist import Allowlist, AllowlistError, parse_allowlist
from .checker import check
from .model import CheckResult, Hop, ImportRecord, ScanResult, SourceTree, Violation
from .scanner import scan_source

__all__ = [
    "Allowlist",
    "AllowlistError",
    "CheckResult",
    "Hop",
    "ImportRecord",
    "ScanResult",
    "SourceTree",
    "Violation",
    "check",
    "parse_allowlist",
    "scan_source",
]
