"""host_python: a Python toolchain that runs the host's Python 3.11 by absolute path.

Bazel 4's autodetecting toolchain looks `python3` up on the sandbox's PATH, where a version
manager's shim may not work. This repository pins the interpreter once, at fetch time.

    host_python(name = "python3")
    register_toolchains("@python3//:toolchain")
"""

load(":interpreter.bzl", "find_python")

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
    environ = ["ACADEMY_PYTHON", "PATH"],
    local = True,
)
