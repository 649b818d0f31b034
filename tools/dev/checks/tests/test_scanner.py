"""The scanners on in-memory sources: the fast path must agree with ast, or decline."""

from __future__ import annotations

import random
import textwrap

import pytest

from tools.dev.checks.forbidden_imports.astscan import ast_scan, literal_all
from tools.dev.checks.forbidden_imports.fastscan import fast_scan
from tools.dev.checks.forbidden_imports.model import (
    DYNAMIC,
    IN_FUNCTION,
    SETTINGS_ENV,
    SETTINGS_STRING,
    TOP_LEVEL,
    TYPE_CHECKING,
    ImportRecord,
)
from tools.dev.checks.forbidden_imports.scanner import scan_source


def records(result):
    return sorted(tuple(r) for r in result.imports)


def both(source: str, module: str = "apps.support.x.mod", is_package: bool = False):
    source = textwrap.dedent(source)
    return fast_scan(source, module, is_package), ast_scan(source, module, is_package)


# Sources the fast path must handle itself, with the same answer as ast.
HANDLED = {
    "plain": """\
        import os
        import os.path as osp, sys
        from collections import OrderedDict, defaultdict as dd
        from __future__ import annotations
        import apps.core.models.base
        """,
    "parenthesised with comments and trailing comma": """\
        from apps.core.models import (
            Base,  # the base model (see docs)
            Tenant as T,
            # Ledger,
        )
        from x import (a)
        """,
    "backslash continuations": """\
        import os, \\
            sys
        from apps.core \\
            import models
        from apps.shared.contracts import messages, \\
            schemas
        """,
    "strings and comments mentioning imports": '''\
        """Module docstring.

        import apps.api
        from rest_framework import serializers
        """
        import json  # import apps.api

        TEXT = 'import gunicorn'
        MORE = "from drf_yasg import x"
        BLOCK = \'\'\'
        import apps.api.v1.urls
        \'\'\'
        ESCAPED = "\\"import x\\"" + '\\'from y import z\\''
        CONTINUED = "a \\
        import apps.api"
        RAW = r"\\\\" + rb'\\\\'
        FSTR = f"{json!r} import apps.api"
        important = ["imports", "reimport"]
        ''',
    "kinds": """\
        import os
        from typing import TYPE_CHECKING
        import typing

        if TYPE_CHECKING:
            from apps.core.models import Base
            import apps.shared.types as types
        else:
            from apps.shared import runtime
        if typing.TYPE_CHECKING:
            import apps.shared.more
        elif os.environ:
            import apps.shared.env


        class Thing:
            import apps.shared.in_class

            def method(self):
                from apps.core import lazy
                return lazy

            async def other(self):
                import apps.core.other


        def outer():
            def inner():
                import apps.core.nested
            return inner


        try:
            import ujson as json
        except ImportError:
            import json
        finally:
            pass

        with open(__file__) as fh:
            import apps.core.with_block

        for _ in range(1):
            import apps.core.loop
        while False:
            import apps.core.while_loop
        """,
    "relative in a package": """\
        from . import views, models as m
        from .services import queue
        from .. import sibling
        from ..other.deep import thing
        from ... import top
        """,
    "comprehension continuation lines before top-level code": """\
        def compute(items):
            out = [
                i
                for i in items
                if i
            ]
            return out
        import apps.core.after
        """,
    "comment with a parenthesis in an import list": """\
        from x import (a,  # see f()
            b)
        """,
    "blank and comment lines between header and import": """\
        def f():

            # a comment at a lower indent is not a header
            x = 1

            import apps.core.later
            return x
        """,
}


@pytest.mark.parametrize("name", sorted(HANDLED))
def test_fast_path_handles_and_agrees_with_ast(name):
    fast, exact = both(HANDLED[name], "apps.support.x", is_package=True)
    assert fast is not None, "the fast path declined"
    assert exact.error is None
    assert records(fast) == records(exact)


