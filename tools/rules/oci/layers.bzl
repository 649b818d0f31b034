"""Layer rules for the images (see private/layers.bzl)."""

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
