"""Implementation of oci_image: its `doc` below is the manual (docs/rules/oci.md renders it)."""

_DOC = """An OCI image layout directory built from a base image and layer tars, as rules_oci's oci_image.

```starlark
oci_image(
    name = "image",
    base = "//third_party/images:python_base",
    tars = [":pip_layer", ":app_layer"],
    entrypoint = ["/usr/bin/python3.11", "-m", "apps.worker.video.sqs_main"],
    env = {"PYTHONPATH": "/app"},
    user = "65532:65532",
)
```

Outputs the layout directory `<name>` (oci-layout, index.json, blobs/sha256/...) and
`<name>.digest`, the manifest digest (`sha256:...`). The layers are the base's, then `tars`
in the order given: put what changes least first, so a code change rebuilds only the last
layer. Each tar is gzipped by its own action with mtime 0 and no file name, so equal inputs
give equal digests on any machine, and a change to one tar recompresses only that layer.

Config values given here replace the base's; `env`, `labels` and `exposed_ports` merge with
the base's by key. The image is created at the epoch (1970-01-01T00:00:00Z), so its digest
does not depend on when it was built.
"""

def _image_impl(ctx):
    layout = ctx.actions.declare_directory(ctx.label.name)
    digest = ctx.actions.declare_file(ctx.label.name + ".digest")
    spec = ctx.actions.declare_file(ctx.label.name + ".spec.json")
    ctx.actions.write(spec, json.encode({
        "annotations": ctx.attr.annotations,
        "architecture": ctx.attr.architecture,
        "cmd": ctx.attr.cmd,
        "created_by": str(ctx.label),
        "entrypoint": ctx.attr.entrypoint,
        "env": ctx.attr.env,
        "exposed_ports": ctx.attr.exposed_ports,
        "labels": ctx.attr.labels,
        "os": ctx.attr.os,
        "user": ctx.attr.user,
        "workdir": ctx.attr.workdir,
    }))
    args = ["--out", layout.path, "--digest-out", digest.path, "--spec", spec.path]
    inputs = [spec]
    if ctx.attr.base:
        base = ctx.attr.base[OutputGroupInfo].layout.to_list()[0]
        args += ["--base", base.path]
        inputs.append(base)
    for i, tar in enumerate(ctx.files.tars):
        gz = ctx.actions.declare_file("%s.layers/%d.tar.gz" % (ctx.label.name, i))
        described = ctx.actions.declare_file("%s.layers/%d.json" % (ctx.label.name, i))
        ctx.actions.run(
            executable = ctx.executable._compress,
            arguments = [tar.path, gz.path, described.path],
            inputs = [tar],
            outputs = [gz, described],
            mnemonic = "OciCompress",
            progress_message = "Compressing layer %d of %s" % (i, ctx.label),
        )
        args += ["--layer", "%s=%s" % (gz.path, described.path)]
        inputs += [gz, described]
    ctx.actions.run(
        executable = ctx.executable._builder,
        arguments = args,
        inputs = inputs,
        outputs = [layout, digest],
        mnemonic = "OciImage",
        progress_message = "Assembling image %s" % ctx.label,
    )
    return [
        DefaultInfo(files = depset([layout, digest]), runfiles = ctx.runfiles(files = [layout, digest])),
        OutputGroupInfo(layout = depset([layout]), digest = depset([digest])),
    ]

oci_image = rule(
    implementation = _image_impl,
    doc = _DOC,
    attrs = {
        "annotations": attr.string_dict(
            doc = "Annotations of the image manifest, key -> value (OCI annotation keys such as " +
                  "`org.opencontainers.image.source`).",
        ),
        "architecture": attr.string(
            default = "amd64",
            doc = "The CPU architecture the image's binaries run on, as GOARCH names it: `amd64`, `arm64`, ...",
        ),
        "base": attr.label(
            doc = "An oci_image whose layers and config this image extends. Default: none, the image " +
                  "starts empty.",
        ),
        "cmd": attr.string_list(
            doc = "Default arguments to the entrypoint (the config's Cmd). Default: the base's.",
        ),
        "entrypoint": attr.string_list(
            doc = "The command a container runs, as a list of arguments, not a shell string (there is " +
                  "no shell in the image). Default: the base's.",
        ),
        "env": attr.string_dict(
            doc = "Environment variables, name -> value, merged by name with the base's: a name given " +
                  "here replaces the base's value. Values are taken as written (no `$VAR` expansion).",
        ),
        "exposed_ports": attr.string_list(
            doc = "Ports a container listens on, `port/protocol` (e.g. `8000/tcp`); a bare port means " +
                  "`/tcp`. Added to the base's.",
        ),
        "labels": attr.string_dict(
            doc = "Labels of the image config, key -> value (e.g. `org.opencontainers.image.title`), " +
                  "merged with the base's.",
        ),
        "os": attr.string(
            default = "linux",
            doc = "The operating system the image's binaries run on, as GOOS names it.",
        ),
        "tars": attr.label_list(
            allow_files = [".tar"],
            doc = "Uncompressed layer tars, appended after the base's layers in this order (do not " +
                  "sort). Each must be reproducible: fixed mtimes and owners, as the layer rules of " +
                  "//tools/rules/oci:layers.bzl write them.",
        ),
        "user": attr.string(
            doc = "The user a container runs as, `uid`, `uid:gid` or a name from the image's " +
                  "/etc/passwd. Default: the base's (root if none sets it).",
        ),
        "workdir": attr.string(
            doc = "The working directory of the entrypoint, an absolute path. Default: the base's.",
        ),
        "_builder": attr.label(
            default = "//tools/rules/oci/private:build_image",
            executable = True,
            cfg = "exec",
            doc = "The tool that assembles the layout from the base and the compressed layers.",
        ),
        "_compress": attr.label(
            default = "//tools/rules/oci/private:compress_layer",
            executable = True,
            cfg = "exec",
            doc = "The tool that gzips one layer tar and describes it.",
        ),
    },
)
