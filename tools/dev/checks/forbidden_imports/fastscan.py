"""The fast path: import statements from source text with regular expressions.

``ast.parse`` alone costs ~130 us for a typical 60-line module (2.6 s for a
20,000-module tree); this scanner costs ~15 us, records included.  It is deliberately
conservative: it returns None ("let ast decide") whenever the source does
anything it does not fully understand, and the caller then parses the module
with ``ast``.  What it understands:

* strings (every quote style, triple-quoted, escapes, backslash-newlines) and
  comments are skipped as whole tokens, so ``import x`` inside a docstring or
  a comment is never an import;
* ``import a.b as c, d`` and ``from .x import (a,\\n b as c,  # note\\n)``
  over several lines, with backslash continuations, at the start of a line;
* the kind of an indented import, from the block headers above it (``def``,
  ``class``, ``if TYPE_CHECKING:``, ...) compared by indentation.

The safety net: when the text holds more ``import`` substrings than the
statements found account for, a stricter expression looks for an ``import``
keyword outside strings and comments, not part of a longer name and not at the
start of a line (``x = 1; import y``, ``if X: import y``, a form feed before
``import``); if there is one, the module goes to ``ast``.  So does a module
with tabs in its indentation, an import statement that does not validate, or
a block header that might be a bracketed continuation line (``if``, ``for``,
``else`` whose line does not end with ``:``), and any module that mentions
``import_module``, ``__import__`` or ``import_string``.

Checked against ``ast`` on the standard library and site-packages (some
14,000 files): wherever this scanner answers, the answer is the same.
"""

from __future__ import annotations

import re
from typing import Optional

from .model import IN_FUNCTION, TOP_LEVEL, TYPE_CHECKING, ImportRecord, ScanResult
from .modnames import package_of, resolve_relative

# Strings and comments as whole tokens.  String prefixes (r, b, f, u) are plain
# code characters for this purpose: they do not change where a string ends.
_STRINGS_AND_COMMENTS = r"""
        \"\"\"[^"\\]*+(?:(?:\\.|"(?!""))[^"\\]*+)*+\"\"\"
      | '''[^'\\]*+(?:(?:\\.|'(?!''))[^'\\]*+)*+'''
      | "[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"
      | '[^'\\\n]*+(?:\\.[^'\\\n]*+)*+'
      | \#[^\n]*+
"""

# One match per import statement.  The engine itself skips code, strings and
# comments (possessively, so it never backtracks) up to the next newline that
# starts an import statement; the last match is the empty one at the end of
# the text.  Only one match per statement reaches Python, which is what makes
# this fast.  The loop is unrolled (code run, then one special token, then a
# code run, ...) because each iteration of a regex loop is what costs.
_CODE_RUN = r"""[^"'\#\n]*+"""
_DOTTED_RE = r"[^\W\d]\w*+(?:\.[^\W\d]\w*+)*+"
_IDENT_RE = r"[^\W\d]\w*+"
_STATEMENT_END = r"[ \t]*+(?=[\n\#;]|\Z)"
# The two common one-line forms are validated and taken apart by the engine
# (groups `si`, `sfm`/`sfn`); anything else (relative, parenthesised, `as`,
# continuation lines, ...) is captured whole (`imp`, `frm`) and parsed below.
_STATEMENT = (
    r"""
    (?:
        \n(?P<ind>[ \t]*+)
        (?:
            import[ \t]++(?P<si>""" + _DOTTED_RE + ")" + _STATEMENT_END + r"""
          | from[ \t]++(?P<sfm>""" + _DOTTED_RE + r""")[ \t]++import[ \t]++
                (?P<sfn>""" + _IDENT_RE + r"(?:[ \t]*+,[ \t]*+" + _IDENT_RE + ")*+)" + _STATEMENT_END + r"""
          | (?P<imp>import\b[^\n\#;\\]*+(?:\\\n[^\n\#;\\]*+)*+)
          | (?P<frm>from\b[^\n\#;\\(]*+(?:\\\n[^\n\#;\\(]*+)*+(?:\((?:[^)\#]++|\#[^\n]*+)*+\)[^\n\#;\\]*+)?)
        )
      | (?P<stray>import)
      | \Z
    )
"""
)
_STATEMENTS = re.compile(
    _CODE_RUN
    + r"""
    (?:
        (?:
            \n(?![ \t]*+(?:import|from)\b)
          | """
    + _STRINGS_AND_COMMENTS
    + r"""
          | ["'\#]
        )
        """
    + _CODE_RUN
    + r"""
    )*+
    """
    + _STATEMENT,
    re.VERBOSE | re.DOTALL,
)

