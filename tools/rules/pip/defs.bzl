"""Public entry for the in-repo pip rules (rules_python's pip_parse shape)."""

load("//tools/rules/pip/private:pip_parse.bzl", _pip_parse = "pip_parse")

pip_parse = _pip_parse
