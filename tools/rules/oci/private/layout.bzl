"""What oci_image_rule and oci_image_index_rule share: a layout's digest file and providers."""

# The rules' `_digest` attribute: the tool that reads the layout's manifest digest.
DIGEST_TOOL = attr.label(
    default = "//tools/rules/oci/private:image_digest",
    executable = True,
    cfg = "exec",
    doc = "The tool that reads the manifest digest from the layout's index.json.",
)

def layout_providers(ctx, layout):
    """The layout as the default output and `<name>.json.sha256` (its digest) as the `digest` group.

    Args:
        ctx: The rule's context; its `_digest` attribute is DIGEST_TOOL.
        layout: The OCI layout directory the rule wrote.

    Returns:
        DefaultInfo and OutputGroupInfo(digest) (the macros' `<name>.digest` target).
    """
    digest = ctx.actions.declare_file(ctx.label.name + ".json.sha256")
    ctx.actions.run(
        executable = ctx.executable._digest,
        arguments = [layout.path, digest.path],
        inputs = [layout],
        outputs = [digest],
        mnemonic = "OciDigest",
        progress_message = "Reading the digest of %s" % ctx.label,
    )
    return [
        DefaultInfo(files = depset([layout]), runfiles = ctx.runfiles(files = [layout])),
        OutputGroupInfo(digest = depset([digest])),
    ]
