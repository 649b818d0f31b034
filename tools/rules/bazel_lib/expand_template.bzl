"""expand_template, as aspect_bazel_lib's: a template file with substitutions, stamped on demand.

    load("//tools/rules/bazel_lib:expand_template.bzl", "expand_template")

aspect_bazel_lib cannot be fetched here; this is the part of it that rules_oci's documentation
uses for stamped push tags. The name, attributes and `{{KEY}}` stamp syntax are
aspect_bazel_lib's, so the load line is all a switch changes.
"""

load("//tools/rules/oci/private:write_file.bzl", "write_file")

StampInfo = provider(doc = "Whether the build runs with `--stamp`.", fields = ["enabled"])

def _stamp_detector_impl(ctx):
    return [StampInfo(enabled = ctx.attr.enabled)]

stamp_detector = rule(
    implementation = _stamp_detector_impl,
    doc = "Tells rules whether the build runs with `--stamp`; //tools/rules/bazel_lib:stamp_detector is the one instance.",
    attrs = {
        "enabled": attr.bool(doc = "Set by a select() on //tools/rules/bazel_lib:stamp."),
    },
)

def _expand_template_impl(ctx):
    stamp = ctx.attr.stamp == 1 or (ctx.attr.stamp == -1 and ctx.attr._stamp_detector[StampInfo].enabled)
    substitutions = dict(ctx.attr.substitutions)
    status = []
    if stamp:
        substitutions.update(ctx.attr.stamp_substitutions)
        status = [ctx.info_file, ctx.version_file]
    spec = ctx.actions.declare_file(ctx.label.name + ".substitutions.json")
    ctx.actions.write(spec, json.encode(substitutions))
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = [ctx.file.template.path, ctx.outputs.out.path, spec.path] + [f.path for f in status],
        inputs = [ctx.file.template, spec] + status,
        outputs = [ctx.outputs.out],
        mnemonic = "ExpandTemplate",
        progress_message = "Expanding %s" % ctx.label,
    )
    return [DefaultInfo(files = depset([ctx.outputs.out]))]

expand_template_rule = rule(
    implementation = _expand_template_impl,
    doc = """Writes `out` from `template` with `substitutions` applied, and `stamp_substitutions` when stamping.

```starlark
expand_template(
    name = "stamped_tags",
    out = "stamped_tags.txt",
    template = ["latest", "git-COMMIT"],
    stamp_substitutions = {"COMMIT": "{{STABLE_GIT_COMMIT}}"},
)
```

Under `--stamp`, `{{KEY}}` in a stamp substitution is the value of KEY in Bazel's workspace
status (tools/workspace_status.sh writes `STABLE_GIT_COMMIT`); without it the template keeps
its text, so unstamped builds keep their cache hits.
""",
    attrs = {
        "out": attr.output(
            mandatory = True,
            doc = "The file to write.",
        ),
        "stamp": attr.int(
            default = -1,
            values = [-1, 0, 1],
            doc = "1: always apply `stamp_substitutions`; 0: never; -1: only under `--stamp`.",
        ),
        "stamp_substitutions": attr.string_dict(
            doc = "Text -> replacement applied only when stamping; `{{KEY}}` in a replacement is " +
                  "the workspace status value of KEY.",
        ),
        "substitutions": attr.string_dict(
            doc = "Text -> replacement, always applied.",
        ),
        "template": attr.label(
            mandatory = True,
            allow_single_file = True,
            doc = "The template file (the macro also takes a list of lines).",
        ),
        "_stamp_detector": attr.label(
            default = "//tools/rules/bazel_lib:stamp_detector",
            providers = [StampInfo],
            doc = "Whether the build runs with `--stamp`.",
        ),
        "_tool": attr.label(
            default = "//tools/rules/bazel_lib:expand_template_tool",
            executable = True,
            cfg = "exec",
            doc = "The tool that applies the substitutions.",
        ),
    },
)

def expand_template(name, template, **kwargs):
    """expand_template_rule, with `template` also given as a list of lines.

    Args:
        name: The target's name.
        template: A label of the template file, or its lines as a list.
        **kwargs: The other attributes of expand_template_rule (`out`, `substitutions`,
            `stamp_substitutions`, `stamp`) and Bazel's common ones.
    """
    if type(template) == "list":
        write_file(name = name + "_template", out = name + ".template.txt", content = template, tags = ["manual"])
        template = name + "_template"
    expand_template_rule(name = name, template = template, **kwargs)
