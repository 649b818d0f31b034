"""Public entry for academy's OCI rules: rules_oci's names, attributes and macros.

    load("//tools/rules/oci:defs.bzl", "oci_image", "oci_image_index", "oci_load", "oci_push")

The rules (`oci_image_rule`, `oci_image_index_rule`, `oci_push_rule`, `oci_tarball_rule`,
rules_oci's name for the load rule) read their list and dict
attributes from files, and the macros write those files from the values given inline, as
rules_oci's do. tools/rules/oci/CONFORMANCE.md lists every public symbol and attribute of
rules_oci against these; docs/migrating-to-bzlmod.md says what a switch to rules_oci
changes (layer tars then come from rules_pkg's pkg_tar or these layer rules).
"""

load("//tools/rules/oci/private:image.bzl", _oci_image_rule = "oci_image_rule")
load("//tools/rules/oci/private:image_index.bzl", _oci_image_index_rule = "oci_image_index_rule")
load("//tools/rules/oci/private:load.bzl", _oci_tarball_rule = "oci_load_rule")
load("//tools/rules/oci/private:push.bzl", _oci_push_rule = "oci_push_rule")
load("//tools/rules/oci/private:write_file.bzl", "write_file")

oci_image_rule = _oci_image_rule
oci_image_index_rule = _oci_image_index_rule
oci_push_rule = _oci_push_rule
oci_tarball_rule = _oci_tarball_rule

# Bazel's common attributes that the macros pass on to the targets they add.
_COMMON = ["tags", "testonly", "visibility", "target_compatible_with", "compatible_with", "features"]

def _internal(kwargs):
    """Common attributes for the macros' own file targets: kept out of `//...` with manual."""
    internal = {k: v for k, v in kwargs.items() if k in _COMMON and k != "visibility"}
    tags = list(internal.get("tags", []))
    if "manual" not in tags:
        tags.append("manual")
    internal["tags"] = tags
    return internal

def _lines(name, kind, value, content, kwargs):
    """`value` itself if it is a label, else a write_file target of `content` and its label."""
    if value == None or type(value) == "string":
        return value
    label = "%s_write_%s" % (name, kind)
    write_file(name = label, out = "%s.%s.txt" % (name, kind), content = content, **_internal(kwargs))
    return label

def _pairs(value):
    return ["%s=%s" % (k, v) for k, v in value.items()] if type(value) == "dict" else []

def _escaped(value):
    return [v.replace("\n", "%5Cn") for v in value] if type(value) == "list" else []

def _joined(value):
    return [",".join(value)] if type(value) == "list" else []

def oci_image(
        name,
        created = None,
        labels = None,
        annotations = None,
        env = None,
        cmd = None,
        entrypoint = None,
        exposed_ports = None,
        volumes = None,
        **kwargs):
    """oci_image_rule, with its file attributes also given inline, and a `<name>.digest` target.

    `<name>.digest`'s output, `<name>.json.sha256`, holds the image's manifest digest
    (`sha256:...`), as rules_oci's does.

    Args:
        name: The image target's name.
        created: A label of a file holding the creation time.
        labels: Config labels: a dict, or a label of a `name=value`-per-line file.
        annotations: Manifest annotations: a dict, or a label of such a file.
        env: Environment variables: a dict, or a label of a `KEY=value`-per-line file.
        cmd: Default arguments: a list, or a label of a one-per-line file.
        entrypoint: The command: a list, or a label of a one-per-line file.
        exposed_ports: Ports: a list, or a label of a comma-separated file.
        volumes: Volumes: a list, or a label of a comma-separated file.
        **kwargs: The other attributes of oci_image_rule (`base`, `tars`, `user`, `workdir`,
            `os`, `architecture`, `variant`) and Bazel's common ones.
    """
    _oci_image_rule(
        name = name,
        created = created,
        labels = _lines(name, "labels", labels, _pairs(labels), kwargs),
        annotations = _lines(name, "annotations", annotations, _pairs(annotations), kwargs),
        env = _lines(name, "env", env, _pairs(env), kwargs),
        cmd = _lines(name, "cmd", cmd, _escaped(cmd), kwargs),
        entrypoint = _lines(name, "entrypoint", entrypoint, _escaped(entrypoint), kwargs),
        exposed_ports = _lines(name, "exposed_ports", exposed_ports, _joined(exposed_ports), kwargs),
        volumes = _lines(name, "volumes", volumes, _joined(volumes), kwargs),
        **kwargs
    )
    _digest(name, kwargs)

def _digest(name, kwargs):
    """`<name>.digest`: the file `<name>.json.sha256` with the layout's manifest digest."""
    native.filegroup(
        name = name + ".digest",
        srcs = [name],
        output_group = "digest",
        **{k: v for k, v in kwargs.items() if k in _COMMON}
    )

def oci_image_index(name, annotations = None, **kwargs):
    """oci_image_index_rule, with `annotations` also given as a dict, and a `<name>.digest` target.

    `<name>.digest`'s output, `<name>.json.sha256`, holds the index manifest's digest, as for
    oci_image.

    Args:
        name: The index target's name.
        annotations: Index manifest annotations: a dict, or a label of a `name=value`-per-line file.
        **kwargs: The other attributes of oci_image_index_rule (`images`) and Bazel's common ones.
    """
    _oci_image_index_rule(
        name = name,
        annotations = _lines(name, "annotations", annotations, _pairs(annotations), kwargs),
        **kwargs
    )
    _digest(name, kwargs)

def oci_push(name, remote_tags = None, **kwargs):
    """oci_push_rule, with `remote_tags` also given as a list.

    Args:
        name: The push target's name.
        remote_tags: Tags applied after the push by digest: a list, or a label of a
            one-per-line file (e.g. a stamped expand_template). Default: none.
        **kwargs: The other attributes of oci_push_rule (`image`, `repository`,
            `repository_file`) and Bazel's common ones.
    """
    _oci_push_rule(
        name = name,
        remote_tags = _lines(name, "tags", remote_tags, remote_tags if type(remote_tags) == "list" else [], kwargs),
        **kwargs
    )

def oci_load(name, repo_tags = None, **kwargs):
    """oci_tarball_rule (the load rule), with `repo_tags` also given as a list.

    Args:
        name: The load target's name.
        repo_tags: The loaded image's names, `repository:tag`: a list, or a label of a
            one-per-line file.
        **kwargs: The other attributes of oci_tarball_rule (`image`, `format`, `loader`) and
            Bazel's common ones.
    """
    _oci_tarball_rule(
        name = name,
        repo_tags = _lines(name, "tags", repo_tags, repo_tags if type(repo_tags) == "list" else [], kwargs),
        **kwargs
    )
