"""Implementation of oci_load_rule: its `doc` below is the manual (docs/rules/oci.md renders it)."""

_DOC = """A tarball of an oci_image for a container engine, and a runner that loads it, as rules_oci's oci_load.

Most BUILD files use the oci_load macro of //tools/rules/oci:defs.bzl, which also takes
`repo_tags` as a list of strings.

```starlark
oci_load(
    name = "image_load",
    image = ":image",
    repo_tags = ["academy/worker-video:latest"],
)
```

`bazel build :image_load` writes `<name>/tarball.tar`, also the `tarball` output group
(`bazel build :image_load --output_groups=+tarball`). With `format = "docker"` (the default)
it holds Docker's manifest.json with `repo_tags` beside the OCI layout, so `docker load` and
`podman load` both accept it; with `format = "oci"` it is the OCI layout alone, its
index.json naming each tag (`org.opencontainers.image.ref.name`), for containerd's image
store. `bazel run :image_load` pipes it into `loader`'s `load --input`, or else the first of
docker, podman and nerdctl on PATH; with none it fails (exit 1), naming the tarball so it
can be loaded elsewhere.
"""

def _load_impl(ctx):
    tarball = ctx.actions.declare_file(ctx.label.name + "/tarball.tar")
    ctx.actions.run(
        executable = ctx.executable._tarball,
        arguments = ["--format", ctx.attr.format, ctx.file.image.path, tarball.path, ctx.file.repo_tags.path],
        inputs = [ctx.file.image, ctx.file.repo_tags],
        outputs = [tarball],
        mnemonic = "OciTarball",
        progress_message = "Writing %s tarball of %s" % (ctx.attr.format, ctx.attr.image.label),
    )
    files = [tarball]
    loader = ""
    if ctx.attr.loader:
        loader_file = ctx.attr.loader[DefaultInfo].files_to_run.executable or ctx.file.loader
        files.append(loader_file)
        loader = ctx.workspace_name + "/" + loader_file.short_path
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        substitutions = {
            "{{IMAGE}}": str(ctx.attr.image.label),
            "{{LOADER}}": loader,
            "{{TARBALL}}": ctx.workspace_name + "/" + tarball.short_path,
        },
        is_executable = True,
    )
    runfiles = ctx.runfiles(files = files)
    if ctx.attr.loader:
        runfiles = runfiles.merge(ctx.attr.loader[DefaultInfo].default_runfiles)
    return [
        DefaultInfo(files = depset([tarball]), executable = script, runfiles = runfiles),
        OutputGroupInfo(tarball = depset([tarball])),
    ]

oci_load_rule = rule(
    implementation = _load_impl,
    doc = _DOC,
    executable = True,
    attrs = {
        "format": attr.string(
            default = "docker",
            values = ["docker", "oci"],
            doc = "The tarball's format: `docker` (manifest.json beside the OCI layout, which " +
                  "docker and podman load) or `oci` (the OCI layout alone).",
        ),
        "image": attr.label(
            mandatory = True,
            allow_single_file = True,
            doc = "The oci_image to load.",
        ),
        "loader": attr.label(
            allow_single_file = True,
            executable = True,
            cfg = "target",
            doc = "A container CLI to load with (run as `<loader> load --input <tarball>`). " +
                  "Default: docker, podman or nerdctl from PATH.",
        ),
        "repo_tags": attr.label(
            mandatory = True,
            allow_single_file = True,
            doc = "A file of the names the loaded image gets, one `repository:tag` per line, " +
                  "e.g. `academy/api:latest`.",
        ),
        "_tarball": attr.label(
            default = "//tools/rules/oci/private:docker_tarball",
            executable = True,
            cfg = "exec",
            doc = "The tool that writes the tarball.",
        ),
        "_template": attr.label(
            default = "//tools/rules/oci/private:load.sh.tpl",
            allow_single_file = True,
            doc = "The template of the runner script.",
        ),
    },
)
