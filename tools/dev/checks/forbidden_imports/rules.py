"""What a worker may not import: one predicate per rule, on one module name.

A rule is asked about every module an import runs, parent packages included
(importing ``x.views.helpers`` runs ``x.views``), so predicates look at a
single name and never need to split it themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from .modnames import lineage

ALLOWED_LAYERS = "apps.support, apps.domains, apps.core and apps.shared"


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    matches: Callable[[str], bool] = field(compare=False)
    # What the predicate tests, when it is one of the two common shapes; lets
    # RuleBook answer with dictionary lookups instead of calling every rule.
    package: Optional[str] = None
    last_part: Optional[str] = None


def package_rule(rule_id: str, package: str, description: str) -> Rule:
    """Forbids *package* and everything inside it (not ``package_suffix``)."""
    prefix = package + "."
    return Rule(rule_id, description, lambda m: m == package or m.startswith(prefix), package=package)


def last_part_rule(rule_id: str, part: str, description: str) -> Rule:
    """Forbids every module whose last dotted part is *part* (not ``preview`` for ``views``)."""
    suffix = "." + part
    return Rule(rule_id, description, lambda m: m == part or m.endswith(suffix), last_part=part)


def _never(module: str) -> bool:
    return False


FORBIDDEN = (
    package_rule("worker-imports-api", "apps.api",
                 f"workers must not import the API layer (apps.api); they may use {ALLOWED_LAYERS}"),
    package_rule("worker-imports-rest-framework", "rest_framework",
                 "workers must not import Django REST framework (rest_framework)"),
    package_rule("worker-imports-drf-yasg", "drf_yasg", "workers must not import drf_yasg"),
    package_rule("worker-imports-gunicorn", "gunicorn", "workers must not import gunicorn"),
    last_part_rule("worker-imports-views", "views", "workers must not import a `views` module (HTTP layer)"),
    last_part_rule("worker-imports-serializers", "serializers",
                   "workers must not import a `serializers` module (HTTP layer)"),
    last_part_rule("worker-imports-urls", "urls", "workers must not import a `urls` module (HTTP layer)"),
)

UNFOLLOWABLE_DYNAMIC_IMPORT = Rule(
    "unfollowable-dynamic-import",
    "dynamic import the checker cannot follow: pass a literal module name, or list the file "
    "with a reason in tools/dev/checks/dynamic_imports_allowlist.txt",
    _never,
)

UNREADABLE_MODULE = Rule(
    "unreadable-module",
    "a module reachable from apps/worker could not be read or parsed, so its imports are unknown",
    _never,
)


class RuleBook:
    """The first forbidding rule (in the order given) for a module name, memoised."""

    def __init__(self, rules=FORBIDDEN) -> None:
        self.rules = tuple(rules)
        self._order = {rule: i for i, rule in enumerate(self.rules)}
        self._packages = {}
        self._last_parts = {}
        self._others = []
        for rule in self.rules:
            if rule.package is not None:
                self._packages.setdefault(rule.package, rule)
            elif rule.last_part is not None:
                self._last_parts.setdefault(rule.last_part, rule)
            else:
                self._others.append(rule)
        self._memo: dict = {}

    def __call__(self, module: str) -> Optional[Rule]:
        try:
            return self._memo[module]
        except KeyError:
            pass
        hits = [rule for rule in self._others if rule.matches(module)]
        by_leaf = self._last_parts.get(module.rpartition(".")[2])
        if by_leaf is not None:
            hits.append(by_leaf)
        packages = self._packages
        for step in lineage(module):
            by_package = packages.get(step)
            if by_package is not None:
                hits.append(by_package)
        hit = min(hits, key=self._order.__getitem__) if hits else None
        self._memo[module] = hit
        return hit
