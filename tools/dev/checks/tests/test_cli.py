"""End to end: fixture trees on disk, the CLI's exit code, text and JSON output.

One test per way a worker could reach a forbidden module; each asserts the
exit code and the full chain of file:line hops in both output formats.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.dev.checks import check_worker_forbidden_imports as cli
from tools.dev.checks.tests.trees import chain_text, run, run_json, write_tree

REPO_ROOT = Path(__file__).resolve().parents[4]
WORKER = "apps/worker/video/sqs_main.py"
QUEUE = "apps/support/video/services/queue.py"


def assert_violation(capsys, root, chain, rule, kind, module=None):
    """Exit 1; the chain (``a.py:3 -> b.py:7 -> target``) appears in text and JSON output."""
    code, data, _ = run_json(capsys, root)
    assert code == 1
    matching = [v for v in data["violations"] if chain_text(v) == chain]
    assert matching, f"no violation with chain {chain!r} in {[chain_text(v) for v in data['violations']]}"
    violation = matching[0]
    assert violation["rule"] == rule
    assert violation["kind"] == kind
    if module is not None:
        assert violation["module"] == module

    code, text, _ = run(capsys, root)
    assert code == 1
    assert rule in text
    assert f"kind:  {kind}" in text
    # the text chain also tags non-top-level hops with their kind: compare hop by hop
    printed = [line.split("chain: ", 1)[1] for line in text.splitlines() if "chain: " in line]
    stripped = [" -> ".join(hop.split(" [")[0] for hop in line.split(" -> ")) for line in printed]
    assert chain in stripped
    summary = text.strip().splitlines()[-1]
    assert summary.endswith("module(s) reachable from apps/worker")
    assert summary.split()[1] == "violation(s)"
    return violation, text


# --- direct and transitive first-party chains --------------------------------------------------


def test_transitive_chain_to_api_prints_every_hop(tmp_path, capsys):
    write_tree(tmp_path, {
        QUEUE: """\
            \"\"\"Queue helpers.\"\"\"
            import json


            def run(argv):
                return json.dumps(argv)
            from apps.api.v1 import urls
            """,
    })
    violation, text = assert_violation(
        capsys, tmp_path,
        f"{WORKER}:3 -> {QUEUE}:7 -> apps/api/v1/urls.py",
        "worker-imports-api", "top-level", "apps.api.v1.urls",
    )
    assert f"chain: {WORKER}:3 -> {QUEUE}:7 -> apps/api/v1/urls.py" in text
    assert violation["chain"] == [
        {"path": WORKER, "line": 3, "module": "apps.worker.video.sqs_main", "kind": "top-level"},
        {"path": QUEUE, "line": 7, "module": "apps.support.video.services.queue", "kind": "top-level"},
        {"path": "apps/api/v1/urls.py", "line": None, "module": "apps.api.v1.urls", "kind": None},
    ]


def test_long_chain_through_every_layer(tmp_path, capsys):
    write_tree(tmp_path, {
        QUEUE: "import json\nfrom apps.domains.lectures import service\n",
        "apps/domains/__init__.py": "",
        "apps/domains/lectures/__init__.py": "",
        "apps/domains/lectures/service.py": '"""Lecture service."""\n\nimport apps.core.models.base\n',
        "apps/core/__init__.py": "",
        "apps/core/models/__init__.py": "",
        "apps/core/models/base.py": "import os\nimport logging\nfrom apps.shared import helpers\n",
        "apps/shared/__init__.py": "",
        "apps/shared/helpers.py": "import rest_framework.status\n",
    })
    assert_violation(
        capsys, tmp_path,
        f"{WORKER}:3 -> {QUEUE}:2 -> apps/domains/lectures/service.py:3 -> apps/core/models/base.py:3"
        " -> apps/shared/helpers.py:1 -> rest_framework.status",
        "worker-imports-rest-framework", "top-level", "rest_framework.status",
    )


def test_direct_import_in_the_worker(tmp_path, capsys):
    write_tree(tmp_path, {WORKER: "import sys\nimport gunicorn.app.base\n"})
    assert_violation(capsys, tmp_path, f"{WORKER}:2 -> gunicorn.app.base", "worker-imports-gunicorn", "top-level")


@pytest.mark.parametrize("statement, module, rule", [
    ("import drf_yasg", "drf_yasg", "worker-imports-drf-yasg"),
    ("from drf_yasg.utils import swagger_auto_schema", "drf_yasg.utils", "worker-imports-drf-yasg"),
    ("from rest_framework import serializers", "rest_framework", "worker-imports-rest-framework"),
    ("import apps.api", "apps.api", "worker-imports-api"),
    ("from django.contrib.auth import views", "django.contrib.auth.views", "worker-imports-views"),
    ("from django import urls", "django.urls", "worker-imports-urls"),
    ("import somelib.serializers", "somelib.serializers", "worker-imports-serializers"),
])
def test_each_forbidden_name(tmp_path, capsys, statement, module, rule):
    write_tree(tmp_path, {QUEUE: f"import json\n{statement}\n"})
    target_path = {"apps.api": "apps/api/__init__.py"}.get(module, module)
    assert_violation(capsys, tmp_path, f"{WORKER}:3 -> {QUEUE}:2 -> {target_path}", rule, "top-level", module)


# --- imports the eye misses ----------------------------------------------------------------------


def test_import_inside_a_function(tmp_path, capsys):
    write_tree(tmp_path, {
        QUEUE: """\
            \"\"\"Queue helpers.\"\"\"
            import json


            def run(argv):
                from apps.api.v1 import views
                return json.dumps(argv)
            """,
    })
    _, text = assert_violation(
        capsys, tmp_path, f"{WORKER}:3 -> {QUEUE}:6 -> apps/api/v1/views.py",
        "worker-imports-api", "in-function", "apps.api.v1.views",
    )
    assert f"{QUEUE}:6 [in-function] -> apps/api/v1/views.py" in text


def test_import_under_type_checking(tmp_path, capsys):
    write_tree(tmp_path, {
        QUEUE: """\
            \"\"\"Queue helpers.\"\"\"
            from typing import TYPE_CHECKING

            if TYPE_CHECKING:
                from rest_framework.request import Request
            else:
                Request = object
            """,
    })
    assert_violation(
        capsys, tmp_path, f"{WORKER}:3 -> {QUEUE}:5 -> rest_framework.request",
        "worker-imports-rest-framework", "type-checking", "rest_framework.request",
    )


def test_relative_import_climbing_into_the_api(tmp_path, capsys):
    write_tree(tmp_path, {
        WORKER: "import sys\nfrom apps.support import bridge\n",
        "apps/support/bridge.py": '"""Bridge."""\nfrom ..api.v1 import views\n',
    })
    assert_violation(
        capsys, tmp_path, f"{WORKER}:2 -> apps/support/bridge.py:2 -> apps/api/v1/views.py",
        "worker-imports-api", "relative-resolved", "apps.api.v1.views",
    )


def test_from_dot_import_views_in_a_package_init(tmp_path, capsys):
    write_tree(tmp_path, {
        "apps/support/video/__init__.py": "from . import views\n",
        "apps/support/video/views.py": "def render():\n    return ''\n",
    })
    # the worker imports apps.support.video.services.queue, which runs apps/support/video/__init__.py
    assert_violation(
        capsys, tmp_path, f"{WORKER}:3 -> apps/support/video/__init__.py:1 -> apps/support/video/views.py",
        "worker-imports-views", "relative-resolved", "apps.support.video.views",
    )


def test_reexport_through_package_init(tmp_path, capsys):
    write_tree(tmp_path, {
        "apps/support/video/services/__init__.py": '"""Services."""\nfrom rest_framework import serializers  # re-exported\n',
    })
    assert_violation(
        capsys, tmp_path, f"{WORKER}:3 -> apps/support/video/services/__init__.py:2 -> rest_framework",
        "worker-imports-rest-framework", "top-level", "rest_framework",
    )


def test_from_package_import_submodule_counts_as_importing_it(tmp_path, capsys):
    write_tree(tmp_path, {
        WORKER: "import sys\nfrom apps.support.video import handlers\n",
        "apps/support/video/handlers.py": "import logging\nimport apps.api.v1.urls\n",
    })
    assert_violation(
        capsys, tmp_path, f"{WORKER}:2 -> apps/support/video/handlers.py:2 -> apps/api/v1/urls.py",
        "worker-imports-api", "top-level", "apps.api.v1.urls",
    )


def test_star_import_of_a_package_follows_its_all(tmp_path, capsys):
    write_tree(tmp_path, {
        WORKER: "import sys\nfrom apps.support.video import *\n",
        "apps/support/video/__init__.py": '__all__ = ["handlers"]\n',
        "apps/support/video/handlers.py": "from apps.api.v1 import views\n",
    })
    assert_violation(
        capsys, tmp_path, f"{WORKER}:2 -> apps/support/video/handlers.py:1 -> apps/api/v1/views.py",
        "worker-imports-api", "top-level",
    )


def test_worker_scripts_that_cannot_be_imported_are_still_checked(tmp_path, capsys):
    write_tree(tmp_path, {
        "apps/worker/video/run-local.py": "#!/usr/bin/env python3\nimport sys\nfrom apps.api.v1 import urls\n",
        "apps/worker/tools-dir/helper.py": "from . import x\nimport gunicorn\n",
    })
    code, data, _ = run_json(capsys, tmp_path)
    assert code == 1
    assert sorted(chain_text(v) for v in data["violations"]) == [
        "apps/worker/tools-dir/helper.py:2 -> gunicorn",
        "apps/worker/video/run-local.py:3 -> apps/api/v1/urls.py",
    ]


def test_worker_package_parents_run_first(tmp_path, capsys):
    write_tree(tmp_path, {"apps/__init__.py": '"""Apps."""\nimport apps.api\n'})
    code, data, _ = run_json(capsys, tmp_path)
    assert code == 1
    chains = [chain_text(v) for v in data["violations"]]
    assert "apps/worker/__init__.py -> apps/__init__.py:2 -> apps/api/__init__.py" in chains
    assert data["violations"][0]["chain"][0]["kind"] == "package-parent"


# --- dynamic imports -----------------------------------------------------------------------------


@pytest.mark.parametrize("source, line, target, module, rule", [
    ("import importlib\n\nmod = importlib.import_module('apps.api.v1.urls')\n",
     3, "apps/api/v1/urls.py", "apps.api.v1.urls", "worker-imports-api"),
    ("import importlib as il\n\n\ndef load():\n    return il.import_module(\"rest_framework\")\n",
     5, "rest_framework", "rest_framework", "worker-imports-rest-framework"),
    ("from importlib import import_module as im\nim('drf_yasg.views')\n",
     2, "drf_yasg.views", "drf_yasg.views", "worker-imports-drf-yasg"),
    ("x = __import__('gunicorn.app')\n", 1, "gunicorn.app", "gunicorn.app", "worker-imports-gunicorn"),
    ("from django.utils.module_loading import import_string\n\nview = import_string('apps.api.v1.views.index')\n",
     3, "apps/api/v1/views.py", "apps.api.v1.views", "worker-imports-api"),
    ("from django.utils.module_loading import import_string as load\nR = load('rest_framework.renderers.JSONRenderer')\n",
     2, "rest_framework.renderers", "rest_framework.renderers", "worker-imports-rest-framework"),
    ("import django.utils.module_loading as ml\nV = ml.import_string('apps.api.v1.views.index')\n",
     2, "apps/api/v1/views.py", "apps.api.v1.views", "worker-imports-api"),
])
def test_literal_dynamic_imports_are_followed(tmp_path, capsys, source, line, target, module, rule):
    write_tree(tmp_path, {QUEUE: source})
    assert_violation(capsys, tmp_path, f"{WORKER}:3 -> {QUEUE}:{line} -> {target}", rule, "dynamic", module)


def test_relative_literal_dynamic_import(tmp_path, capsys):
    write_tree(tmp_path, {QUEUE: "import importlib\nimportlib.import_module('.v1.urls', package='apps.api')\n"})
    assert_violation(capsys, tmp_path, f"{WORKER}:3 -> {QUEUE}:2 -> apps/api/v1/urls.py", "worker-imports-api",
                     "dynamic, relative-resolved", "apps.api.v1.urls")


def test_dynamic_import_of_a_module_that_imports_the_api(tmp_path, capsys):
    write_tree(tmp_path, {
        QUEUE: "import importlib\n\nplugins = importlib.import_module('apps.support.video.plugins')\n",
        "apps/support/video/plugins.py": "from apps.api.v1 import urls\n",
    })
    assert_violation(
        capsys, tmp_path, f"{WORKER}:3 -> {QUEUE}:3 -> apps/support/video/plugins.py:1 -> apps/api/v1/urls.py",
        "worker-imports-api", "top-level",
    )


NON_LITERAL = """\
    \"\"\"Loads plugins by name.\"\"\"
    import importlib


    def load(name):
        return importlib.import_module(name)
    """


def test_non_literal_dynamic_import_is_a_violation(tmp_path, capsys):
    write_tree(tmp_path, {QUEUE: NON_LITERAL})
    code, data, _ = run_json(capsys, tmp_path)
    assert code == 1
    [violation] = data["violations"]
    assert violation["rule"] == "unfollowable-dynamic-import"
    assert violation["kind"] == "dynamic"
    assert violation["module"] is None
    assert chain_text(violation) == f"{WORKER}:3 -> {QUEUE}:6"
    assert violation["detail"] == "importlib.import_module(name)"
    code, text, _ = run(capsys, tmp_path)
    assert code == 1
    assert "dynamic import the checker cannot follow" in text
    assert f"chain: {WORKER}:3 -> {QUEUE}:6 [dynamic]" in text


@pytest.mark.parametrize("call", ["__import__(name)", "import_string(name)", "import_module(f'apps.{name}')"])
def test_other_non_literal_dynamic_imports(tmp_path, capsys, call):
    source = (
        "from importlib import import_module\n"
        "from django.utils.module_loading import import_string\n"
        f"def load(name):\n    return {call}\n"
    )
    write_tree(tmp_path, {QUEUE: source})
    code, data, _ = run_json(capsys, tmp_path)
    assert code == 1
    assert [(v["rule"], chain_text(v)) for v in data["violations"]] == [
        ("unfollowable-dynamic-import", f"{WORKER}:3 -> {QUEUE}:4"),
    ]


def test_allowlisted_non_literal_dynamic_import(tmp_path, capsys):
    write_tree(tmp_path, {
        QUEUE: NON_LITERAL,
        "tools/dev/checks/dynamic_imports_allowlist.txt": f"""\
            # plugins are loaded by name
            {QUEUE}  # plugin names come from settings.VIDEO_PLUGINS, all under apps.support.video
            """,
    })
    code, text, err = run(capsys, tmp_path)
    assert code == 0, text
    assert text.startswith("OK: ")
    assert err == ""


def test_allowlist_entry_that_excuses_nothing_warns(tmp_path, capsys):
    write_tree(tmp_path, {
        "tools/dev/checks/dynamic_imports_allowlist.txt": "apps/support/video/gone.py  # removed long ago\n",
    })
    code, text, err = run(capsys, tmp_path)
    assert code == 0
    assert "apps/support/video/gone.py excuses nothing" in err
    code, data, _ = run_json(capsys, tmp_path)
    assert data["unused_allowlist_entries"] == ["apps/support/video/gone.py"]


@pytest.mark.parametrize("entry", [
    f"{QUEUE}\n",                      # no reason
    f"/abs/{QUEUE}  # reason\n",       # absolute
    "apps/../x.py  # reason\n",        # climbs
    f"{QUEUE}  # a\n{QUEUE}  # b\n",   # twice
])
def test_malformed_allowlist_is_a_usage_error(tmp_path, capsys, entry):
    write_tree(tmp_path, {"tools/dev/checks/dynamic_imports_allowlist.txt": entry})
    code, out, err = run(capsys, tmp_path)
    assert code == 2
    assert "dynamic_imports_allowlist.txt:" in err
    assert out == ""


def test_shipped_allowlist_documents_its_format_and_parses():
    from tools.dev.checks.forbidden_imports.allowlist import parse_allowlist

    text = (REPO_ROOT / "tools/dev/checks/dynamic_imports_allowlist.txt").read_text()
    assert "relative/path/to/module.py  # reason" in text  # the format is documented at the top
    assert all(reason for reason in parse_allowlist(text).entries.values())


# --- Django settings -----------------------------------------------------------------------------


def test_django_settings_module_set_in_the_environment(tmp_path, capsys):
    write_tree(tmp_path, {
        WORKER: """\
            \"\"\"The video worker.\"\"\"
            import os

            os.environ["DJANGO_SETTINGS_MODULE"] = "apps.core.conf.worker"
            """,
        "apps/core/__init__.py": "",
        "apps/core/conf/__init__.py": "",
        "apps/core/conf/worker.py": '"""Worker settings."""\nDEBUG = False\nROOT_URLCONF = "apps.api.v1.urls"\n',
    })
    _, text = assert_violation(
        capsys, tmp_path, f"{WORKER}:4 -> apps/core/conf/worker.py:3 -> apps/api/v1/urls.py",
        "worker-imports-api", "settings-string", "apps.api.v1.urls",
    )
    assert f"{WORKER}:4 [settings-env] -> apps/core/conf/worker.py:3 [settings-string]" in text


def test_django_settings_module_setdefault_and_settings_package(tmp_path, capsys):
    write_tree(tmp_path, {
        WORKER: """\
            import os


            def setup():
                os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.core.settings.worker")
            """,
        "apps/core/__init__.py": "",
        "apps/core/settings/__init__.py": "",
        "apps/core/settings/worker.py": "from .base import *  # noqa\n",
        "apps/core/settings/base.py": """\
            INSTALLED_APPS = [
                "django.contrib.auth",
                "rest_framework",
            ]
            """,
    })
    assert_violation(
        capsys, tmp_path,
        f"{WORKER}:5 -> apps/core/settings/worker.py:1 -> apps/core/settings/base.py:3 -> rest_framework",
        "worker-imports-rest-framework", "settings-string", "rest_framework",
    )


SETTINGS = "apps/core/settings/base.py"


@pytest.mark.parametrize("source, line, target, rule", [
    ('MIDDLEWARE = [\n    "django.middleware.common.CommonMiddleware",\n    "apps.api.middleware.Tenant",\n]\n',
     3, "apps.api.middleware", "worker-imports-api"),
    ('WSGI_APPLICATION = "apps.api.wsgi.application"\n', 1, "apps.api.wsgi", "worker-imports-api"),
    ('ROOT_URLCONF = "apps.api.v1.urls"\n', 1, "apps/api/v1/urls.py", "worker-imports-api"),
    ('AUTHENTICATION_BACKENDS = ("rest_framework.authentication.TokenAuthentication",)\n',
     1, "rest_framework.authentication", "worker-imports-rest-framework"),
    ('DEFAULT_AUTO_FIELD = "apps.api.fields.BigId"\n', 1, "apps.api.fields", "worker-imports-api"),
    ('EMAIL_BACKEND = "gunicorn.mail.Backend"\n', 1, "gunicorn.mail", "worker-imports-gunicorn"),
    ('TEMPLATES = [{\n    "BACKEND": "django.template.backends.django.DjangoTemplates",\n'
     '    "OPTIONS": {"context_processors": ["apps.api.context.tenant"]},\n}]\n',
     3, "apps.api.context", "worker-imports-api"),
    ('DATABASES = {"default": {"ENGINE": "apps.api.db.backend", "NAME": "academy"}}\n',
     1, "apps.api.db", "worker-imports-api"),
    ('CACHES = {\n    "default": {\n        "BACKEND": "drf_yasg.cache.Cache",\n    },\n}\n',
     3, "drf_yasg.cache", "worker-imports-drf-yasg"),
    ('STORAGES = {"default": {"BACKEND": "apps.api.storage.S3Storage"}}\n', 1, "apps.api.storage", "worker-imports-api"),
    ('LOGGING = {\n    "version": 1,\n    "handlers": {"x": {"class": "gunicorn.glogging.Logger"}},\n}\n',
     3, "gunicorn.glogging", "worker-imports-gunicorn"),
    ('REST_FRAMEWORK = {\n    "DEFAULT_AUTHENTICATION_CLASSES": [\n'
     '        "rest_framework.authentication.SessionAuthentication",\n    ],\n}\n',
     3, "rest_framework.authentication", "worker-imports-rest-framework"),
    ('INSTALLED_APPS = ["django.contrib.auth"]\nINSTALLED_APPS += ["drf_yasg"]\n', 2, "drf_yasg", "worker-imports-drf-yasg"),
    ('import os\nROOT_URLCONF = os.environ.get("URLCONF") or "apps.api.v1.urls"\n', 2, "apps/api/v1/urls.py",
     "worker-imports-api"),
])
def test_settings_strings_are_imports(tmp_path, capsys, source, line, target, rule):
    write_tree(tmp_path, {
        QUEUE: "from apps.core.settings import base\n",
        "apps/core/__init__.py": "",
        "apps/core/settings/__init__.py": "",
        SETTINGS: source,
    })
    assert_violation(capsys, tmp_path, f"{WORKER}:3 -> {QUEUE}:1 -> {SETTINGS}:{line} -> {target}", rule,
                     "settings-string")


def test_installed_app_models_are_imported_by_django(tmp_path, capsys):
    write_tree(tmp_path, {
        WORKER: 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.worker.settings")\n',
        "apps/worker/settings.py": 'INSTALLED_APPS = [\n    "django.contrib.auth",\n    "apps.support.video",\n]\n',
        "apps/support/video/models.py": "from apps.api.v1 import serializers\n",
        "apps/api/v1/serializers.py": "",
    })
    assert_violation(
        capsys, tmp_path,
        "apps/worker/settings.py:3 -> apps/support/video/models.py:1 -> apps/api/v1/serializers.py",
        "worker-imports-api", "top-level",
    )


# --- no false positives --------------------------------------------------------------------------


def test_clean_tree_with_near_misses(tmp_path, capsys):
    write_tree(tmp_path, {
        WORKER: """\
            \"\"\"The video worker.

            Never write ``import apps.api`` or ``from rest_framework import serializers`` here:
                from apps.api.v1 import views
            \"\"\"
            import importlib
            import os
            import sys
            from apps.support.video.services import queue as urls  # the name `urls` is only a name
            from apps.support.video import preview, reviews, texts
            import apps.apiary.hive
            import apps.api_client.http
            import django.db.models
            import boto3
            from pydantic import BaseModel

            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.worker.settings")
            TEMPLATE = "import apps.api; from rest_framework import views"
            RAW = r'''
            import gunicorn
            '''
            json_module = importlib.import_module("json")


            def views():  # a function called views is fine
                # from apps.api.v1 import urls
                return f"{sys.argv!r} import apps.api"
            """,
        "apps/support/video/texts.py": """\
            \"\"\"Strings and comments that look like imports.

            import apps.api
            from rest_framework import serializers
            \"\"\"
            import textwrap

            SQL = 'import rest_framework'  # import apps.api
            DOC = textwrap.dedent(\'\'\'
            import gunicorn
            from apps.api.v1 import urls
            \'\'\')
            ESCAPED = "\\"import drf_yasg\\"" + '\\'import drf_yasg\\''
            CONTINUED = "first line \\
            import apps.api"
            important = ["reimport", "imports"]
            RAW = rb"\\\\" + b'\\\\'


            class Thing:
                \"\"\"from apps.api import views\"\"\"

                def method(self):
                    # from apps.api.v1 import views
                    return f"{self!r} import apps.api"
            """,
        "apps/worker/settings.py": """\
            ALLOWED_HOSTS = ["api.example.com"]
            INSTALLED_APPS = ["django.contrib.contenttypes", "apps.support.video"]
            LOGGING = {
                "version": 1,
                "handlers": {"console": {"class": "logging.StreamHandler"}},
                "loggers": {"apps.api": {"handlers": ["console"], "level": "INFO"}},
            }
            LANGUAGE_CODE = "ko-kr"
            TIME_ZONE = "Asia/Seoul"
            DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
            """,
        "apps/support/video/preview.py": "import json\n",
        "apps/support/video/reviews.py": "import json\n",
        "apps/apiary/__init__.py": "",
        "apps/apiary/hive.py": "import math\n",
        "apps/api_client/__init__.py": "",
        "apps/api_client/http.py": "import urllib.request\n",
        # the API itself may import whatever it likes: nothing under apps/worker reaches it
        "apps/api/v1/views.py": "from rest_framework import viewsets\nimport gunicorn\n",
    })
    code, text, err = run(capsys, tmp_path)
    assert code == 0, text
    assert text.strip() == "OK: 16 modules reachable from apps/worker, no forbidden imports"
    code, data, _ = run_json(capsys, tmp_path)
    assert code == 0
    assert data == {
        "root": str(tmp_path.resolve()),
        "modules_scanned": 16,
        "violations": [],
        "unused_allowlist_entries": [],
    }


# --- usage ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--format", "xml"], ["--unknown"], ["extra"]])
def test_bad_arguments_exit_2(tmp_path, capsys, args):
    write_tree(tmp_path, {})
    assert cli.main(["--root", str(tmp_path), *args]) == 2
    assert "usage:" in capsys.readouterr().err


def test_missing_root_exits_2(tmp_path, capsys):
    assert cli.main(["--root", str(tmp_path / "nope")]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_root_without_worker_package_exits_2(tmp_path, capsys):
    (tmp_path / "apps").mkdir()
    assert cli.main(["--root", str(tmp_path)]) == 2
    assert "has no apps/worker directory" in capsys.readouterr().err


def test_help_exits_0(capsys):
    assert cli.main(["--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--root ROOT" in out and "--format {text,json}" in out
    assert "exit status: 0 clean, 1 violations, 2 bad usage" in out


def test_default_root_is_the_bazel_workspace(tmp_path, capsys, monkeypatch):
    write_tree(tmp_path, {})
    monkeypatch.setenv("BUILD_WORKSPACE_DIRECTORY", str(tmp_path))
    assert cli.main(["--format", "json"]) == 0
    assert '"root": "%s"' % tmp_path.resolve() in capsys.readouterr().out


def test_script_runs_standalone(tmp_path):
    import subprocess
    import sys

    write_tree(tmp_path, {QUEUE: "import rest_framework\n"})
    script = REPO_ROOT / "tools/dev/checks/check_worker_forbidden_imports.py"
    proc = subprocess.run([sys.executable, str(script), "--root", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert f"{WORKER}:3 -> {QUEUE}:1 -> rest_framework" in proc.stdout


def test_unreadable_module_is_reported(tmp_path, capsys):
    write_tree(tmp_path, {QUEUE: "import importlib\nimportlib.import_module('json'\n"})
    code, data, _ = run_json(capsys, tmp_path)
    assert code == 1
    [violation] = data["violations"]
    assert violation["rule"] == "unreadable-module"
    assert chain_text(violation) == f"{WORKER}:3 -> {QUEUE}"
    assert violation["detail"].startswith("cannot parse")


def test_undecodable_module_is_reported(tmp_path, capsys):
    write_tree(tmp_path, {})
    (tmp_path / QUEUE).write_bytes(b"import json\nx = '\xff\xfe'\n")
    code, data, _ = run_json(capsys, tmp_path)
    assert code == 1
    [violation] = data["violations"]
    assert violation["rule"] == "unreadable-module"
    assert "not UTF-8" in violation["detail"]


def test_declared_encoding_is_honoured(tmp_path, capsys):
    write_tree(tmp_path, {})
    (tmp_path / QUEUE).write_bytes(b"# -*- coding: latin-1 -*-\nNAME = '\xe9'\nimport rest_framework\n")
    code, data, _ = run_json(capsys, tmp_path)
    assert code == 1
    assert chain_text(data["violations"][0]) == f"{WORKER}:3 -> {QUEUE}:3 -> rest_framework"


@pytest.mark.skipif(not (REPO_ROOT / "apps" / "worker").is_dir(), reason="needs the repository's apps tree")
def test_repository_workers_import_nothing_forbidden(capsys):
    code, text, _ = run(capsys, REPO_ROOT)
    assert code == 0, text
