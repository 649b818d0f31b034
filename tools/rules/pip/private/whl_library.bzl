"""whl_library: one locked distribution, installed with pip --require-hashes into its own repository.

Declared by the hub's install_deps(); users never call it. The repository holds
`site/` (pip install --target) and a `py_library` named `pkg` whose deps are the
distribution's own requirements (from its wheel metadata) that the lock also holds.
"""

load("//tools/rules/python/private:interpreter.bzl", "find_python")

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
    attrs = {
        "hashes": attr.string_list(mandatory = True),
        "hub": attr.string(mandatory = True),
        "lock": attr.string(mandatory = True),
        "locked_packages": attr.string_list(),
        "package": attr.string(mandatory = True),
        "package_visibility": attr.string_list(default = ["//visibility:public"]),
        "resolved_deps": attr.string_list(doc = "What the lock's resolver chose for this package (its '# via' graph)."),
        "version": attr.string(mandatory = True),
        "_installer": attr.label(default = "//tools/rules/pip/private:whl_installer.py"),
    },
    environ = ["ACADEMY_PYTHON", "PATH"],
)
