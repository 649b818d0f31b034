"""Implementation of whl_library: its `doc` below is the manual (docs/rules/pip.md renders it)."""

load("//tools/rules/python/private:interpreter.bzl", "find_python")

_DOC = """One locked distribution, installed with `pip install --no-deps --require-hashes` into its own repository.

Declared by a pip_parse hub's `install_deps()`, one per locked distribution, named
`<hub>_<normalised name>` (`@pip_django`); BUILD files never name it, they use the hub's
aliases (`@pip//django:pkg`). pip first downloads the pinned file into `whl/` (`pip
download --no-deps --require-hashes`), then installs it from there into `site/`. Targets,
as rules_python's whl_library has them:

- `pkg`: a py_library of `site/` whose deps are the distribution's own requirements, from
  its wheel metadata with markers evaluated for the interpreter, that the lock also holds
  (`@<hub>//<dep>:pkg`). A requirement of an extra counts only where the lock's resolver
  chose it (`resolved_deps`), so extras nobody asked for add no edges and no cycles.
- `whl`: the downloaded file (a wheel; an sdist where the index has no wheel).
- `data`: the installed files that are not Python sources; `dist_info`: the `.dist-info`
  directory's files.
"""

_BUILD = """\
package(default_visibility = ["//visibility:public"])

filegroup(
    name = "whl",
    srcs = glob(["whl/*"]),
)

filegroup(
    name = "data",
    srcs = glob(
        ["site/**"],
        exclude = ["site/**/*.py", "site/**/* *", "site/**/RECORD"],
    ),
)

filegroup(
    name = "dist_info",
    srcs = glob(["site/*.dist-info/**"], exclude = ["site/**/* *"]),
)

py_library(
    name = "pkg",
    srcs = glob(["site/**/*.py"], allow_empty = True),
    data = [":data"],
    imports = ["site"],
    deps = {deps},
)
"""

def _interpreter(rctx):
    if rctx.attr.python_interpreter_target:
        return str(rctx.path(rctx.attr.python_interpreter_target))
    if rctx.attr.python_interpreter:
        found = rctx.which(rctx.attr.python_interpreter)
        return str(found) if found else rctx.attr.python_interpreter
    return find_python(rctx)

def _isolated(rctx):
    # As rules_python: the environment variable, when set, wins over the attribute.
    override = rctx.os.environ.get("RULES_PYTHON_PIP_ISOLATED")
    if override != None:
        return override.lower() not in ("0", "false")
    return rctx.attr.isolated

def _whl_library_impl(rctx):
    rctx.report_progress("pip install %s==%s" % (rctx.attr.package, rctx.attr.version))
    pip_args = list(rctx.attr.extra_pip_args)
    if _isolated(rctx):
        pip_args.append("--isolated")
    if rctx.attr.quiet:
        pip_args.append("--quiet")
    result = rctx.execute(
        [
            _interpreter(rctx), rctx.path(rctx.attr._installer),
            "--lock", rctx.attr.lock,
            "--package", rctx.attr.package,
            "--version", rctx.attr.version,
            "--download", "whl",
            "--target", "site",
            "--locked", ",".join(rctx.attr.locked_packages),
            "--resolved", ",".join(rctx.attr.resolved_deps),
        ] + ["--hash=" + h for h in rctx.attr.hashes] + ["--pip-arg=" + a for a in pip_args],
        timeout = rctx.attr.timeout,
        environment = dict(rctx.attr.environment, PYTHONDONTWRITEBYTECODE = "1"),
    )
    if result.return_code != 0:
        fail(result.stderr)
    labels = ["@%s//%s:pkg" % (rctx.attr.repo, d) for d in result.stdout.strip().split("\n") if d]
    rctx.file("BUILD.bazel", _BUILD.format(deps = repr(labels)))

whl_library = repository_rule(
    implementation = _whl_library_impl,
    doc = _DOC,
    attrs = {
        "hashes": attr.string_list(
            mandatory = True,
            doc = "The lock's hashes of the distribution's files, `sha256:<hex>`; pip refuses a " +
                  "download that matches none.",
        ),
        "environment": attr.string_dict(
            doc = "Environment variables for pip, name -> value.",
        ),
        "extra_pip_args": attr.string_list(
            doc = "Arguments added to `pip download` and `pip install` (the lock's index options " +
                  "and pip_parse's `extra_pip_args`).",
        ),
        "isolated": attr.bool(
            default = True,
            doc = "Run pip with `--isolated`; `RULES_PYTHON_PIP_ISOLATED` overrides it.",
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
        "python_interpreter": attr.string(
            doc = "The interpreter that runs pip, a path or a command on PATH. Default: the " +
                  "host's Python 3.11.",
        ),
        "python_interpreter_target": attr.label(
            allow_single_file = True,
            doc = "The interpreter that runs pip as a label; wins over `python_interpreter`.",
        ),
        "quiet": attr.bool(
            default = True,
            doc = "Pass `--quiet` to pip.",
        ),
        "repo": attr.string(
            mandatory = True,
            doc = "The name of the pip_parse hub that declares this repository; its dependencies " +
                  "are that hub's aliases, `@<repo>//<name>:pkg`.",
        ),
        "resolved_deps": attr.string_list(
            doc = "The normalised names of the distributions the lock's resolver chose for this " +
                  "one (its `# via` graph): a requirement of an extra becomes a dependency only " +
                  "when it is among them.",
        ),
        "timeout": attr.int(
            default = 600,
            doc = "Seconds the download and install may take.",
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
    environ = ["ACADEMY_PYTHON", "PATH", "RULES_PYTHON_PIP_ISOLATED"],
)
