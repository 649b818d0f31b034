"""Rules that write the layer tars of an oci_image, each reproducible byte for byte.

    load("//tools/rules/oci:layers.bzl", "debian_layer", "files_layer", "py_app_layer", "py_pip_layer")

rules_oci leaves layers to rules_pkg's pkg_tar; these rules take their place.
"""

load(
    "//tools/rules/oci/private:layers.bzl",
    _debian_layer = "debian_layer",
    _files_layer = "files_layer",
    _py_app_layer = "py_app_layer",
    _py_pip_layer = "py_pip_layer",
)

debian_layer = _debian_layer
files_layer = _files_layer
py_app_layer = _py_app_layer
py_pip_layer = _py_pip_layer
