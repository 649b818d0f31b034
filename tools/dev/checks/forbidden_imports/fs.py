"""The filesystem adapter: a directory -> SourceTree and Allowlist.

The only module of the package that touches the disk.
"""

from __future__ import annotations

import io
import os
import tokenize
from pathlib import Path

from .allowlist import ALLOWLIST_PATH, Allowlist, parse_allowlist
from .model import SourceTree

FIRST_PARTY = ("apps",)


def list_sources(root, top=FIRST_PARTY) -> list:
    """Relative POSIX paths of the ``.py`` files under ``root/<top>``.

    Skips ``__pycache__`` and hidden directories, and does not follow directory
    symlinks.  Files that cannot be imported by name are listed too: under
    apps/worker they may still be run as scripts.
    """
    root = os.fspath(root)
    out = []
    stack = [(os.path.join(root, name), name + "/") for name in reversed(top)]
    while stack:
        directory, rel = stack.pop()
        try:
            entries = os.scandir(directory)
        except OSError:
            continue
        with entries:
            subdirs = []
            for entry in entries:
                name = entry.name
                if name.endswith(".py"):
                    if entry.is_file():
                        out.append(rel + name)
                elif entry.is_dir(follow_symlinks=False) and name != "__pycache__" and not name.startswith("."):
                    subdirs.append((entry.path, rel + name + "/"))
            stack.extend(subdirs)
    return out


def read_source(root: str, path: str) -> str:
    """A module's text: UTF-8 (the default), else the PEP 263 declared encoding."""
    fd = os.open(f"{root}/{path}", os.O_RDONLY)
    try:
        data = os.read(fd, 65536)
        if len(data) == 65536:
            while True:
                more = os.read(fd, 1 << 20)
                if not more:
                    break
                data += more
    finally:
        os.close(fd)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            text = data.decode(encoding)
        except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
            raise UnicodeError(f"{path}: not UTF-8 and no usable encoding declaration ({exc})") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def load_tree(root) -> SourceTree:
    root = os.fspath(root)
    return SourceTree.of(list_sources(root), lambda path: read_source(root, path))


def load_allowlist(root) -> Allowlist:
    path = Path(root, ALLOWLIST_PATH)
    if not path.is_file():
        return Allowlist()
    return parse_allowlist(path.read_text(encoding="utf-8"), ALLOWLIST_PATH)
