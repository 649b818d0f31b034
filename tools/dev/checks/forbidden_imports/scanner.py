"""Source text -> the imports of one module: picks the fast or the exact scanner.

Speed approach.  Parsing every module with ``ast`` costs ~130 us each (2.6 s
for 20,000 modules); the regex scanner in ``fastscan`` costs ~15 us and
declines (returns None) whenever it is not certain, so ``ast`` still decides
every hard case.  ``ast`` is used up front for what needs real syntax:

* settings modules (dotted-path strings assigned to settings);
* modules that mention ``DJANGO_SETTINGS_MODULE``;
* modules that mention ``import_module``, ``__import__`` or ``import_string``
  (``fastscan`` declines those: dynamic imports need the syntax tree; aliases
  such as ``from importlib import import_module as im`` contain the name too,
  so a module without these substrings cannot call them).
"""

from __future__ import annotations

from typing import Optional

from .astscan import ast_scan
from .fastscan import fast_scan
from .model import ScanResult
from .modnames import is_settings_module


def scan_source(text: str, module: str, is_package: bool = False, settings: Optional[bool] = None) -> ScanResult:
    """The imports of *module* (whose source is *text*).

    *settings* None means "decide from the name" (``settings`` or ``*.settings.*``).
    """
    if settings is None:
        settings = is_settings_module(module)
    if not settings and "DJANGO_SETTINGS_MODULE" not in text:
        found = fast_scan(text, module, is_package)
        if found is not None:
            return found
    return ast_scan(text, module, is_package, settings)
