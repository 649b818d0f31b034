"""debian_packages: the .deb files of one sha256-pinned lock, as a repository.

    debian_packages(name = "debian_base", lock = "//third_party/debian:base.lock")

`@debian_base//:debs` is a filegroup of `<package>.deb` files in lock order. Files are
fetched with `apt-get download` (the machine's apt sources) and checked against the lock.
Regenerate locks with `tools/bazel run //third_party/debian:update`.
"""

load("//tools/rules/python/private:interpreter.bzl", "find_python")

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
    attrs = {
        "lock": attr.label(mandatory = True, allow_single_file = True),
        "_fetch": attr.label(default = "//tools/rules/debian:fetch_packages.py"),
    },
    environ = ["ACADEMY_PYTHON", "PATH"],
)
