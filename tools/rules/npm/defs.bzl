"""Public entry for the in-repo npm rules, in rules_js's npm_import shape.

    load("//tools/rules/npm:defs.bzl", "npm_import")

One pinned package per repository, fetched with npm itself; tools/rules/npm/CONFORMANCE.md
compares the attributes with rules_js's npm_import.
"""

load("//tools/rules/npm/private:npm_import.bzl", _npm_import = "npm_import")

npm_import = _npm_import
