"""Implementation of oci_load: its `doc` below is the manual (docs/rules/oci.md renders it)."""

_DOC = """A `docker load`-able tarball of an oci_image, and a runner that loads it, as rules_oci's oci_load.

```starlark
oci_load(
    name = "image_load",
    image = ":image",
    repo_tags = ["academy/worker-video:latest"],
)
```

`bazel build :image_load` writes `<name>.tar`, which holds the OCI layout (with `repo_tags`
as its reference names) and Docker's manifest.json, so `docker load` and `podman load` both
accept it. `bazel run :image_load` loads it into a running docker or podman engine, or, when
there is none, prints where the tarball is so it can be loaded elsewhere.
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
    doc = _DOC,
    executable = True,
    attrs = {
        "image": attr.label(
            mandatory = True,
            doc = "The oci_image to load.",
        ),
        "repo_tags": attr.string_list(
            mandatory = True,
            doc = "The names the loaded image gets in the engine, each `repository:tag`, e.g. " +
                  "`academy/api:latest`.",
        ),
        "_tarball": attr.label(
            default = "//tools/rules/oci/private:docker_tarball",
            executable = True,
            cfg = "exec",
            doc = "The tool that writes the docker tarball.",
        ),
        "_template": attr.label(
            default = "//tools/rules/oci/private:load.sh.tpl",
            allow_single_file = True,
            doc = "The template of the runner script.",
        ),
    },
)
