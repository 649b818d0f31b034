"""Implementation of oci_image_rule: its `doc` below is the manual (docs/rules/oci.md renders it)."""

load(":layout.bzl", "DIGEST_TOOL", "layout_providers")

_ACCEPTED_TAR_EXTENSIONS = [".tar", ".tgz", ".tar.gz", ".tzst", ".tar.zst"]

_DOC = """Builds an OCI image layout from a base image and layer tars, as rules_oci's oci_image_rule.

Most BUILD files use the oci_image macro of //tools/rules/oci:defs.bzl, which also takes
`env`, `labels`, `annotations` as dicts and `entrypoint`, `cmd`, `exposed_ports`, `volumes`
as lists, writes them to the files this rule reads, and adds the `<name>.digest` target.

```starlark
oci_image(
    name = "image",
    base = "//third_party/images:python_base",
    tars = [":pip_layer", ":app_layer"],
    entrypoint = ["/usr/bin/python3.11", "-m", "apps.worker.video.sqs_main"],
    env = {"PYTHONPATH": "/app"},
)
```

The output is the layout directory `<name>` (oci-layout, index.json, blobs/sha256/...). The
layers are the base's, then `tars` in the order given (put what changes least first, so a
code change rebuilds only the last layer). Each tar is stored as given: a `.tar` stays
uncompressed, a `.tar.gz` / `.tgz` or `.tar.zst` / `.tzst` keeps its compression (the
layer rules of //tools/rules/oci:layers.bzl write reproducible `.tar.gz`).

Without `base`, `os` and `architecture` are required; with it, they come from the base and
may not be given. Config values given here replace the base's: `entrypoint` also clears the
base's `cmd`; `env` replaces the base's variables by name, and `$KEY` or `${KEY}` in a value
is the base's value (`PATH=/opt/bin:$PATH`); `labels` merge with the base's; `exposed_ports`
and `volumes` add to them. Without `created` the image is created at the epoch
(1970-01-01T00:00:00Z), so its digest does not depend on when it was built.
"""

def _file_arg(ctx, name, inputs):
    target = getattr(ctx.file, name)
    if not target:
        return []
    inputs.append(target)
    return ["--%s=%s" % (name.replace("_", "-"), target.path)]

def _platform(ctx):
    if ctx.attr.base:
        if ctx.attr.os or ctx.attr.architecture or ctx.attr.variant:
            fail("'os', 'architecture' and 'variant' come from the image provided by 'base' and cannot be overridden.")
        return None
    if not ctx.attr.os or not ctx.attr.architecture:
        fail("'os' and 'architecture' are mandatory when 'base' is unspecified.")
    return "/".join([p for p in [ctx.attr.os, ctx.attr.architecture, ctx.attr.variant] if p])

def _image_impl(ctx):
    platform = _platform(ctx)
    layout = ctx.actions.declare_directory(ctx.label.name)
    args = ["--out", layout.path, "--created-by", str(ctx.label)]
    inputs = []
    if ctx.attr.base:
        args += ["--base", ctx.file.base.path]
        inputs.append(ctx.file.base)
    else:
        args += ["--scratch", platform]
    for i, tar in enumerate(ctx.files.tars):
        described = ctx.actions.declare_file("%s.layers/%d.json" % (ctx.label.name, i))
        ctx.actions.run(
            executable = ctx.executable._describe,
            arguments = [tar.path, described.path],
            inputs = [tar],
            outputs = [described],
            mnemonic = "OciDescribeLayer",
            progress_message = "Describing layer %d of %s" % (i, ctx.label),
        )
        args.append("--layer=%s=%s" % (tar.path, described.path))
        inputs += [tar, described]

    # As in rules_oci, the entrypoint is applied before cmd: it clears the base's cmd.
    for name in ["created", "entrypoint", "cmd", "exposed_ports", "volumes", "env", "labels", "annotations"]:
        args += _file_arg(ctx, name, inputs)
    if ctx.attr.user:
        args.append("--user=" + ctx.attr.user)
    if ctx.attr.workdir:
        args.append("--workdir=" + ctx.attr.workdir)
    ctx.actions.run(
        executable = ctx.executable._builder,
        arguments = args,
        inputs = inputs,
        outputs = [layout],
        mnemonic = "OCIImage",
        progress_message = "OCI Image %s" % ctx.label,
    )
    return layout_providers(ctx, layout)

