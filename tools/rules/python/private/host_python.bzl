"""Implementation of host_python: its `doc` below is the manual (docs/rules/python.md renders it)."""

load(":interpreter.bzl", "find_python")

_DOC = """A Python toolchain that runs the host's Python 3.11 by absolute path.

```starlark
# WORKSPACE
host_python(name = "python3")

register_toolchains("@python3//:toolchain")
```

Bazel 4's autodetecting toolchain looks `python3` up on the sandbox's PATH, where a version
manager's shim may not work. This repository pins the interpreter once, at fetch time:
`ACADEMY_PYTHON` if set, else the first `python3.11` or `python3` on PATH that is Python 3.11,
resolved through `sys.executable` to the real binary. Fetching fails when none is 3.11.

The repository holds `:toolchain` (a py_runtime_pair for PY3 whose launcher's shebang is the
interpreter) and `interpreter.txt`, the interpreter's path. Being `local`, it is evaluated
again at every fetch.
"""

_BUILD = """\
load("@bazel_tools//tools/python:toolchain.bzl", "py_runtime_pair")

py_runtime(
    name = "py3_runtime",
    interpreter_path = "{interpreter}",
    python_version = "PY3",
    stub_shebang = "#!{interpreter}",
)

py_runtime_pair(
    name = "runtime_pair",
    py3_runtime = ":py3_runtime",
)

toolchain(
    name = "toolchain",
    toolchain = ":runtime_pair",
    toolchain_type = "@bazel_tools//tools/python:toolchain_type",
)

exports_files(["interpreter.txt"])
"""

def _host_python_impl(repository_ctx):
    interpreter = find_python(repository_ctx)
    repository_ctx.file("interpreter.txt", interpreter + "\n")
    repository_ctx.file("BUILD.bazel", _BUILD.format(interpreter = interpreter))

host_python = repository_rule(
    implementation = _host_python_impl,
    doc = _DOC,
    environ = ["ACADEMY_PYTHON", "PATH"],
    local = True,
)