# Sources the fast path must decline (ast then decides).
DECLINED = {
    "semicolon": "x = 1; import apps.api\n",
    "one-line if": "if TYPE_CHECKING: import apps.api\n",
    "one-line try": "try: import ujson\nexcept ImportError: pass\n",
    "from after colon": "if True: from apps import api\n",
    "tab indentation": "def f():\n\timport apps.api\n",
    "dynamic import": "import importlib\nimportlib.import_module('apps.api')\n",
    "aliased dynamic import": "from importlib import import_module as im\nim('apps.api')\n",
    "dunder import": "m = __import__('apps.api')\n",
    "import_string": "from django.utils.module_loading import import_string\n",
    "yield from continuation": "def g():\n    x = (yield\n         from h())\n    import apps.core\n",
    "multi-line if header": "def f():\n    if (a and\n            b):\n        import apps.core.x\n",
    "form feed": "x = 1\n\x0cimport apps.api\n",
    "stray after a run of plain imports": "import json  # import apps.api\nimport os\n\nx = 1; import apps.api\n",
}


@pytest.mark.parametrize("name", sorted(DECLINED))
def test_fast_path_declines_what_it_cannot_vouch_for(name):
    fast, _ = both(DECLINED[name])
    assert fast is None


@pytest.mark.parametrize("name", sorted(DECLINED))
def test_declined_sources_still_get_their_imports(name):
    result = scan_source(textwrap.dedent(DECLINED[name]), "apps.support.x.mod")
    exact = ast_scan(textwrap.dedent(DECLINED[name]), "apps.support.x.mod")
    assert records(result) == records(exact)


def test_kinds():
    fast, _ = both(HANDLED["kinds"])
    kinds = {r.module: r.kind for r in fast.imports}
    assert kinds["os"] == TOP_LEVEL
    assert kinds["apps.core.models"] == TYPE_CHECKING
    assert kinds["apps.shared.types"] == TYPE_CHECKING
    assert kinds["apps.shared"] == TOP_LEVEL  # the else branch runs
    assert kinds["apps.shared.more"] == TYPE_CHECKING
    assert kinds["apps.shared.env"] == TOP_LEVEL
    assert kinds["apps.shared.in_class"] == TOP_LEVEL
    assert kinds["apps.core"] == IN_FUNCTION
    assert kinds["apps.core.other"] == IN_FUNCTION
    assert kinds["apps.core.nested"] == IN_FUNCTION
    assert kinds["ujson"] == TOP_LEVEL and kinds["json"] == TOP_LEVEL
    assert kinds["apps.core.with_block"] == TOP_LEVEL


def test_lines_and_names():
    fast, _ = both(HANDLED["parenthesised with comments and trailing comma"])
    assert fast.imports == [
        ImportRecord("apps.core.models", 1, TOP_LEVEL, ("Base", "Tenant")),
        ImportRecord("x", 6, TOP_LEVEL, ("a",)),
    ]


def test_relative_imports_are_resolved():
    fast, _ = both(HANDLED["relative in a package"], "apps.support.video", is_package=True)
    assert [(r.module, r.names, r.relative) for r in fast.imports] == [
        ("apps.support.video", ("views", "models"), True),
        ("apps.support.video.services", ("queue",), True),
        ("apps.support", ("sibling",), True),
        ("apps.support.other.deep", ("thing",), True),
        ("apps", ("top",), True),
    ]
    # in a plain module the package is the parent
    fast, _ = both("from . import views\nfrom .... import beyond\n", "apps.support.video.tasks")
    assert [(r.module, r.names) for r in fast.imports] == [("apps.support.video", ("views",))]


def test_docstrings_and_comments_are_not_imports():
    fast, _ = both(HANDLED["strings and comments mentioning imports"])
    assert [r.module for r in fast.imports] == ["json"]


def test_generated_modules_agree_with_ast(tmp_path):
    from tools.dev.bench.forbidden_imports_bench import generate_tree

    generate_tree(tmp_path, 300, seed=3, mentions=0.5)
    checked = 0
    for path in tmp_path.rglob("*.py"):
        source = path.read_text()
        rel = path.relative_to(tmp_path).as_posix()
        module = rel[:-3].replace("/", ".").removesuffix(".__init__")
        fast = fast_scan(source, module, rel.endswith("__init__.py"))
        assert fast is not None, rel
        assert records(fast) == records(ast_scan(source, module, rel.endswith("__init__.py"))), rel
        checked += 1
    assert checked >= 280


def test_random_snippet_mixes_agree_with_ast():
    """Shuffled combinations of the tricky pieces: fast either declines or agrees."""
    pieces = [textwrap.dedent(src) for src in HANDLED.values()] + [textwrap.dedent(src) for src in DECLINED.values()]
    rng = random.Random(11)
    for _ in range(600):
        source = "\n".join(rng.sample(pieces, rng.randint(2, 4)))
        exact = ast_scan(source, "apps.support.x", True)
        if exact.error:
            continue
        fast = fast_scan(source, "apps.support.x", True)
        if fast is not None:
            assert records(fast) == records(exact), source


