"""Public entry for the host Python toolchain.

    load("//tools/rules/python:defs.bzl", "host_python")
"""

load("//tools/rules/python/private:host_python.bzl", _host_python = "host_python")

host_python = _host_python
