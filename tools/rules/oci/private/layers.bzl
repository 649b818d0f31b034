"""Implementation of the layer rules: each rule's `doc` below is its manual (docs/rules/oci.md).

rules_oci leaves layer tars to rules_pkg's pkg_tar; here one deterministic tool,
tools/rules/oci/private/build_layer.py, writes them all as `<name>.tar.gz` (entries sorted,
mtime 2000-01-01, owner root unless asked, no user names, gzip without name or time), so
equal inputs give equal bytes on any machine, and oci_image stores them as they are.

- debian_layer: unpacked Debian packages.
- files_layer: files, empty directories and symlinks at chosen paths.
- py_pip_layer: a role lock's pip distributions, under /opt/academy/site-packages.
- py_app_layer: the first-party files of a py_binary's closure, under /app.
"""

SITE_PACKAGES = "opt/academy/site-packages"
APP_ROOT = "app"

def _run_builder(ctx, out, args, inputs):
    ctx.actions.run(
        executable = ctx.executable._builder,
        arguments = ["--out", out.path] + args,
        inputs = inputs,
        outputs = [out],
        mnemonic = "OciLayer",
        progress_message = "Building layer %s" % ctx.label,
    )

_BUILDER = attr.label(
    default = "//tools/rules/oci/private:build_layer",
    executable = True,
    cfg = "exec",
    doc = "The tool that writes every layer tar.",
)

def _debian_layer_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".tar.gz")
    args = []
    for deb in ctx.files.debs:
        args += ["--deb", deb.path]
    if ctx.attr.ca_bundle:
        args.append("--ca-bundle")
    _run_builder(ctx, out, args, ctx.files.debs)
    return [DefaultInfo(files = depset([out]))]

debian_layer = rule(
    implementation = _debian_layer_impl,
    doc = """A layer tar of unpacked Debian packages, as distroless builds its base images.

```starlark
debian_layer(
    name = "python_layer",
    ca_bundle = True,
    debs = ["@debian_base//:debs"],
)
```

Writes `<name>.tar.gz` with each package's data (`dpkg-deb --fsys-tarfile`), documentation, man
and info pages dropped, copyright files kept. Maintainer scripts never run in an image, so
the one effect of theirs that programs need is replayed: each `update-alternatives --install`
in a package's postinst becomes its symlink (the highest priority wins), e.g. libblas.so.3,
without which ffmpeg does not start.
""",
    attrs = {
        "ca_bundle": attr.bool(
            doc = "Also write /etc/ssl/certs/ca-certificates.crt, the bundle of every certificate " +
                  "under usr/share/ca-certificates in the layer, which ca-certificates' maintainer " +
                  "script would have written. The layer must then hold the ca-certificates package.",
        ),
        "debs": attr.label_list(
            allow_files = [".deb"],
            mandatory = True,
            doc = "The .deb files to unpack, in order: where two packages hold the same path, the " +
                  "later one's file wins. Usually a debian_packages repository's `:debs`.",
        ),
        "_builder": _BUILDER,
    },
)

def _files_layer_tar(ctx, entries, extra_args = [], extra_inputs = []):
    out = ctx.actions.declare_file(ctx.label.name + ".tar.gz")
    manifest = ctx.actions.declare_file(ctx.label.name + ".files.json")
    ctx.actions.write(manifest, json.encode([[f.path, dest, None] for f, dest in entries]))
    _run_builder(ctx, out, ["--files", manifest.path] + extra_args, [manifest] + [f for f, _ in entries] + extra_inputs)
    return out

def _files_layer_impl(ctx):
    entries = []
    for target, dest in ctx.attr.files.items():
        for f in target.files.to_list():
            entries.append((f, dest))
    args = []
    for d in ctx.attr.directories:
        args += ["--directory", d]
    for dest, target in ctx.attr.symlinks.items():
        args += ["--symlink", "%s=%s" % (dest, target)]
    return [DefaultInfo(files = depset([_files_layer_tar(ctx, entries, args)]))]