# --- the exact scanner: dynamic imports and DJANGO_SETTINGS_MODULE -------------------------------


def dynamic(source: str, module: str = "apps.support.x.mod", is_package: bool = False):
    result = scan_source(textwrap.dedent(source), module, is_package)
    return [(r.module, r.line, r.kind, r.names) for r in result.imports if r.kind in (DYNAMIC, SETTINGS_ENV)], [
        (u.line, u.call) for u in result.unfollowable
    ]


def test_dynamic_import_forms():
    found, unfollowable = dynamic("""\
        import importlib
        import importlib as il
        from importlib import import_module, import_module as im
        from django.utils.module_loading import import_string as load
        from django.utils import module_loading
        import builtins

        importlib.import_module("a.one")
        il.import_module("a.two")
        import_module("a.three")
        im(name="a.four")
        load("a.five.Klass")
        module_loading.import_string("a.six.func")
        __import__("a.seven", fromlist=["sub"])
        builtins.__import__("a.eight")
        importlib.import_module(".nine", package="apps.core")
        importlib.import_module("..ten", __package__)
        loader = importlib.import_module
        loader("a.eleven")
        f"{__import__('a.twelve')}"
        importlib.import_module("a." + "thirteen")
        """)
    assert found == [
        ("a.one", 8, DYNAMIC, ()),
        ("a.two", 9, DYNAMIC, ()),
        ("a.three", 10, DYNAMIC, ()),
        ("a.four", 11, DYNAMIC, ()),
        ("a.five", 12, DYNAMIC, ("Klass",)),
        ("a.six", 13, DYNAMIC, ("func",)),
        ("a.seven", 14, DYNAMIC, ("sub",)),
        ("a.eight", 15, DYNAMIC, ()),
        ("apps.core.nine", 16, DYNAMIC, ()),
        ("apps.support.ten", 17, DYNAMIC, ()),
        ("a.eleven", 19, DYNAMIC, ()),
        ("a.twelve", 20, DYNAMIC, ()),
        ("a.thirteen", 21, DYNAMIC, ()),
    ]
    assert unfollowable == []


def test_non_literal_dynamic_imports():
    found, unfollowable = dynamic("""\
        import importlib
        from django.utils.module_loading import import_string

        def load(name, package):
            importlib.import_module(name)
            import_string(f"apps.{name}.Thing")
            __import__(name)
            importlib.import_module(".x", package)
            importlib.import_module("ok.literal")
        """)
    assert found == [("ok.literal", 9, DYNAMIC, ())]
    assert unfollowable == [
        (5, "importlib.import_module(name)"),
        (6, "import_string(f'apps.{name}.Thing')"),
        (7, "__import__(name)"),
        (8, "importlib.import_module('.x', package)"),
    ]


def test_unrelated_callables_named_like_importers_are_ignored():
    found, unfollowable = dynamic("""\
        class Loader:
            def import_module(self, name):
                return name

        def run(loader, name):
            loader.import_module(name)
            Loader().import_module(name)
        """)
    assert found == [] and unfollowable == []


def test_django_settings_module_forms():
    found, _ = dynamic("""\
        import os
        from os import environ
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.worker.settings")
        os.environ["DJANGO_SETTINGS_MODULE"] = "apps.core.settings.one"
        environ["DJANGO_SETTINGS_MODULE"] = "apps.core.settings.two"
        os.environ.update({"DJANGO_SETTINGS_MODULE": "apps.core.settings.three"})
        os.environ.update(DJANGO_SETTINGS_MODULE="apps.core.settings.four")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", os.environ["OTHER"])
        print(os.environ.get("DJANGO_SETTINGS_MODULE", "not.an.import"))
        """)
    assert found == [
        ("apps.worker.settings", 3, SETTINGS_ENV, ()),
        ("apps.core.settings.one", 4, SETTINGS_ENV, ()),
        ("apps.core.settings.two", 5, SETTINGS_ENV, ()),
        ("apps.core.settings.three", 6, SETTINGS_ENV, ()),
        ("apps.core.settings.four", 7, SETTINGS_ENV, ()),
    ]


