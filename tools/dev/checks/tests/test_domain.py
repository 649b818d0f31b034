"""The domain without a disk: index, walk, rules, allowlist, renderers, check()."""

from __future__ import annotations

import json

import pytest

from tools.dev.checks.forbidden_imports import Allowlist, AllowlistError, SourceTree, check, parse_allowlist
from tools.dev.checks.forbidden_imports import report
from tools.dev.checks.forbidden_imports.graph import ModuleIndex
from tools.dev.checks.forbidden_imports.modnames import is_settings_module, lineage, resolve_relative
from tools.dev.checks.forbidden_imports.rules import FORBIDDEN, Rule, RuleBook
from tools.dev.checks.tests.trees import in_memory

WORKER = "apps/worker/video/sqs_main.py"
QUEUE = "apps/support/video/services/queue.py"


def run_check(files: dict, base: bool = True, **kwargs):
    return check(SourceTree.from_mapping(in_memory(files, base)), **kwargs)


def chains(result):
    return [" -> ".join(f"{h.path or h.module}" + (f":{h.line}" if h.line is not None else "") for h in v.chain)
            for v in result.violations]


# --- rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("module, rule", [
    ("apps.api", "worker-imports-api"),
    ("apps.api.v1.urls", "worker-imports-api"),
    ("rest_framework", "worker-imports-rest-framework"),
    ("rest_framework.serializers", "worker-imports-rest-framework"),
    ("drf_yasg.utils", "worker-imports-drf-yasg"),
    ("gunicorn", "worker-imports-gunicorn"),
    ("views", "worker-imports-views"),
    ("apps.support.video.views", "worker-imports-views"),
    ("django.core.serializers", "worker-imports-serializers"),
    ("x.urls", "worker-imports-urls"),
])
def test_forbidden_names(module, rule):
    assert RuleBook()(module).id == rule


@pytest.mark.parametrize("module", [
    "apps", "apps.apiary", "apps.api_client", "apps.support.apis", "api", "rest", "rest_frameworks",
    "restframework", "drf", "gunicorn_conf", "apps.support.preview", "apps.support.reviews", "apps.views_helpers",
    "apps.urlsafe", "serializer", "django", "boto3", "pydantic", "apps.support.views.helpers",
])
def test_allowed_names(module):
    # a rule judges one name; `apps.support.views.helpers` is caught through its parent
    assert RuleBook()(module) is None


def test_rulebook_lookups_agree_with_the_predicates():
    names = ["apps.api", "apps.api.v1.views", "x.views", "rest_framework.urls", "apps.apiary", "views",
             "gunicorn.app.base", "a.serializers", "drf_yasg.urls", "json", "apps.support.urls.x"]
    book = RuleBook()
    for name in names:
        expected = next((rule for rule in FORBIDDEN if rule.matches(name)), None)
        assert book(name) == expected, name
    custom = Rule("no-json", "no json", lambda m: m.startswith("json"))
    assert RuleBook((custom,) + FORBIDDEN)("json.decoder") is custom


def test_each_rule_is_one_predicate():
    ids = [rule.id for rule in FORBIDDEN]
    assert len(ids) == len(set(ids)) == 7
    assert all(callable(rule.matches) and rule.description for rule in FORBIDDEN)


# --- module names and the index ------------------------------------------------------------------


def test_module_names():
    assert lineage("a.b.c") == ("a", "a.b", "a.b.c")
    assert resolve_relative("a.b.c", 1, "x") == "a.b.c.x"
    assert resolve_relative("a.b.c", 3, "") == "a"
    assert resolve_relative("a.b.c", 4, "x") is None
    assert is_settings_module("apps.core.settings.base") and is_settings_module("apps.worker.settings")
    assert not is_settings_module("apps.core.settings_helpers")


def test_index():
    index = ModuleIndex([
        "apps/__init__.py", "apps/support/x.py", "apps/support/x/__init__.py", "apps/ns/mod.py",
        "apps/not-a-module.py", "apps/data/readme.txt", "apps/9lives.py",
    ])
    assert index.path("apps.support.x") == "apps/support/x/__init__.py"  # the package wins
    assert index.is_package("apps.ns") and index.path("apps.ns") is None  # namespace package
    assert index.exists("apps.ns.mod") and not index.exists("apps.not-a-module")
    assert not index.exists("apps.9lives")
    assert index.path("apps/9lives.py") == "apps/9lives.py"  # a script: indexed under its path
    assert index.modules_under("apps.support") == ["apps.support.x"]
    assert index.modules_under("apps") == ["apps", "apps.ns.mod", "apps.support.x", "apps/9lives.py",
                                           "apps/not-a-module.py"]


# --- the walk --------------------------------------------------------------------------------------


def test_clean_tree_in_memory():
    result = run_check({})
    assert result.violations == []
    assert result.modules_scanned == 8  # apps, worker x3 (sqs_main included), support x3, queue


