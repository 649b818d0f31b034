"""The exact path: imports, dynamic imports and settings strings from an AST.

Used for the modules the fast scanner cannot vouch for: settings modules,
modules that mention a dynamic-import function or DJANGO_SETTINGS_MODULE, and
anything ``fastscan`` declines.
"""

from __future__ import annotations

import ast
import re
from typing import Optional

from . import settings_strings
from .model import (
    DYNAMIC,
    IN_FUNCTION,
    SETTINGS_ENV,
    TOP_LEVEL,
    TYPE_CHECKING,
    ImportRecord,
    ScanResult,
    UnfollowableImport,
)
from .modnames import package_of, resolve_relative

# Fully qualified callables that import the module named by their argument.
_IMPORTERS = {
    "importlib.import_module": "import_module",
    "importlib.__import__": "__import__",
    "builtins.__import__": "__import__",
    "__import__": "__import__",
    "django.utils.module_loading.import_string": "import_string",
}
# A function imported under one of these names from anywhere else (a wrapper
# re-exported by some compat module) is treated as the real thing.
_IMPORTER_LEAVES = {"import_module": "import_module", "import_string": "import_string", "__import__": "__import__"}

_ENV_KEY = "DJANGO_SETTINGS_MODULE"
_DOTTED = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")


def literal_str(node: ast.AST) -> Optional[str]:
    """The value of a string literal, a constant f-string, or a sum of those."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        parts = [literal_str(v) for v in node.values]
        return None if any(p is None for p in parts) else "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = literal_str(node.left), literal_str(node.right)
        return None if left is None or right is None else left + right
    return None


def _dotted(node: ast.AST) -> Optional[list]:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    parts.reverse()
    return parts


def _bindings(tree: ast.AST) -> dict:
    """Local name -> qualified name, for every import and plain alias in the file."""
    names = {}
    assigns = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    head = alias.name.partition(".")[0]
                    names[head] = head
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assigns.append(node)
    for node in assigns:  # `load = importlib.import_module`
        parts = _dotted(node.value)
        if parts:
            head = names.get(parts[0], parts[0])
            qualified = ".".join([head] + parts[1:])
            if qualified in _IMPORTERS:
                names[node.targets[0].id] = qualified
    return names


def _is_type_checking(test: ast.AST) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _arg(call: ast.Call, position: int, keyword: str) -> Optional[ast.AST]:
    if len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return call.args[position]
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return None


class _Visitor(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, bindings: dict) -> None:
        self.module = module
        self.package = package_of(module, is_package)
        self.bindings = bindings
        self.kind = TOP_LEVEL
        self.records = []
        self.unfollowable = []

    # --- where we are -------------------------------------------------------
    def _visit_as(self, kind: str, nodes) -> None:
        saved, self.kind = self.kind, kind
        for node in nodes:
            self.visit(node)
        self.kind = saved

    def _inner(self) -> str:
        return TYPE_CHECKING if self.kind == TYPE_CHECKING else IN_FUNCTION

    def visit_FunctionDef(self, node) -> None:
        # Decorators, defaults and annotations run where the def is.
        for child in node.decorator_list:
            self.visit(child)
        self.visit(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        self._visit_as(self._inner(), node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node) -> None:
        self.visit(node.args)
        self._visit_as(self._inner(), [node.body])

    def visit_If(self, node) -> None:
        self.visit(node.test)
        if _is_type_checking(node.test):
            self._visit_as(TYPE_CHECKING, node.body)
        else:
            for child in node.body:
                self.visit(child)
        for child in node.orelse:
            self.visit(child)

    # --- static imports -----------------------------------------------------
    def visit_Import(self, node) -> None:
        for alias in node.names:
            self.records.append(ImportRecord(alias.name, node.lineno, self.kind))

    def visit_ImportFrom(self, node) -> None:
        names = tuple(alias.name for alias in node.names)
        if node.level:
            target = resolve_relative(self.package, node.level, node.module or "")
            if target is not None:
                self.records.append(ImportRecord(target, node.lineno, self.kind, names, True))
        elif node.module:
            self.records.append(ImportRecord(node.module, node.lineno, self.kind, names, False))

    # --- dynamic imports and DJANGO_SETTINGS_MODULE -------------------------
    def visit_Call(self, node: ast.Call) -> None:
        flavour = self._importer(node.func)
        if flavour is not None:
            self._dynamic(node, flavour)
        else:
            self._settings_env_call(node)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Subscript) and literal_str(target.slice) == _ENV_KEY:
                self._settings_env(node.value, node.lineno)
        self.generic_visit(node)

    def _importer(self, func: ast.AST) -> Optional[str]:
        parts = _dotted(func)
        if not parts:
            return None
        bound = self.bindings.get(parts[0])
        qualified = ".".join([bound or parts[0]] + parts[1:])
        flavour = _IMPORTERS.get(qualified)
        if flavour is None and bound is not None:
            flavour = _IMPORTER_LEAVES.get(parts[-1])
        return flavour

    def _dynamic(self, call: ast.Call, flavour: str) -> None:
        line = call.lineno
        name_node = _arg(call, 0, "name" if flavour != "import_string" else "dotted_path")
        name = literal_str(name_node) if name_node is not None else None
        if name is None:
            self._cannot_follow(call)
            return
        if flavour == "import_string":
            # "module.attr": the module is imported, then attr is looked up on it.
            module, _, attr = name.rpartition(".")
            if module and _DOTTED.fullmatch(name):
                self.records.append(ImportRecord(module, line, DYNAMIC, (attr,)))
            return
        level = len(name) - len(name.lstrip("."))
        base = self.package
        names = ()
        if flavour == "import_module" and level:
            package_node = _arg(call, 1, "package")
            base = self._package_value(package_node)
        elif flavour == "__import__":
            level_node = _arg(call, 4, "level")
            if level_node is not None:
                if not (isinstance(level_node, ast.Constant) and isinstance(level_node.value, int)):
                    self._cannot_follow(call)
                    return
                level = level_node.value
            elif level:
                level = 0  # __import__ never strips dots itself; ".x" simply fails
            fromlist = _arg(call, 3, "fromlist")
            if isinstance(fromlist, (ast.List, ast.Tuple)):
                names = tuple(v for v in (literal_str(e) for e in fromlist.elts) if v)
        if level:
            if base is None:
                self._cannot_follow(call)
                return
            target = resolve_relative(base, level, name.lstrip("."))
            if target is not None and _DOTTED.fullmatch(target):
                self.records.append(ImportRecord(target, line, DYNAMIC, names, True))
        elif _DOTTED.fullmatch(name):  # anything else fails at run time and imports nothing
            self.records.append(ImportRecord(name, line, DYNAMIC, names))

    def _package_value(self, node: Optional[ast.AST]) -> Optional[str]:
        if node is None:
            return None
        if isinstance(node, ast.Name) and node.id == "__package__":
            return self.package
        if isinstance(node, ast.Name) and node.id == "__name__":
            return self.module
        return literal_str(node)

    def _cannot_follow(self, call: ast.Call) -> None:
        text = ast.unparse(call)
        if len(text) > 120:
            text = text[:117] + "..."
        self.unfollowable.append(UnfollowableImport(call.lineno, text))

    def _settings_env_call(self, call: ast.Call) -> None:
        func = call.func
        method = func.attr if isinstance(func, ast.Attribute) else None
        if method in ("setdefault", "__setitem__", "putenv") and len(call.args) >= 2:
            if literal_str(call.args[0]) == _ENV_KEY:
                self._settings_env(call.args[1], call.lineno)
        elif method == "update":
            for kw in call.keywords:
                if kw.arg == _ENV_KEY:
                    self._settings_env(kw.value, call.lineno)
            for arg in call.args:
                if isinstance(arg, ast.Dict):
                    for key, value in zip(arg.keys, arg.values):
                        if key is not None and literal_str(key) == _ENV_KEY:
                            self._settings_env(value, call.lineno)

    def _settings_env(self, value: ast.AST, line: int) -> None:
        name = literal_str(value)
        if name and _DOTTED.fullmatch(name):
            self.records.append(ImportRecord(name, line, SETTINGS_ENV))


def ast_scan(text: str, module: str, is_package: bool = False, settings: bool = False) -> ScanResult:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError) as exc:  # ValueError: source with NUL bytes
        where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        return ScanResult([], (), f"cannot parse{where}: {exc.__class__.__name__}: {getattr(exc, 'msg', exc)}")
    except (RecursionError, MemoryError):
        return ScanResult([], (), "cannot parse: nested too deeply")
    try:
        visitor = _Visitor(module, is_package, _bindings(tree))
        visitor.visit(tree)
        records = visitor.records
        if settings:
            records.extend(settings_strings.settings_records(tree))
    except RecursionError:
        return ScanResult([], (), "cannot analyse: nested too deeply")
    return ScanResult(records, visitor.unfollowable)


def literal_all(text: str) -> tuple:
    """The string literals of a module's ``__all__`` (for ``from pkg import *``)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return ()
    names = []

    def take(node: ast.AST) -> None:
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            names.extend(v for v in (literal_str(e) for e in node.elts) if v)
        elif isinstance(node, ast.BinOp):
            take(node.left)
            take(node.right)

    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            take(node.value)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and isinstance(node.target, ast.Name) \
                and node.target.id == "__all__" and node.value is not None:
            take(node.value)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            func = node.value.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "__all__":
                if func.attr == "extend" and node.value.args:
                    take(node.value.args[0])
                elif func.attr == "append" and node.value.args:
                    value = literal_str(node.value.args[0])
                    if value:
                        names.append(value)
    return tuple(names)
