"""Implementation of oci_push_rule: its `doc` below is the manual (docs/rules/oci.md renders it)."""

_DOC = """`bazel run` pushes an oci_image to a registry with skopeo, as rules_oci's oci_push_rule.

Most BUILD files use the oci_push macro of //tools/rules/oci:defs.bzl, which also takes
`remote_tags` as a list of strings.

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

As in rules_oci, the image is first pushed by its digest (`REPOSITORY@sha256:...`), then
each tag is applied: those of `remote_tags` and each `-t/--tag TAG` given at run time, in
addition to them. With neither, the image is pushed by digest only. `-r/--repository
HOST/NAME` replaces `repository` / `repository_file`; with none of them the push fails.
`--insecure` pushes over plain HTTP without TLS verification (a local registry on
127.0.0.1). The layout is copied with `--preserve-digests`, so the registry serves the digest
that `<image>.digest` holds.

Stamped tags come from a file, as in rules_oci: `remote_tags = ":stamped"`, an
`expand_template` of //tools/rules/bazel_lib whose `stamp_substitutions` read the workspace
status under `--stamp` (tools/workspace_status.sh writes `STABLE_GIT_COMMIT`).

Caveat, as in rules_oci: tags are applied one after another, so a push with several tags
MAY be partly done when one fails; the failure exits non-zero and skips the rest.
"""

def _runfile(ctx, f):
    return ctx.workspace_name + "/" + f.short_path if not f.short_path.startswith("../") else f.short_path[3:]

def _push_impl(ctx):
    layout = ctx.file.image
    files = [layout]
    substitutions = {
        "{{IMAGE}}": str(ctx.attr.image.label),
        "{{LAYOUT}}": _runfile(ctx, layout),
        "{{REPOSITORY}}": ctx.attr.repository,
        "{{REPOSITORY_FILE}}": "",
        "{{TAGS_FILE}}": "",
    }
    if ctx.file.repository_file:
        files.append(ctx.file.repository_file)
        substitutions["{{REPOSITORY_FILE}}"] = _runfile(ctx, ctx.file.repository_file)
    if ctx.file.remote_tags:
        files.append(ctx.file.remote_tags)
        substitutions["{{TAGS_FILE}}"] = _runfile(ctx, ctx.file.remote_tags)
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        substitutions = substitutions,
        is_executable = True,
    )
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = files))]

oci_push_rule = rule(
    implementation = _push_impl,
    doc = _DOC,
    executable = True,
    attrs = {
        "image": attr.label(
            mandatory = True,
            allow_single_file = True,
            doc = "The oci_image to push.",
        ),
        "remote_tags": attr.label(
            allow_single_file = True,
            doc = "A file of tags, one per line, applied after the push by digest. `--tag` at run " +
                  "time adds to them. Default: none, the image is pushed by digest only.",
        ),
        "repository": attr.string(
            doc = "The repository to push to, `HOST[:PORT]/NAME` without a tag or digest. " +
                  "`--repository` at run time overrides it; with neither (nor " +
                  "`repository_file`), the push fails.",
        ),
        "repository_file": attr.label(
            allow_single_file = True,
            doc = "The same as `repository`, in a file (for a repository chosen by stamping).",
        ),
        "_template": attr.label(
            default = "//tools/rules/oci/private:push.sh.tpl",
            allow_single_file = True,
            doc = "The template of the runner script.",
        ),
    },
)