# A stray ``import`` keyword: one outside strings and comments, not part of a
# longer name and not starting a line - ``x = 1; import y``, ``if X: import
# y``, a form feed before ``import``.  Import statements are skipped as units
# (a ``from`` line up to its ``import``).  Slower than the pattern above (every
# ``i`` interrupts a code run), so it only runs when the text holds more
# ``import`` substrings than the statements found explain.
_STRAY = re.compile(
    r"""
    (?:
        [^\n"'\#i]++
      | \n[ \t]*+(?:import\b|from\b[^\n\#;]*?\bimport\b)
      | \n
      | """
    + _STRINGS_AND_COMMENTS
    + r"""
      | i(?!mport\b)
      | (?<=[\w.])i
      | ["'\#]
    )*+
    import
    """,
    re.VERBOSE | re.DOTALL,
)

# Second pass, only for modules with indented imports: the block headers.
# ``for``/``if``/``else``/``match``/``case`` may also start a continuation line
# inside brackets (comprehensions, conditional expressions, soft keywords);
# such a header is trusted only when its line ends with ``:``.
_HEADERS = re.compile(
    r"""
    (?:
        [^\n"'\#]++
      | """
    + _STRINGS_AND_COMMENTS
    + r"""
      | \n(?![ \t]*+(?:(?:async[ \t]++)?(?:def|with|for)|class|elif|try|except|finally|while|if|else|match|case)\b)
      | ["'\#]
    )*+
    (?:
        \n(?P<hind>[ \t]*+)
        (?:
            (?P<tc>(?:el)?if(?=[ \t(])[ \t]*+\(?[ \t]*+(?:[^\W\d]\w*\.)*TYPE_CHECKING[ \t]*+\)?[ \t]*+:)
          | (?P<fn>(?:async[ \t]++)?def\b)
          | (?P<blk>(?:async[ \t]++)?with\b|class\b|elif\b|try\b|except\b|finally\b|while\b)
          | (?P<amb>(?:async[ \t]++)?for\b|if\b|else\b|match\b|case\b)
        )
      | \Z
    )
    """,
    re.VERBOSE | re.DOTALL,
)

_DOTTED = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")
_IDENT = re.compile(r"[^\W\d]\w*")
_FROM = re.compile(r"from(?!\w)\s*(\.*)\s*([^\W\d][\w.]*)?\s*import(?![\w.])\s*(.*)", re.DOTALL)

# Parsed statements by their text, without context (relative imports are
# resolved per module): the same `from typing import Any` is in thousands of
# modules.  False marks text that does not validate.
_PARSED: dict = {}
_NAME_LISTS: dict = {}  # "a, b" -> ("a", "b")
_PARSED_MAX = 100_000


def _parse_names(text: str) -> Optional[tuple]:
    """``a, b as c`` / ``(a,\\n b,  # x\\n)`` / ``*`` -> the imported names; None if malformed."""
    text = text.strip()
    if text.startswith("("):
        if not text.endswith(")"):
            return None
        text = text[1:-1]
        if "#" in text:
            text = "\n".join(line.partition("#")[0] for line in text.split("\n"))
        items = text.split(",")
        if len(items) > 1 and not items[-1].strip():
            items.pop()  # trailing comma, allowed inside parentheses
    elif text == "*":
        return ("*",)
    else:
        items = text.split(",")
    names = []
    for item in items:
        toks = item.split()
        if len(toks) == 3 and toks[1] == "as" and _IDENT.fullmatch(toks[2]):
            pass
        elif len(toks) != 1:
            return None
        if not _IDENT.fullmatch(toks[0]):
            return None
        names.append(toks[0])
    return tuple(names)


def _parse_import(stmt: str) -> Optional[tuple]:
    """``import a.b as c, d`` -> ``((0, "a.b", ()), (0, "d", ()))``."""
    body = stmt[6:]
    if "\\" in body:
        body = body.replace("\\\n", " ")
    out = []
    for part in body.split(","):
        toks = part.split()
        if len(toks) == 3 and toks[1] == "as" and _IDENT.fullmatch(toks[2]):
            pass
        elif len(toks) != 1:
            return None
        if not _DOTTED.fullmatch(toks[0]):
            return None
        out.append((0, toks[0], ()))
    return tuple(out)


def _parse_from(stmt: str) -> Optional[tuple]:
    """``from ..a import b, c`` -> ``((2, "a", ("b", "c")),)``."""
    if "\\" in stmt:
        stmt = stmt.replace("\\\n", " ")
    m = _FROM.fullmatch(stmt.rstrip())
    if m is None:
        return None
    dots, name, rest = m.groups()
    name = name or ""
    if (name and not _DOTTED.fullmatch(name)) or not (dots or name):
        return None
    names = _parse_names(rest)
    if names is None:
        return None
    return ((len(dots), name, names),)


