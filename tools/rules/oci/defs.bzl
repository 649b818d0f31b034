"""Public entry for academy's OCI rules, named and shaped like rules_oci's.

    load("//tools/rules/oci:defs.bzl", "oci_image", "oci_load", "oci_push")

A team with internet access can switch to rules_oci by changing this load line (layer tars
then come from rules_pkg's pkg_tar instead of //tools/rules/oci:layers.bzl).
"""

load("//tools/rules/oci/private:image.bzl", _oci_image = "oci_image")
load("//tools/rules/oci/private:load.bzl", _oci_load = "oci_load")
load("//tools/rules/oci/private:push.bzl", _oci_push = "oci_push")

oci_image = _oci_image
oci_load = _oci_load

def oci_push(name, **kwargs):
    """The oci_push rule, with `stamp` set from Bazel's `--stamp` flag.

    `{KEY}` placeholders in `remote_tags` are then expanded from the workspace status only
    when the build is stamped, so an unstamped build keeps its cache hits.

    Args:
        name: A unique name for this target.
        **kwargs: The attributes of the oci_push rule: `image`, `repository`, `remote_tags`
            and Bazel's common ones (`tags`, `visibility`, ...).
    """
    _oci_push(
        name = name,
        stamp = select({
            "//tools/rules/oci:stamp": True,
            "//conditions:default": False,
        }),
        **kwargs
    )
