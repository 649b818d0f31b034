"""py_pytest_test: a py_test whose sources are plain pytest files.

    load("//tools/rules/pytest:defs.bzl", "py_pytest_test")

    py_pytest_test(
        name = "models_test",
        srcs = ["tests/test_models.py"],
        deps = ["//apps/core"],
        django_settings = "apps.worker.settings",  # optional: enables pytest-django
    )

Every attribute of py_test passes through. `args` reach pytest (e.g. ["-k", "slow"]).
"""

load("@pip//:requirements.bzl", "requirement")

def py_pytest_test(name, srcs, deps = [], args = [], django_settings = None, **kwargs):
    runner = "//tools/rules/pytest:pytest_main.py"
    # Only test modules are collected; helpers and settings in srcs are imported by them.
    pytest_args = [
        "$(rootpath %s)" % src
        for src in srcs
        if src.split("/")[-1].startswith("test_") or src.endswith("_test.py")
    ]
    test_deps = [requirement("pytest"), "//tools/rules/pytest:pytest_main"]
    if django_settings:
        pytest_args = ["--ds=" + django_settings] + pytest_args
        test_deps.append(requirement("pytest-django"))
    native.py_test(
        name = name,
        srcs = srcs + [runner],
        main = runner,
        args = pytest_args + args,
        deps = deps + test_deps,
        python_version = "PY3",
        **kwargs
    )
