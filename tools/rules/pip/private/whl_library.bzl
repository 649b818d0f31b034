"""Implementation of whl_library: its `doc` below is the manual (docs/rules/pip.md renders it)."""

load("//tools/rules/python/private:interpreter.bzl", "find_python")

_DOC = """One locked distribution, installed with `pip install --no-deps --require-hashes` into its own repository.

Declared by a pip_parse hub's `install_deps()`, one per locked distribution, named
`<hub>_<normalised name>` (`@pip_django`); BUILD files never call it. The repository holds
`site/` (`pip install --target`) and a py_library `pkg` whose deps are the distribution's
own requirements, from its wheel metadata with markers evaluated for the host interpreter,
that the lock also holds. A requirement of an extra counts only where the lock's resolver
chose it (`resolved_deps`), so extras nobody asked for add no edges and no cycles.
"""

_BUILD = """\
py_library(
    name = "pkg",
    srcs = glob(["site/**/*.py"], allow_empty = True),
    data = glob(
        ["site/**"],
        exclude = ["site/**/*.py", "site/**/* *", "site/**/RECORD"],
    ),
    imports = ["site"],
    deps = {deps},
    visibility = {visibility},
)
"""

def _whl_library_impl(rctx):
    python = find_python(rctx)
    rctx.report_progress("pip install %s==%s" % (rctx.attr.package, rctx.attr.version))
    result = rctx.execute(
        [
            python, rctx.path(rctx.attr._installer),
            "--lock", rctx.attr.lock,
            "--package", rctx.attr.package,
            "--version", rctx.attr.version,
            "--target", "site",
            "--locked", ",".join(rctx.attr.locked_packages),
            "--resolved", ",".join(rctx.attr.resolved_deps),
        ] + ["--hash=" + h for h in rctx.attr.hashes],
        timeout = 1800,
        environment = {"PYTHONDONTWRITEBYTECODE": "1"},
    )
    if result.return_code != 0:
        fail(result.stderr)
    labels = ["@%s_%s//:pkg" % (rctx.attr.hub, d) for d in result.stdout.strip().split("\n") if d]
    rctx.file("BUILD.bazel", _BUILD.format(deps = repr(labels), visibility = repr(rctx.attr.package_visibility)))

whl_library = repository_rule(
    implementation = _whl_library_impl,
    doc = _DOC,
    attrs = {
        "hashes": attr.string_list(
            mandatory = True,
            doc = "The lock's hashes of the distribution's files, `sha256:<hex>`; pip refuses a " +
                  "download that matches none.",
        ),
        "hub": attr.string(
            mandatory = True,
            doc = "The name of the pip_parse hub that declares this repository; its dependencies " +
                  "are `@<hub>_<name>//:pkg`.",
        ),
        "lock": attr.string(
            mandatory = True,
            doc = "The label of the hub's lock, for messages.",
        ),
        "locked_packages": attr.string_list(
            doc = "The normalised names of every distribution in the lock: the requirements of " +
                  "this one that are not among them are left out of `pkg`'s deps.",
        ),
        "package": attr.string(
            mandatory = True,
            doc = "The distribution's name as the lock writes it, e.g. `Django`.",
        ),
        "package_visibility": attr.string_list(
            default = ["//visibility:public"],
            doc = "The visibility of `pkg`.",
        ),
        "resolved_deps": attr.string_list(
            doc = "The normalised names of the distributions the lock's resolver chose for this " +
                  "one (its `# via` graph): a requirement of an extra becomes a dependency only " +
                  "when it is among them.",
        ),
        "version": attr.string(
            mandatory = True,
            doc = "The exact version the lock pins.",
        ),
        "_installer": attr.label(
            default = "//tools/rules/pip/private:whl_installer.py",
            doc = "The script that installs the distribution and prints its dependencies.",
        ),
    },
    environ = ["ACADEMY_PYTHON", "PATH"],
)
