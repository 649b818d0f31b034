"""Deterministic tar layers: sorted entries, fixed mtime, uid/gid 0, no user names.

The same inputs give the same bytes on any machine, so a layer's digest changes only when
its content does.
"""

import io
import tarfile
from dataclasses import dataclass

# pkg_tar's "portable" mtime: 2000-01-01, not 0, which some tools treat as "unset".
MTIME = 946684800


@dataclass
class Entry:
    info: tarfile.TarInfo
    data: bytes | None = None


class LayerBuilder:
    """Collects entries by path (the last writer of a file wins; directories merge)."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}

    @staticmethod
    def _normalize(path: str) -> str:
        path = path.lstrip("./").rstrip("/") if path not in (".", "./") else ""
        while path.startswith("./"):
            path = path[2:]
        return path

    def _ensure_parents(self, path: str) -> None:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            parent = "/".join(parts[:i])
            if parent not in self.entries:
                self.add_directory(parent)

    def add_directory(self, path: str, mode: int = 0o755, owner: int = 0) -> None:
        """owner: a numeric uid/gid for a directory the image's user must write (its home)."""
        path = self._normalize(path)
        if not path or (path in self.entries and self.entries[path].info.isdir() and not owner):
            return
        info = tarfile.TarInfo(path)
        info.type = tarfile.DIRTYPE
        info.mode = mode
        self._add(Entry(info), owner)

    def add_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        info = tarfile.TarInfo(self._normalize(path))
        info.size = len(data)
        info.mode = mode
        self._add(Entry(info, data))

    def add_symlink(self, path: str, target: str) -> None:
        info = tarfile.TarInfo(self._normalize(path))
        info.type = tarfile.SYMTYPE
        info.linkname = target
        info.mode = 0o777
        self._add(Entry(info))

    def add_member(self, member: tarfile.TarInfo, data: bytes | None) -> None:
        """An entry taken from another tar (a .deb's data): its type, mode and link kept."""
        info = tarfile.TarInfo(self._normalize(member.name))
        if not info.name:
            return
        info.type = member.type
        info.mode = member.mode & 0o7777
        info.linkname = self._normalize(member.linkname) if member.islnk() else member.linkname
        info.size = len(data) if data is not None else 0
        if member.isdir():
            if info.name in self.entries and self.entries[info.name].info.isdir():
                return
        self._add(Entry(info, data))

    def _add(self, entry: Entry, owner: int = 0) -> None:
        info = entry.info
        info.mtime = MTIME
        info.uid = info.gid = owner
        info.uname = info.gname = ""
        self._ensure_parents(info.name)
        self.entries[info.name] = entry

    def write(self, out: io.BufferedIOBase) -> None:
        # GNU format: long names without PAX headers that would carry nothing useful.
        with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
            for name in sorted(self.entries):
                entry = self.entries[name]
                tar.addfile(entry.info, io.BytesIO(entry.data) if entry.data is not None else None)
