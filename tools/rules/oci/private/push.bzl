"""Implementation of oci_push: its `doc` below is the manual (docs/rules/oci.md renders it)."""

_DOC = """`bazel run` pushes an oci_image to a registry with skopeo, as rules_oci's oci_push.

```starlark
oci_push(
    name = "image_push",
    image = ":image",
    repository = "registry.example.com/academy/worker-video",
    remote_tags = ["latest"],
)
```

```sh
tools/bazel run //apps/worker/ai:image_cpu_push -- --repository 127.0.0.1:5000/academy/worker-ai --tag dev --insecure
```

Flags after `--`: `--repository HOST/NAME` replaces `repository`; each `--tag TAG` (or `-t`)
replaces `remote_tags` (all of them: the first `--tag` drops the attribute's list);
`--insecure` pushes over plain HTTP without TLS verification (a local registry on
127.0.0.1). The layout is copied with `--preserve-digests`, so the registry serves the digest
that `<image>.digest` holds.

Stamping: under `--stamp`, a `{KEY}` in `remote_tags` is replaced by the value of `KEY` in
Bazel's stable workspace status. tools/workspace_status.sh writes `STABLE_GIT_COMMIT` (the
commit, 12 hex digits), so `remote_tags = ["git-{STABLE_GIT_COMMIT}"]` tags each push with
its commit. Without `--stamp` such a tag is refused when the push runs.

Caveat, as in rules_oci: tags are pushed one after another, so a push with several tags MAY
be partly done when one fails.
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
    doc = _DOC,
    executable = True,
    attrs = {
        "image": attr.label(
            mandatory = True,
            doc = "The oci_image to push.",
        ),
        "remote_tags": attr.string_list(
            default = ["latest"],
            doc = "The tags to push, each a separate copy. May hold `{KEY}` placeholders of the " +
                  "workspace status, expanded under `--stamp`. `--tag` at run time replaces them all.",
        ),
        "repository": attr.string(
            doc = "The repository to push to, `HOST[:PORT]/NAME` without a tag or digest. " +
                  "`--repository` at run time overrides it; with neither, the push fails.",
        ),
        "stamp": attr.bool(
            doc = "Expand `{KEY}` in `remote_tags` from the stable workspace status. The oci_push " +
                  "macro of //tools/rules/oci:defs.bzl sets it from `--stamp`.",
        ),
        "_template": attr.label(
            default = "//tools/rules/oci/private:push.sh.tpl",
            allow_single_file = True,
            doc = "The template of the runner script.",
        ),
    },
)
