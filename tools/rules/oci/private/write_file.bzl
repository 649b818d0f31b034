"""write_file: the lines of a list as a file, as bazel_skylib's write_file (not fetchable here)."""

def _write_file_impl(ctx):
    ctx.actions.write(ctx.outputs.out, "\n".join(ctx.attr.content) + ("\n" if ctx.attr.content else ""))
    return [DefaultInfo(files = depset([ctx.outputs.out]))]

write_file = rule(
    implementation = _write_file_impl,
    doc = "Writes `content`, one line per element, to `out`; what the oci_* macros use to turn " +
          "dicts and lists into the files the rules read.",
    attrs = {
        "content": attr.string_list(
            doc = "The file's lines, in order.",
        ),
        "out": attr.output(
            mandatory = True,
            doc = "The file to write.",
        ),
    },
)
