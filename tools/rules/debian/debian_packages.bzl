"""debian_packages: the .deb files of one sha256-pinned lock, as a repository.

    load("//tools/rules/debian:debian_packages.bzl", "debian_packages")
"""

load("//tools/rules/python/private:interpreter.bzl", "find_python")

_DOC = """The .deb files of one sha256-pinned Debian lock, as a repository.

```starlark
# WORKSPACE
debian_packages(
    name = "debian_base",
    lock = "//third_party/debian:base.lock",
)
```

`@debian_base//:debs` is then a filegroup of `debs/<package>.deb` files in lock order, for a
debian_layer. The files are fetched with `apt-get download name=version`, from whatever
archive the machine's apt sources name (nothing in the repository names a host), and each is
checked against the lock's sha256: a mismatch fails the fetch, naming the package.
Regenerate the locks after editing a package list with `tools/bazel run //third_party/debian:update`.
"""

def _debian_packages_impl(rctx):
    python = find_python(rctx)
    lock = rctx.path(rctx.attr.lock)
    rctx.report_progress("apt-get download " + str(rctx.attr.lock))
    result = rctx.execute([python, rctx.path(rctx.attr._fetch), lock, "debs"], timeout = 3600, quiet = True)
    if result.return_code != 0:
        fail("could not fetch the packages of %s:\n%s" % (rctx.attr.lock, result.stderr))
    names = []
    for line in rctx.read(lock).split("\n"):
        if line.strip() and not line.startswith("#"):
            names.append("debs/%s.deb" % line.split(" ")[0])
    rctx.file("BUILD.bazel", "filegroup(\n    name = \"debs\",\n    srcs = %s,\n    visibility = [\"//visibility:public\"],\n)\n" % repr(names))

debian_packages = repository_rule(
    implementation = _debian_packages_impl,
    doc = _DOC,
    attrs = {
        "lock": attr.label(
            mandatory = True,
            allow_single_file = True,
            doc = "The lock: one `package version architecture sha256` line per package, `#` " +
                  "comments allowed, as //third_party/debian:update writes it. Its order is the " +
                  "order of `:debs`.",
        ),
        "_fetch": attr.label(
            default = "//tools/rules/debian:fetch_packages.py",
            doc = "The script that downloads and checks the packages.",
        ),
    },
    environ = ["ACADEMY_PYTHON", "PATH"],
)
