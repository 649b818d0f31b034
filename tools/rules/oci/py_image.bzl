"""py_image: one py_binary as an image, in the seed's layer order, with push and load.

    py_image(
        name = "image",
        binary = ":sqs_main",
        module = "apps.worker.video.sqs_main",
        base = "//third_party/images:video_base",
        role = "worker-video",
    )

Layers: the base's, then the role lock's pip distributions, then the binary's first-party
files, so a code change rebuilds only the last layer. `<name>_test` checks the built image
(see tools/rules/oci/testing/image_test.py); `kind = "api"` expects the API packages instead.
`pip_hub = "pip_gpu"` takes the role's distributions from the GPU lock's hub (CUDA torch). Makes `<name>`, and the runnable
`push_name` and `load_name` targets (default `push` / `load`; pass others when a package holds two
images, e.g. image_cpu_push).
"""

load("@pip//:requirements.bzl", "requirements_for")
load("@pip_gpu//:requirements.bzl", gpu_requirements_for = "requirements_for")
load("//tools/rules/oci:defs.bzl", "oci_image", "oci_load", "oci_push")
load("//tools/rules/oci:layers.bzl", "py_app_layer", "py_pip_layer")
load("//tools/rules/pytest:defs.bzl", "py_pytest_test")

def py_image(name, binary, module, base, role, repository, push_name = "push", load_name = "load", kind = "worker", pip_hub = "pip", remote_tags = ["latest"], env = {}, cmd = [], exposed_ports = [], tags = [], **kwargs):
    py_pip_layer(
        name = name + "_pip_layer",
        binary = binary,
        packages = gpu_requirements_for(role) if pip_hub == "pip_gpu" else requirements_for(role),
        packages_hub = pip_hub,
        lock_name = "requirements/%s.lock" % role,
        tags = tags,
    )
    py_app_layer(
        name = name + "_app_layer",
        binary = binary,
        tags = tags,
    )
    oci_image(
        name = name,
        base = base,
        tars = [
            name + "_pip_layer",
            name + "_app_layer",
        ],
        entrypoint = ["/usr/bin/python3.11", "-m", module],
        cmd = cmd,
        env = dict({"PYTHONPATH": "/app:/opt/academy/site-packages", "PYTHONUNBUFFERED": "1"}, **env),
        exposed_ports = exposed_ports,
        workdir = "/app",
        labels = {"org.opencontainers.image.title": repository.split("/")[-1]},
        tags = tags,
        **kwargs
    )
    oci_push(
        name = push_name,
        image = name,
        repository = repository,
        remote_tags = remote_tags,
        tags = tags,
    )
    oci_load(
        name = load_name,
        image = name,
        repo_tags = [repository + ":latest"],
        tags = tags,
    )

    # Inside the image's filesystem: the runtime dependency check, the entry point's own
    # configuration check as the image's user, and a real push to a local registry.
    py_pytest_test(
        name = name + "_test",
        size = "large",
        srcs = ["//tools/rules/oci/testing:image_test.py"],
        data = [
            name,
            push_name,
            "//tools/dev/checks:check_worker_deps.sh",
            "//tools/rules/oci/private:unpack_image.py",
        ],
        env = {
            "IMAGE_FILES": "$(rootpaths %s)" % name,
            "IMAGE_KIND": kind,
            "IMAGE_PUSH": "$(rootpath %s)" % push_name,
            "IMAGE_REPOSITORY": repository,
        },
        # chroot into the unpacked image needs the host's root, outside Bazel's sandbox.
        tags = tags + ["no-sandbox"],
        deps = [
            "//tools/testing",
            "@pip_boto3//:pkg",
            "@pip_moto//:pkg",
        ],
    )
