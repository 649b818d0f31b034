"""Module-name arithmetic: paths to names, relative imports, parent packages."""

from __future__ import annotations

from typing import Optional


def package_of(module: str, is_package: bool) -> str:
    """The package that relative imports in *module* are relative to ("" for a script)."""
    if "/" in module:
        return ""
    if is_package:
        return module
    return module.rpartition(".")[0]


def resolve_relative(package: str, level: int, name: str) -> Optional[str]:
    """``from ..x import y`` in package ``a.b.c`` (level 2, name ``x``) -> ``a.b.x``.

    None when the import climbs above the top-level package.
    """
    if level <= 0:
        return name or None
    parts = package.split(".") if package else []
    climb = level - 1
    if climb > len(parts) - 1 or not parts:
        return None
    base = parts[: len(parts) - climb]
    if name:
        base.append(name)
    return ".".join(base)


_LINEAGE: dict = {}


def lineage(module: str) -> tuple:
    """``a.b.c`` -> ``("a", "a.b", "a.b.c")``: what importing *module* runs, in order."""
    try:
        return _LINEAGE[module]
    except KeyError:
        pass
    parent, dot, _ = module.rpartition(".")
    result = lineage(parent) + (module,) if dot else (module,)
    if len(_LINEAGE) < 500_000:
        _LINEAGE[module] = result
    return result


def is_settings_module(module: str) -> bool:
    """A module called ``settings`` or inside a ``settings`` package."""
    return "settings" in module and "settings" in module.split(".")
