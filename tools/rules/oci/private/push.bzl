"""oci_push: `bazel run` pushes an oci_image to a registry with skopeo.

    oci_push(
        name = "push",
        image = ":image",
        repository = "registry.example.com/academy/worker-video",  # optional default
        remote_tags = ["latest"],
    )

    tools/bazel run //apps/worker/video:push -- --repository 127.0.0.1:5000/video --tag dev --insecure

With `--stamp`, `{BUILD_SCM_REVISION}`-style placeholders in remote_tags are replaced from
the workspace status (tools/workspace_status.sh gives STABLE_GIT_COMMIT): e.g.
remote_tags = ["git-{STABLE_GIT_COMMIT}"]. Caveat, as in rules_oci: tags are pushed one
after another, so a push with several tags MAY be partly done when one fails.
"""

def _runfile(ctx, f):
    return ctx.workspace_name + "/" + f.short_path

def _push_impl(ctx):
    layout = ctx.attr.image[OutputGroupInfo].layout.to_list()[0]
    digest = ctx.attr.image[OutputGroupInfo].digest.to_list()[0]
    tags_file = ctx.actions.declare_file(ctx.label.name + ".tags")
    if ctx.attr.stamp:
        ctx.actions.run_shell(
            inputs = [ctx.info_file],
            outputs = [tags_file],
            command = """
set -eu
tags="$1"
while read -r key value; do tags="$(printf '%s' "$tags" | sed "s|{$key}|$value|g")"; done < "$2"
printf '%s\\n' "$tags" > "$3"
""",
            arguments = [" ".join(ctx.attr.remote_tags), ctx.info_file.path, tags_file.path],
        )
    else:
        ctx.actions.write(tags_file, " ".join(ctx.attr.remote_tags) + "\n")
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        substitutions = {
            "{{DIGEST}}": _runfile(ctx, digest),
            "{{IMAGE}}": str(ctx.attr.image.label),
            "{{LAYOUT}}": _runfile(ctx, layout),
            "{{REPOSITORY}}": ctx.attr.repository,
            "{{TAGS}}": "$(cat \"$runfiles/%s\")" % _runfile(ctx, tags_file),
        },
        is_executable = True,
    )
    return [DefaultInfo(
        executable = script,
        runfiles = ctx.runfiles(files = [layout, digest, tags_file]),
    )]

oci_push = rule(
    implementation = _push_impl,
    executable = True,
    attrs = {
        "image": attr.label(mandatory = True),
        "remote_tags": attr.string_list(default = ["latest"]),
        "repository": attr.string(doc = "Default repository; `--repository` overrides it."),
        "stamp": attr.bool(doc = "Expand {KEY} in remote_tags from the workspace status (set from --stamp by the macro)."),
        "_template": attr.label(default = "//tools/rules/oci/private:push.sh.tpl", allow_single_file = True),
    },
)
