"""Value objects shared by the scanners, the graph, the rules and the renderers.

Nothing here knows about files on disk: a source tree is a set of relative
POSIX paths plus a function that returns the text of one of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, NamedTuple, Optional, Sequence

# How an import happens.  Every import kind is followed and reported.
TOP_LEVEL = "top-level"              # runs when the module is imported (module or class body)
IN_FUNCTION = "in-function"          # inside a def / lambda: runs when the function is called
TYPE_CHECKING = "type-checking"      # under `if TYPE_CHECKING:`: for type checkers only
DYNAMIC = "dynamic"                  # importlib.import_module / __import__ / import_string
SETTINGS_STRING = "settings-string"  # a dotted path in a Django settings module
SETTINGS_ENV = "settings-env"        # DJANGO_SETTINGS_MODULE set to a literal module name
PACKAGE_PARENT = "package-parent"    # a worker module's own parent packages run before it
RELATIVE = "relative-resolved"       # suffix for `from . import x` style imports


def kind_label(kind: str, relative: bool = False) -> str:
    """The kind as shown to people: relative imports say so."""
    if not relative:
        return kind
    return RELATIVE if kind == TOP_LEVEL else f"{kind}, {RELATIVE}"


class ImportRecord(NamedTuple):
    """One imported module, as found in the source of the importing module.

    ``module`` is absolute (relative imports are resolved by the scanner).
    ``names`` are the names of ``from module import names``: each may be a
    submodule, which the graph decides, since only it knows the tree.  ``("*",)``
    is a star import.
    """

    module: str
    line: int
    kind: str = TOP_LEVEL
    names: tuple = ()
    relative: bool = False


class UnfollowableImport(NamedTuple):
    """A dynamic import whose module name is not a literal."""

    line: int
    call: str


class ScanResult(NamedTuple):
    imports: Sequence                  # [ImportRecord]
    unfollowable: Sequence = ()        # [UnfollowableImport]
    error: Optional[str] = None        # set when the module could not be analysed


class Hop(NamedTuple):
    """One step of a chain: the module, its file, and the import leading on.

    ``path`` is None for modules that are not files of the tree (third-party
    packages).  The last hop of a violation's chain has ``line`` and ``kind``
    None; a ``package-parent`` hop has no line either.
    """

    module: str
    path: Optional[str]
    line: Optional[int] = None
    kind: Optional[str] = None


@dataclass(frozen=True)
class Violation:
    rule: str
    description: str
    kind: str
    module: Optional[str]         # the forbidden module; None for an unfollowable dynamic import
    chain: tuple                  # (Hop, ...) from a file under apps/worker to the offence
    detail: str = ""

    def sort_key(self) -> tuple:
        last = self.chain[-2] if self.module is not None and len(self.chain) > 1 else self.chain[-1]
        return (last.path or "", last.line or 0, self.module or "", self.rule)


@dataclass
class CheckResult:
    modules_scanned: int
    violations: list
    unused_allowlist: list = field(default_factory=list)


@dataclass(frozen=True)
class SourceTree:
    """The first-party source files (relative POSIX paths) and a reader for them."""

    paths: tuple
    read: Callable[[str], str]

    @classmethod
    def from_mapping(cls, files: Mapping[str, str]) -> "SourceTree":
        """An in-memory tree, for tests and tools that have the sources already."""
        data = dict(files)
        return cls(tuple(data), data.__getitem__)

    @classmethod
    def of(cls, paths: Iterable[str], read: Callable[[str], str]) -> "SourceTree":
        return cls(tuple(paths), read)