files_layer = rule(
    implementation = _files_layer_impl,
    doc = """A layer tar of files, empty directories and symlinks at chosen paths in the image.

```starlark
files_layer(
    name = "users_layer",
    directories = ["home/nonroot=0700:65532", "tmp=1777"],
    files = {"rootfs/passwd": "etc/passwd"},
    symlinks = {"usr/bin/python": "python3.11"},
)
```

Writes `<name>.tar.gz`. Paths in the image are relative to its root (`etc/passwd`, not
`/etc/passwd`). Everything is owned by root unless a directory names another owner.
""",
    attrs = {
        "directories": attr.string_list(
            doc = "Empty directories to create, each `path`, `path=MODE` or `path=MODE:UID`: MODE in " +
                  "octal (default 0755), UID the numeric owner and group (default 0), e.g. " +
                  "`home/nonroot=0700:65532` for a home the image's user must write.",
        ),
        "files": attr.label_keyed_string_dict(
            allow_files = True,
            doc = "File -> its path in the image. Each label should give one file (a target with " +
                  "several would write them all to the same path). A file keeps only its executable " +
                  "bit: mode 0755 if the source is executable, else 0644.",
        ),
        "symlinks": attr.string_dict(
            doc = "Path in the image -> link target, written as given (a relative target resolves " +
                  "from the link's directory).",
        ),
        "_builder": _BUILDER,
    },
)

def _repo_of(f):
    return f.owner.workspace_name

def _dist_info(f):
    """(site root, normalised distribution name) when `f` is a distribution's METADATA, else None.

    A distribution is found by what it is, not by where a rule set puts it: the METADATA of
    a `<name>-<version>.dist-info` directory in an external repository, whose parent is the
    site root (`../pip_django/site` here, `../rules_python~~pip~pip_311_django/site-packages`
    under bzlmod).
    """
    parts = f.short_path.split("/")
    if not f.short_path.startswith("../") or len(parts) < 4 or parts[-1] != "METADATA":
        return None
    if not parts[-2].endswith(".dist-info"):
        return None
    return "/".join(parts[:-2]), parts[-2].split("-")[0].lower().replace(".", "_")

def _distributions(files):
    """site root -> distribution name, for every distribution among `files`.

    A .dist-info nested inside a site root (setuptools/_vendor/packaging-*.dist-info) is
    part of the distribution that vendors it, not a distribution of its own.
    """
    found = {}
    for f in files:
        info = _dist_info(f)
        if info:
            found[info[0]] = info[1]
    return {
        root: name
        for root, name in found.items()
        if not [other for other in found if root.startswith(other + "/")]
    }

def _installed(rel):
    # Scripts and bytecode stay out of the image: the entrypoint runs `python -m`.
    return not (rel.startswith("bin/") or "__pycache__/" in rel or rel.endswith(".pyc"))

def _py_pip_layer_impl(ctx):
    allowed = {}
    entries = []
    for target in ctx.attr.packages:
        files = [f for f in target[DefaultInfo].default_runfiles.files.to_list() if _repo_of(f) == target.label.workspace_name]
        roots = _distributions(files)
        if not roots:
            fail("%s holds no installed distribution (no *.dist-info/METADATA in its files)" % target.label)
        allowed.update({name: True for name in roots.values()})
        for f in files:
            for root in roots:
                if f.short_path.startswith(root + "/"):
                    rel = f.short_path[len(root) + 1:]
                    if _installed(rel):
                        entries.append((f, SITE_PACKAGES + "/" + rel))
    if not entries:
        fail("%s: the pip layer would be empty; `packages` gives no installed files" % ctx.label)
    needed = _distributions(ctx.attr.binary[DefaultInfo].default_runfiles.files.to_list()).values()
    missing = sorted({name: True for name in needed if name not in allowed}.keys())
    if missing:
        fail("%s needs %s, which %s does not lock: add them to the role's requirements file and run tools/bazel run //requirements:update" % (
            ctx.attr.binary.label,
            ", ".join(missing),
            ctx.attr.lock_name,
        ))
    wheels = ctx.files.wheels
    args = ["--site-root", SITE_PACKAGES] + ["--wheel=" + w.path for w in wheels]
    return [DefaultInfo(files = depset([_files_layer_tar(ctx, entries, args, wheels)]))]

