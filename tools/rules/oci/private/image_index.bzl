"""Implementation of oci_image_index_rule: its `doc` below is the manual (docs/rules/oci.md renders it)."""

load(":layout.bzl", "DIGEST_TOOL", "layout_providers")

_DOC = """A multi-platform image: an OCI image index of oci_image targets, as rules_oci's oci_image_index_rule.

Most BUILD files use the oci_image_index macro of //tools/rules/oci:defs.bzl, which also takes
`annotations` as a dict and adds the `<name>.digest` target (the index manifest's digest).

```starlark
oci_image(name = "app_linux_amd64", os = "linux", architecture = "amd64", tars = [":layer"])
oci_image(name = "app_linux_arm64", os = "linux", architecture = "arm64", variant = "v8", tars = [":layer"])

oci_image_index(
    name = "app",
    images = [":app_linux_amd64", ":app_linux_arm64"],
)
```

The output is an OCI layout directory whose `index.json` names one index manifest
(`application/vnd.oci.image.index.v1+json`); that lists each image's manifest, in the order of
`images`, with the platform its config names (`os`, `architecture`, and `variant`,
`os.version`, `os.features` where set), and holds every blob of every image. oci_push and
oci_load take it as `image`: the push copies the index with all its images
(`skopeo copy --all`), so the registry serves the index's digest.

rules_oci's `platforms` attribute (an experimental transition that builds one image for
several platforms) is absent: the images here take their architecture from a base built of
Debian packages for one architecture, so a transition would build the same layers under
another platform's name. Give one oci_image per platform instead, as rules_oci's second
documented form does.
"""

def _index_impl(ctx):
    layout = ctx.actions.declare_directory(ctx.label.name)
    args = ["--out", layout.path]
    inputs = list(ctx.files.images)
    for image in ctx.files.images:
        args += ["--image", image.path]
    if ctx.file.annotations:
        args += ["--annotations", ctx.file.annotations.path]
        inputs.append(ctx.file.annotations)
    ctx.actions.run(
        executable = ctx.executable._builder,
        arguments = args,
        inputs = inputs,
        outputs = [layout],
        mnemonic = "OCIIndex",
        progress_message = "OCI Index %s" % ctx.label,
    )
    return layout_providers(ctx, layout)

oci_image_index_rule = rule(
    implementation = _index_impl,
    doc = _DOC,
    attrs = {
        "annotations": attr.label(
            allow_single_file = True,
            doc = "A file of annotations for the index manifest, one `name=value` per line.",
        ),
        "images": attr.label_list(
            mandatory = True,
            allow_files = True,
            doc = "The oci_image targets (or oci_image_rule layouts) the index lists, in this order.",
        ),
        "_builder": attr.label(
            default = "//tools/rules/oci/private:build_index",
            executable = True,
            cfg = "exec",
            doc = "The tool that writes the index layout.",
        ),
        "_digest": DIGEST_TOOL,
    },
)
