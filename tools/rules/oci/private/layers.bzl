"""Rules that make layer tars (rules_oci leaves this to rules_pkg's pkg_tar; here the tars
are built by one deterministic tool, tools/rules/oci/private/build_layer.py).

- debian_layer(name, debs, ca_bundle): unpacked Debian packages.
- files_layer(name, files, directories, symlinks): files at chosen paths.
- py_pip_layer(name, binary, packages): the role lock's distributions, under
  /opt/academy/site-packages; fails if the binary needs a distribution the lock lacks.
- py_app_layer(name, binary): the first-party files of the binary's closure, under /app.
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

_BUILDER = attr.label(default = "//tools/rules/oci/private:build_layer", executable = True, cfg = "exec")

def _debian_layer_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".tar")
    args = []
    for deb in ctx.files.debs:
        args += ["--deb", deb.path]
    if ctx.attr.ca_bundle:
        args.append("--ca-bundle")
    _run_builder(ctx, out, args, ctx.files.debs)
    return [DefaultInfo(files = depset([out]))]

debian_layer = rule(
    implementation = _debian_layer_impl,
    attrs = {
        "ca_bundle": attr.bool(doc = "Write /etc/ssl/certs/ca-certificates.crt from the packaged certificates."),
        "debs": attr.label_list(allow_files = [".deb"], mandatory = True),
        "_builder": _BUILDER,
    },
)

def _files_layer_tar(ctx, entries, extra_args = []):
    out = ctx.actions.declare_file(ctx.label.name + ".tar")
    manifest = ctx.actions.declare_file(ctx.label.name + ".files.json")
    ctx.actions.write(manifest, json.encode([[f.path, dest, None] for f, dest in entries]))
    _run_builder(ctx, out, ["--files", manifest.path] + extra_args, [manifest] + [f for f, _ in entries])
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
    attrs = {
        "directories": attr.string_list(doc = "Empty directories: `path`, `path=MODE` or `path=MODE:UID`."),
        "files": attr.label_keyed_string_dict(allow_files = True, doc = "File -> path in the image."),
        "symlinks": attr.string_dict(doc = "Path in the image -> link target."),
        "_builder": _BUILDER,
    },
)

def _repo_of(f):
    return f.owner.workspace_name

def _pip_dest(f):
    # ../pip_django/site/django/__init__.py -> opt/academy/site-packages/django/__init__.py
    path = f.short_path
    if "/site/" not in path:
        return None
    rel = path.split("/site/", 1)[1]
    if rel.startswith("bin/") or "__pycache__/" in rel or rel.endswith(".pyc"):
        return None
    return SITE_PACKAGES + "/" + rel

def _py_pip_layer_impl(ctx):
    allowed = {}
    entries = []
    for target in ctx.attr.packages:
        repo = target.label.workspace_name
        allowed[repo[len(ctx.attr.packages_hub) + 1:]] = True
        for f in target[DefaultInfo].default_runfiles.files.to_list():
            if _repo_of(f) != repo:
                continue
            dest = _pip_dest(f)
            if dest:
                entries.append((f, dest))
    needed = {}
    for f in ctx.attr.binary[DefaultInfo].default_runfiles.files.to_list():
        repo = _repo_of(f)
        if repo and repo.startswith(ctx.attr.hub + "_"):
            needed[repo[len(ctx.attr.hub) + 1:]] = True
    missing = sorted([r for r in needed if r not in allowed])
    if missing:
        fail("%s needs %s, which %s does not lock: add them to the role's requirements file and run tools/bazel run //requirements:update" % (
            ctx.attr.binary.label,
            ", ".join(missing),
            ctx.attr.lock_name,
        ))
    return [DefaultInfo(files = depset([_files_layer_tar(ctx, entries)]))]

py_pip_layer = rule(
    implementation = _py_pip_layer_impl,
    attrs = {
        "binary": attr.label(mandatory = True, doc = "The py_binary whose closure must be covered by `packages`."),
        "hub": attr.string(default = "pip", doc = "The pip hub the binary's dependencies come from."),
        "packages_hub": attr.string(default = "pip", doc = "The pip hub `packages` come from."),
        "lock_name": attr.string(doc = "For messages: the lock `packages` came from."),
        "packages": attr.label_list(doc = "Every distribution of the role's lock (`requirements_for(role)`)."),
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
    attrs = {
        "binary": attr.label(mandatory = True),
        "_builder": _BUILDER,
    },
)