def test_syntax_error_is_reported_not_raised():
    result = ast_scan("def f(:\n", "apps.x")
    assert result.imports == [] and result.error.startswith("cannot parse (line 1)")


def test_literal_all():
    assert literal_all('__all__ = ["a", "b"]\n__all__ += ("c",)\n__all__.append("d")\n__all__.extend(["e"])\n') == (
        "a", "b", "c", "d", "e",
    )
    assert literal_all("__all__ = names()\n") == ()


# --- settings strings ----------------------------------------------------------------------------


SETTINGS = """\
    import os
    from pathlib import Path

    DEBUG = False
    ALLOWED_HOSTS = ["localhost", "api.example.com"]
    INSTALLED_APPS = [
        "django.contrib.auth",
        "rest_framework",
        "apps.core.apps.CoreConfig",
    ]
    INSTALLED_APPS += ["drf_yasg"]
    INSTALLED_APPS.append("apps.extra")
    MIDDLEWARE: list = ["django.middleware.common.CommonMiddleware"]
    MIDDLEWARE.insert(0, "corsheaders.middleware.CorsMiddleware")
    ROOT_URLCONF = "urls"
    WSGI_APPLICATION = "apps.api.wsgi.application"
    TEMPLATES = [{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path("templates")],
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }]
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "academy", "HOST": "db"}}
    LOGGING = {
        "version": 1,
        "formatters": {"json": {"()": "apps.core.logging.JsonFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {"apps.api": {"handlers": ["console"], "level": "INFO"}},
    }
    REST_FRAMEWORK = {"DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination", "PAGE_SIZE": 20}
    if DEBUG:
        INSTALLED_APPS += ["debug_toolbar"]
    CACHE_URL = os.environ.get("CACHE_URL", "redis://localhost:6379/0")
    lowercase_name = "apps.api.not_a_setting"


    def helper():
        SECRET = "apps.api.inside_a_function"
        return SECRET
    """


def test_settings_strings():
    result = scan_source(textwrap.dedent(SETTINGS), "apps.core.settings.base")
    strings = [(r.module, r.line, r.names) for r in result.imports if r.kind == SETTINGS_STRING]
    assert strings == [
        ("api.example", 5, ("com",)),
        ("django.contrib", 7, ("auth",)),
        ("django.contrib.auth", 7, ("apps", "models")),
        ("rest_framework", 8, ()),
        ("rest_framework", 8, ("apps", "models")),
        ("apps.core.apps", 9, ("CoreConfig",)),
        ("apps.core.apps.CoreConfig", 9, ("apps", "models")),
        ("drf_yasg", 11, ()),
        ("drf_yasg", 11, ("apps", "models")),
        ("apps", 12, ("extra",)),
        ("apps.extra", 12, ("apps", "models")),
        ("django.middleware.common", 13, ("CommonMiddleware",)),
        ("corsheaders.middleware", 14, ("CorsMiddleware",)),
        ("urls", 15, ()),
        ("apps.api.wsgi", 16, ("application",)),
        ("django.template.backends.django", 18, ("DjangoTemplates",)),
        ("django.template.context_processors", 20, ("request",)),
        ("django.db.backends", 22, ("postgresql",)),
        ("apps.core.logging", 25, ("JsonFormatter",)),
        ("logging", 26, ("StreamHandler",)),
        ("rest_framework.pagination", 29, ("PageNumberPagination",)),
        ("debug_toolbar", 31, ()),
        ("debug_toolbar", 31, ("apps", "models")),
    ]


def test_settings_strings_only_in_settings_modules():
    result = scan_source(textwrap.dedent(SETTINGS), "apps.core.config")
    assert [r for r in result.imports if r.kind == SETTINGS_STRING] == []
    forced = scan_source(textwrap.dedent(SETTINGS), "apps.core.config", settings=True)
    assert any(r.kind == SETTINGS_STRING for r in forced.imports)


def test_standard_library_sample_agrees_with_ast():
    """Real-world code: the fast path on the top-level stdlib modules either declines or agrees."""
    import sysconfig
    from pathlib import Path

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    handled = 0
    for path in sorted(stdlib.glob("*.py")):
        try:
            source = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        exact = ast_scan(source, "pkg.mod")
        if exact.error or "DJANGO_SETTINGS_MODULE" in source:
            continue
        fast = fast_scan(source, "pkg.mod", False)
        if fast is not None:
            handled += 1
            assert records(fast) == records(exact), path.name
    assert handled > 100