py_pip_layer = rule(
    implementation = _py_pip_layer_impl,
    doc = """A layer tar of a role lock's pip distributions, under /opt/academy/site-packages.

```starlark
load("@pip_roles//:roles.bzl", "requirements_for", "wheels_for")

py_pip_layer(
    name = "pip_layer",
    binary = ":sqs_main",
    lock_name = "requirements/worker-video.lock",
    packages = requirements_for("worker-video"),
    wheels = wheels_for("worker-video"),
)
```

Writes `<name>.tar.gz` with the installed files of every distribution in `packages` (scripts
under bin/ and bytecode left out), so the image holds exactly the role's lock, not only what
`binary` imports. A distribution is recognised by what it is, an installed
`<name>-<version>.dist-info/METADATA`, whose directory's parent is its site root; nothing
depends on how a pip rule set names its repositories or directories, so the layer is the
same with rules_python. Fails when `binary` depends on a distribution that `packages` lacks
(the image would start and then fail on an import), when a target of `packages` holds no
installed distribution, or when the layer would be empty. `packages` may come from another
pip_parse hub than the binary's own dependencies, as the GPU image's do (`@pip_gpu`, CUDA
PyTorch).

Each distribution goes in as its wheel has it: a file whose content no longer has the sha256
its wheel's `RECORD` gives (something on the build machine changed it after the install,
such as a start-up hook appending a proxy's CA to certifi's `cacert.pem`) is taken from the
wheel in `wheels` again, so the layer's digest depends neither on the machine nor on when
the layer was built. A distribution without its wheel in `wheels` fails the build.
""",
    attrs = {
        "binary": attr.label(
            mandatory = True,
            doc = "The py_binary whose pip dependencies `packages` must all cover. Only checked: " +
                  "nothing of the binary goes into this layer.",
        ),
        "lock_name": attr.string(
            doc = "The lock that `packages` come from, e.g. `requirements/worker-video.lock`. Only " +
                  "used in the message when a distribution is missing.",
        ),
        "packages": attr.label_list(
            doc = "Every distribution of the role's lock: `requirements_for(role)` of " +
                  "`@pip_roles//:roles.bzl`.",
        ),
        "wheels": attr.label_list(
            allow_files = True,
            mandatory = True,
            doc = "The wheels of `packages` (`wheels_for(role)`): each installed file is checked " +
                  "against its wheel's RECORD and taken from the wheel when it was changed.",
        ),
        "_builder": _BUILDER,
    },
)

def _py_app_layer_impl(ctx):
    executable = ctx.attr.binary[DefaultInfo].files_to_run.executable
    entries = []
    for f in ctx.attr.binary[DefaultInfo].default_runfiles.files.to_list():
        if _repo_of(f) or f == executable or f.short_path.startswith("../"):
            continue
        entries.append((f, APP_ROOT + "/" + f.short_path))
    return [DefaultInfo(files = depset([_files_layer_tar(ctx, entries)]))]

py_app_layer = rule(
    implementation = _py_app_layer_impl,
    doc = """A layer tar of the first-party files of a py_binary's closure, under /app.

```starlark
py_app_layer(
    name = "app_layer",
    binary = ":sqs_main",
)
```

Writes `<name>.tar.gz` with every file of the main repository in the binary's runfiles, at
`/app/<path in the repository>` (sources, data, `__init__.py` files), so `python -m
apps.worker.video.sqs_main` finds them with `PYTHONPATH=/app`. External repositories (pip
distributions, toolchains) and the binary's own launcher are left out. This is the layer
that a code change rebuilds: keep it last.
""",
    attrs = {
        "binary": attr.label(
            mandatory = True,
            doc = "The py_binary whose first-party files the layer holds.",
        ),
        "_builder": _BUILDER,
    },
)
