"""oci_image: an OCI image layout directory built from a base image and layer tars.

    oci_image(
        name = "image",
        base = "//third_party/images:python_base",   # another oci_image, or none
        tars = [":pip_layer", ":app_layer"],    # uncompressed tars, appended in order
        entrypoint = ["/usr/bin/python3.11", "-m", "apps.worker.video.sqs_main"],
        env = {"PYTHONPATH": "/app"},
        user = "65532:65532",
    )

Outputs the layout directory `<name>` (oci-layout, index.json, blobs/sha256/...) and
`<name>.digest` (the manifest digest, `sha256:...`). Each tar is gzipped by its own action
(mtime 0, no name), so equal inputs give equal digests on any machine, and a change to one
tar recompresses only that layer. Attributes follow rules_oci's oci_image; `env` values
merge with the base's by name.
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
    attrs = {
        "annotations": attr.string_dict(),
        "architecture": attr.string(default = "amd64"),
        "base": attr.label(doc = "An oci_image whose layers and config this one extends."),
        "cmd": attr.string_list(),
        "entrypoint": attr.string_list(),
        "env": attr.string_dict(),
        "exposed_ports": attr.string_list(doc = "e.g. [\"8000/tcp\"]"),
        "labels": attr.string_dict(),
        "os": attr.string(default = "linux"),
        "tars": attr.label_list(allow_files = [".tar"]),
        "user": attr.string(),
        "workdir": attr.string(),
        "_builder": attr.label(default = "//tools/rules/oci/private:build_image", executable = True, cfg = "exec"),
        "_compress": attr.label(default = "//tools/rules/oci/private:compress_layer", executable = True, cfg = "exec"),
    },
)