oci_image_rule = rule(
    implementation = _image_impl,
    doc = _DOC,
    attrs = {
        "annotations": attr.label(
            allow_single_file = True,
            doc = "A file of annotations for the image manifest, one `name=value` per line.",
        ),
        "architecture": attr.string(
            doc = "The CPU architecture the image's binaries run on, as GOARCH names it: `amd64`, " +
                  "`arm64`, ... Required without `base`, refused with it.",
        ),
        "base": attr.label(
            allow_single_file = True,
            doc = "An oci_image whose layers and config this image extends. Default: none, the " +
                  "image starts from scratch with `os` and `architecture`.",
        ),
        "cmd": attr.label(
            allow_single_file = True,
            doc = "A file of default arguments to the entrypoint (the config's Cmd), one per line.",
        ),
        "created": attr.label(
            allow_single_file = True,
            doc = "A file holding the image's creation time, `YYYY-MM-DDTHH:MM:SS.sssZ` (e.g. " +
                  "written under `--stamp`). Default: the epoch, so equal inputs give equal digests.",
        ),
        "entrypoint": attr.label(
            allow_single_file = True,
            doc = "A file of the command a container runs, one argument per line (there is no " +
                  "shell in the image). Setting it clears the base's `cmd`.",
        ),
        "env": attr.label(
            allow_single_file = True,
            doc = "A file of environment variables, one `KEY=value` per line, replacing the base's " +
                  "by name; `$KEY` or `${KEY}` in a value is the base's value of KEY.",
        ),
        "exposed_ports": attr.label(
            allow_single_file = True,
            doc = "A file of comma-separated ports a container listens on, `port/protocol` (e.g. " +
                  "`8000/tcp`); a bare port means `/tcp`. Added to the base's.",
        ),
        "labels": attr.label(
            allow_single_file = True,
            doc = "A file of config labels, one `name=value` per line, merged with the base's.",
        ),
        "os": attr.string(
            doc = "The operating system the image's binaries run on, as GOOS names it (`linux`). " +
                  "Required without `base`, refused with it.",
        ),
        "tars": attr.label_list(
            allow_files = _ACCEPTED_TAR_EXTENSIONS,
            doc = "Layer tars (`.tar`, `.tar.gz`, `.tgz`, `.tar.zst`, `.tzst`), appended after the " +
                  "base's layers in this order (do not sort) and stored as given. Each must be " +
                  "reproducible: fixed mtimes and owners, as //tools/rules/oci:layers.bzl writes them.",
        ),
        "user": attr.string(
            doc = "The user a container runs as: `user`, `uid`, `user:group`, `uid:gid`, ... " +
                  "Default: the base's (root if none sets it).",
        ),
        "variant": attr.string(
            doc = "The variant of the CPU architecture (`v8` for arm64). Only without `base`.",
        ),
        "volumes": attr.label(
            allow_single_file = True,
            doc = "A file of comma-separated volume paths (e.g. `/srv/data,/srv/other`). Added to the base's.",
        ),
        "workdir": attr.string(
            doc = "The working directory of the entrypoint, an absolute path. Default: the base's.",
        ),
        "_builder": attr.label(
            default = "//tools/rules/oci/private:build_image",
            executable = True,
            cfg = "exec",
            doc = "The tool that assembles the layout from the base and the layers.",
        ),
        "_describe": attr.label(
            default = "//tools/rules/oci/private:describe_layer",
            executable = True,
            cfg = "exec",
            doc = "The tool that describes one layer blob (media type, digest, diff_id).",
        ),
        "_digest": DIGEST_TOOL,
    },
)
