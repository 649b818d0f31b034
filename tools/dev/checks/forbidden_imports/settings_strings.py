"""Dotted paths in Django settings modules, as the imports Django will make.

Django imports what settings name by string: INSTALLED_APPS entries and
ROOT_URLCONF with ``import_module``, MIDDLEWARE, AUTHENTICATION_BACKENDS,
WSGI_APPLICATION, DEFAULT_AUTO_FIELD, EMAIL_BACKEND, every ``BACKEND`` /
``ENGINE`` of DATABASES / CACHES / STORAGES / TEMPLATES, LOGGING's ``class``
and ``()`` factories, REST_FRAMEWORK's classes, and so on, with
``import_string``.  So in a settings module every string literal that looks
like a dotted path and is (part of) the value of an UPPERCASE setting counts
as an import, with these limits, which keep host names, logger names and the
like out:

* dict keys are never paths (LOGGING's logger names are keys);
* inside a dict, a string value counts only under a path key (``BACKEND``,
  ``ENGINE``, ``class``, ``()``, ``context_processors``, ...) or an UPPERCASE
  key (``DEFAULT_AUTHENTICATION_CLASSES``, ``CLIENT_CLASS``); nested dicts are
  searched whatever their key;
* a bare name without a dot counts only in INSTALLED_APPS and ``*URLCONF``
  (``"rest_framework"`` is an app label; ``"INFO"`` or ``"default"`` are not).

An INSTALLED_APPS entry also imports ``<app>.apps`` and ``<app>.models`` when
they exist: Django's app registry does so in ``django.setup()``.

``"a.b.c"`` becomes an import of module ``a.b`` with name ``c``, like
``from a.b import c``: the graph then decides whether ``a.b.c`` is a module
(an app label, a urlconf) or an attribute (a class), since only it knows the tree.
"""

from __future__ import annotations

import ast
import re

from .model import SETTINGS_STRING, ImportRecord

_PATH = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")
_PATH_KEYS = frozenset({"BACKEND", "ENGINE", "class", "()", "context_processors", "loaders", "libraries", "builtins"})
_LIST_METHODS = frozenset({"append", "extend", "insert"})
_APP_SUBMODULES = ("apps", "models")


def _bare_names_allowed(setting: str) -> bool:
    return setting == "INSTALLED_APPS" or setting.endswith("URLCONF")


def _collect_setting(setting: str, node: ast.AST, out: list) -> None:
    _collect(node, True, _bare_names_allowed(setting), out, setting == "INSTALLED_APPS")


def _records(value: str, line: int, bare_ok: bool, app: bool) -> list:
    if not _PATH.fullmatch(value):
        return []
    module, dot, name = value.rpartition(".")
    if not dot:
        if not bare_ok:
            return []
        out = [ImportRecord(value, line, SETTINGS_STRING)]
    else:
        out = [ImportRecord(module, line, SETTINGS_STRING, (name,))]
    if app:  # Django's app registry imports <app>.apps and <app>.models too
        out.append(ImportRecord(value, line, SETTINGS_STRING, _APP_SUBMODULES))
    return out


def _collect(node: ast.AST, counts: bool, bare_ok: bool, out: list, app: bool = False) -> None:
    if isinstance(node, ast.Constant):
        if counts and isinstance(node.value, str):
            out.extend(_records(node.value, node.lineno, bare_ok, app))
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        for element in node.elts:
            _collect(element, counts, bare_ok, out, app)
    elif isinstance(node, ast.Starred):
        _collect(node.value, counts, bare_ok, out, app)
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values):
            key_text = key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
            path_key = key_text is not None and (key_text in _PATH_KEYS or key_text.isupper())
            _collect(value, path_key, False, out)
    elif isinstance(node, ast.BinOp):
        _collect(node.left, counts, bare_ok, out, app)
        _collect(node.right, counts, bare_ok, out, app)
    elif isinstance(node, ast.BoolOp):  # os.environ.get("X") or "a.b.C"
        for value in node.values:
            _collect(value, counts, bare_ok, out, app)
    elif isinstance(node, ast.IfExp):
        _collect(node.body, counts, bare_ok, out, app)
        _collect(node.orelse, counts, bare_ok, out, app)
    elif isinstance(node, ast.Call):  # env("X", default="a.b.C"), dict(BACKEND=...)
        for arg in node.args:
            _collect(arg, counts, False, out)
        for kw in node.keywords:
            _collect(kw.value, counts or (kw.arg is not None and (kw.arg in _PATH_KEYS or kw.arg.isupper())), False, out)


def _module_level(body: list):
    """Statements that run at import time: into if/try/with/for, not into def/class."""
    for node in body:
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for field in ("body", "orelse", "finalbody"):
            yield from _module_level(getattr(node, field, None) or [])
        for handler in getattr(node, "handlers", None) or []:
            yield from _module_level(handler.body)


def settings_records(tree: ast.Module) -> list:
    out = []
    for node in _module_level(tree.body):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id.isupper():
                    _collect_setting(target.id, node.value, out)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            target = node.target
            if isinstance(target, ast.Name) and target.id.isupper() and node.value is not None:
                _collect_setting(target.id, node.value, out)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            func = node.value.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in _LIST_METHODS
                and isinstance(func.value, ast.Name)
                and func.value.id.isupper()
            ):
                args = node.value.args[1:] if func.attr == "insert" else node.value.args
                for arg in args:
                    _collect_setting(func.value.id, arg, out)
    return out
