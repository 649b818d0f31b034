"""py_pytest_test: a py_test whose sources are plain pytest files.

    load("//tools/rules/pytest:defs.bzl", "py_pytest_test")

    py_pytest_test(
        name = "models_test",
        srcs = ["tests/test_models.py"],
        deps = ["//apps/core"],
        django_settings = "apps.worker.settings",  # optional: enables pytest-django
    )
"""

load("@pip//:requirements.bzl", "requirement")

def py_pytest_test(name, srcs, deps = [], args = [], django_settings = None, **kwargs):
    """A py_test that runs pytest on its test files.

    The test's main is //tools/rules/pytest:pytest_main.py, which runs pytest from the
    runfiles root without a cache (the runfiles are read-only), writes the JUnit XML that
    Bazel asks for, and maps `--test_filter` onto `-k`. Only the files of `srcs` named
    `test_*.py` or `*_test.py` are collected; the others (helpers, conftest.py, settings) are
    there to be imported.

    Args:
        name: A unique name for this target.
        srcs: The test's Python files: the test modules and what only they import.
        deps: Libraries the tests import; pytest itself (and pytest-django with
            `django_settings`) is added.
        args: Extra pytest arguments, after the test files, e.g. `["-k", "slow"]`.
        django_settings: A Django settings module, e.g. `apps.worker.settings`: the tests then
            run under pytest-django with it (`--ds`). Default: no Django.
        **kwargs: Any other py_test attribute (`size`, `data`, `env`, `tags`, ...), passed
            through unchanged.
    """
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
