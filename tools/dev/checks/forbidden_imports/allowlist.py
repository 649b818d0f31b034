"""The one place that may excuse a non-literal dynamic import.

Format (see tools/dev/checks/dynamic_imports_allowlist.txt): one entry per line,
``relative/path.py  # reason``; the path is relative to the checked root, the
reason is required; blank lines and lines starting with ``#`` are ignored.
An entry excuses every non-literal dynamic import in that file, nothing else:
literal dynamic imports are followed and checked like any other import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

ALLOWLIST_PATH = "tools/dev/checks/dynamic_imports_allowlist.txt"


class AllowlistError(ValueError):
    pass


@dataclass(frozen=True)
class Allowlist:
    entries: Mapping = field(default_factory=dict)  # path -> reason

    def allows(self, path: str) -> bool:
        return path in self.entries


def parse_allowlist(text: str, source: str = ALLOWLIST_PATH) -> Allowlist:
    entries = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        path, _, reason = line.partition("#")
        path, reason = path.strip(), reason.strip()
        where = f"{source}:{number}"
        if not reason:
            raise AllowlistError(f"{where}: an entry needs a reason: 'path/to/module.py  # why' (got {raw.strip()!r})")
        if (
            not path.endswith(".py")
            or path.startswith("/")
            or "\\" in path
            or any(ch.isspace() for ch in path)
            or any(part in ("", ".", "..") for part in path.split("/"))
        ):
            raise AllowlistError(f"{where}: {path!r} is not a relative path to a .py file")
        if path in entries:
            raise AllowlistError(f"{where}: {path} is listed twice")
        entries[path] = reason
    return Allowlist(entries)
