"""whl_library: one locked distribution, installed with pip --require-hashes into its own repository.

Declared by the hub's install_deps(); users never call it. The repository holds
`site/` (pip install --target) and a `py_library` named `pkg` whose deps are the
distribution's own requirements (from its wheel metadata) that the lock also holds.
"""

load("//tools/python/private:interpreter.bzl", "find_python")

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
    pin = "%s==%s" % (rctx.attr.package, rctx.attr.version)
    rctx.file("requirement.txt", " ".join([pin] + ["--hash=" + h for h in rctx.attr.hashes]) + "\n")
    rctx.report_progress("pip install " + pin)
    result = rctx.execute(
        [
            python, "-m", "pip", "install",
            "--no-deps", "--require-hashes", "--no-input", "--disable-pip-version-check",
            "--no-warn-script-location", "--quiet",
            "--target", "site",
            "-r", "requirement.txt",
        ],
        timeout = 1800,
        environment = {"PYTHONDONTWRITEBYTECODE": "1"},
    )
    if result.return_code != 0:
        fail("\n".join([
            "pip could not install %s, pinned in %s." % (pin, rctx.attr.lock),
            "If the lock was edited by hand or its hashes do not match what the index serves,",
            "regenerate it with: tools/bazel run //requirements:update",
            "pip said:",
            result.stderr.strip() or result.stdout.strip(),
        ]))
    deps = rctx.execute(
        [
            python, rctx.path(rctx.attr._wheel_deps), "site", rctx.attr.package,
            ",".join(rctx.attr.locked_packages), ",".join(rctx.attr.resolved_deps),
        ],
    )
    if deps.return_code != 0:
        fail("could not read the metadata of %s: %s" % (pin, deps.stderr))
    labels = ["@%s_%s//:pkg" % (rctx.attr.hub, d) for d in deps.stdout.strip().split("\n") if d]
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
        "_wheel_deps": attr.label(default = "//tools/pip/private:wheel_deps.py"),
    },
    environ = ["ACADEMY_PYTHON", "PATH"],
)
