"""oci_load: a `docker load`-able tarball of an oci_image, and a runner that loads it.

    oci_load(name = "load", image = ":image", repo_tags = ["academy/worker-video:latest"])

`bazel build :load` writes `<name>.tar`; `bazel run :load` loads it into a running docker
or podman engine, or says where the tarball is when there is none.
"""

def _load_impl(ctx):
    layout = ctx.attr.image[OutputGroupInfo].layout.to_list()[0]
    tarball = ctx.actions.declare_file(ctx.label.name + ".tar")
    ctx.actions.run(
        executable = ctx.executable._tarball,
        arguments = [layout.path, tarball.path] + ctx.attr.repo_tags,
        inputs = [layout],
        outputs = [tarball],
        mnemonic = "OciTarball",
        progress_message = "Writing docker tarball of %s" % ctx.attr.image.label,
    )
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        substitutions = {
            "{{IMAGE}}": str(ctx.attr.image.label),
            "{{TARBALL}}": ctx.workspace_name + "/" + tarball.short_path,
        },
        is_executable = True,
    )
    return [
        DefaultInfo(files = depset([tarball]), executable = script, runfiles = ctx.runfiles(files = [tarball])),
        OutputGroupInfo(tarball = depset([tarball])),
    ]

oci_load = rule(
    implementation = _load_impl,
    executable = True,
    attrs = {
        "image": attr.label(mandatory = True),
        "repo_tags": attr.string_list(mandatory = True),
        "_tarball": attr.label(default = "//tools/rules/oci/private:docker_tarball", executable = True, cfg = "exec"),
        "_template": attr.label(default = "//tools/rules/oci/private:load.sh.tpl", allow_single_file = True),
    },
)