def test_shortest_chain_is_reported():
    result = run_check({
        WORKER: "import sys\nfrom apps.support import a, b\n",
        "apps/support/a.py": "from apps.support import c\n",
        "apps/support/b.py": "from apps.support import d\n",
        "apps/support/c.py": "from apps.support import d\n",
        "apps/support/d.py": "\n\nimport rest_framework\n",
    })
    assert chains(result) == [f"{WORKER}:2 -> apps/support/b.py:1 -> apps/support/d.py:3 -> rest_framework"]


def test_walk_stops_at_forbidden_modules():
    result = run_check({
        QUEUE: "import apps.api.v1.urls\n",
        "apps/api/v1/urls.py": "import rest_framework\nimport gunicorn\n",
    })
    assert [v.module for v in result.violations] == ["apps.api.v1.urls"]
    assert "apps.api.v1.urls" not in {h.module for v in result.violations for h in v.chain[:-1]}


def test_one_violation_per_statement_and_forbidden_name():
    result = run_check({
        QUEUE: "from apps.api.v1 import urls, views\nfrom rest_framework import serializers, status\n",
    })
    assert [(v.rule, v.module, v.chain[-2].line) for v in result.violations] == [
        ("worker-imports-api", "apps.api.v1.urls", 1),
        ("worker-imports-rest-framework", "rest_framework", 2),
    ]


def test_forbidden_parent_package_is_named():
    result = run_check({QUEUE: "import somelib.views.helpers\n"})
    [violation] = result.violations
    assert violation.rule == "worker-imports-views"
    assert violation.module == "somelib.views.helpers"
    assert violation.detail == "importing somelib.views.helpers runs somelib.views"


def test_cycles_terminate():
    result = run_check({
        QUEUE: "from apps.support import a\n",
        "apps/support/a.py": "from apps.support import b\n",
        "apps/support/b.py": "from apps.support import a\nimport apps.api\n",
    })
    assert chains(result) == [f"{WORKER}:3 -> {QUEUE}:1 -> apps/support/a.py:1 -> apps/support/b.py:2 -> apps/api/__init__.py"]


def test_unreachable_modules_are_not_checked():
    result = run_check({"apps/support/orphan.py": "import rest_framework\n"})
    assert result.violations == []


def test_namespace_packages_are_walked_through():
    result = run_check({
        "apps/support/__init__.py": None,
        "apps/support/video/__init__.py": None,
        QUEUE: "from apps.support.ns import deep\n",
        "apps/support/ns/deep.py": "from apps.support.ns import views\n",
        "apps/support/ns/views/helpers.py": "",
    })
    assert chains(result) == [f"{WORKER}:3 -> {QUEUE}:1 -> apps/support/ns/deep.py:1 -> apps.support.ns.views"]


def test_settings_module_set_after_being_seen_as_a_plain_module_is_read_again():
    result = run_check({
        WORKER: "import apps.core.conf\nimport os\nos.environ['DJANGO_SETTINGS_MODULE'] = 'apps.core.conf'\n",
        "apps/core/__init__.py": "",
        "apps/core/conf.py": "ROOT_URLCONF = 'apps.api.v1.urls'\n",
    })
    assert chains(result) == [f"{WORKER}:1 -> apps/core/conf.py:1 -> apps/api/v1/urls.py"]
    assert result.violations[0].kind == "settings-string"


def test_unfollowable_dynamic_import_and_allowlist():
    files = {QUEUE: "import importlib\n\ndef load(name):\n    return importlib.import_module(name)\n"}
    result = run_check(files)
    assert [(v.rule, v.detail) for v in result.violations] == [
        ("unfollowable-dynamic-import", "importlib.import_module(name)"),
    ]
    allowed = run_check(files, allowlist=Allowlist({QUEUE: "plugins"}))
    assert allowed.violations == [] and allowed.unused_allowlist == []
    unused = run_check({}, allowlist=Allowlist({QUEUE: "plugins"}))
    assert unused.unused_allowlist == [QUEUE]


def test_allowlist_parsing():
    allowlist = parse_allowlist("# comment\n\napps/x.py   # why not\n  apps/y/z.py # because\n")
    assert allowlist.entries == {"apps/x.py": "why not", "apps/y/z.py": "because"}
    for bad in ("apps/x.py\n", "apps/x.txt  # r\n", "/apps/x.py  # r\n", "apps/../x.py  # r\n", "a b.py  # r\n"):
        with pytest.raises(AllowlistError):
            parse_allowlist(bad)


def test_text_and_json_renderings():
    result = run_check({QUEUE: "def f():\n    import rest_framework\n"})
    text = report.render_text(result)
    assert text.splitlines() == [
        f"worker-imports-rest-framework: {QUEUE}:2 imports rest_framework",
        "  rule:  workers must not import Django REST framework (rest_framework)",
        "  kind:  in-function",
        f"  chain: {WORKER}:3 -> {QUEUE}:2 [in-function] -> rest_framework",
        "",
        "1 violation(s) in 8 module(s) reachable from apps/worker",
    ]
    data = json.loads(report.render_json(result, "/repo"))
    assert data["root"] == "/repo" and data["modules_scanned"] == 8
    assert data["violations"][0]["chain"][-1] == {"path": None, "line": None, "module": "rest_framework", "kind": None}
    assert report.render_text(run_check({})) == "OK: 8 modules reachable from apps/worker, no forbidden imports\n"