def _header_is_sure(src: str, pos: int) -> bool:
    """An ambiguous header (``if``/``for``/...) whose physical line ends with ``:``."""
    end = src.find("\n", pos)
    line = src[pos:] if end < 0 else src[pos:end]
    if "#" in line:
        if "'" in line or '"' in line:
            return False
        line = line.partition("#")[0]
    return line.rstrip().endswith(":")


def _kinds_of_indented(src: str, indented: list) -> Optional[dict]:
    """Statement position -> kind, for the indented imports; None if unsure.

    The enclosing blocks of a line are the nearest preceding headers with
    less indentation, each less indented than the one before.
    """
    headers = []
    for m in _HEADERS.finditer(src, 0, indented[-1][0]):
        group = m.lastgroup
        if group is None:
            break
        indent = m.group("hind")
        if "\t" in indent:
            return None
        headers.append((m.start("hind") - 1, len(indent), group, m.end("hind")))
    kinds = {}
    for pos, width in indented:
        threshold = width
        kind = TOP_LEVEL
        in_function = False
        for hpos, hwidth, group, kwpos in reversed(headers):
            if hpos >= pos or hwidth >= threshold:
                continue
            if group == "amb" and not _header_is_sure(src, kwpos):
                return None
            if group == "tc":
                kind = TYPE_CHECKING
            elif group == "fn":
                in_function = True
            threshold = hwidth
            if threshold == 0:
                break
        if threshold != 0:
            return None  # no enclosing header found: something we do not understand
        if kind != TYPE_CHECKING and in_function:
            kind = IN_FUNCTION
        kinds[pos] = kind
    return kinds


_new = tuple.__new__


def fast_scan(text: str, module: str, is_package: bool) -> Optional[ScanResult]:
    """The imports of *text* (the source of *module*), or None when only ``ast`` can tell."""
    # Dynamic imports need the syntax tree (aliases included: `from importlib
    # import import_module as im` contains the name).  One search usually
    # settles it: all three names contain "import_".
    if "import_" in text and ("import_module" in text or "__import__" in text or "import_string" in text):
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    src = "\n" + text
    # Past the last "import" substring there can be no import statement, so
    # the engine never needs to read the rest (usually most of the module).
    final = src.rfind("import")
    if final < 0:
        return _new(ScanResult, ([], (), None))
    records = []
    indented = []   # (newline position, indent, its records' first index, end index)
    statements = 0
    line = 0
    last = 0
    cache = _PARSED
    name_lists = _NAME_LISTS
    package = None
    for m in _STATEMENTS.finditer(src):
        indent, simple, from_module, from_names, imp, frm, stray = m.groups()
        if indent is None:
            if stray:
                return None
            break
        start = m.start(1) - 1  # the newline before the statement
        line += src.count("\n", last, start + 1)
        last = start + 1
        statements += 1
        first = len(records)
        if simple:
            records.append(_new(ImportRecord, (simple, line, TOP_LEVEL, (), False)))
        elif from_module:
            names = name_lists.get(from_names)
            if names is None:
                names = tuple(from_names.replace(" ", "").replace("\t", "").split(","))
                if len(name_lists) < _PARSED_MAX:
                    name_lists[from_names] = names
            records.append(_new(ImportRecord, (from_module, line, TOP_LEVEL, names, False)))
        else:
            stmt = imp or frm
            parsed = cache.get(stmt)
            if parsed is None:
                parsed = (_parse_from(stmt) if frm else _parse_import(stmt)) or False
                if len(cache) < _PARSED_MAX:
                    cache[stmt] = parsed
            if not parsed:
                return None
            for level, name, names in parsed:
                if level:
                    if package is None:
                        package = package_of(module, is_package)
                    target = resolve_relative(package, level, name)
                    if target is not None:
                        records.append(_new(ImportRecord, (target, line, TOP_LEVEL, names, True)))
                else:
                    records.append(_new(ImportRecord, (name, line, TOP_LEVEL, names, False)))
        if indent:
            indented.append((start, indent, first, len(records)))
        if m.end() > final:
            break
    # Each statement holds at least one "import": when the counts agree, every
    # occurrence in the text is a statement's.  Otherwise "import" is also in
    # strings or comments (fine), inside other names (fine) or a stray keyword
    # (ast's job): look closer.
    if text.count("import") != statements and _STRAY.match(src):
        return None
    if indented:
        if any("\t" in indent for _, indent, _, _ in indented):
            return None
        kinds = _kinds_of_indented(src, [(start, len(indent)) for start, indent, _, _ in indented])
        if kinds is None:
            return None
        for start, _, first, stop in indented:
            kind = kinds[start]
            if kind != TOP_LEVEL:
                for i in range(first, stop):
                    records[i] = records[i]._replace(kind=kind)
    return _new(ScanResult, (records, (), None))
