"""Public entry for the in-repo pip rules, in rules_python's pip_parse shape.

    load("//tools/rules/pip:defs.bzl", "pip_parse")

Locks are regenerated from requirements/*.txt with `tools/bazel run //requirements:update`.
"""

load("//tools/rules/pip/private:pip_parse.bzl", _pip_parse = "pip_parse")

pip_parse = _pip_parse
