"""py_image: one py_binary as an image, with targets that push, load and test it.

    load("//tools/rules/academy:py_image.bzl", "py_image")
"""

load("@pip//:requirements.bzl", "requirement")
load("@pip_roles//:roles.bzl", "requirements_for", "wheels_for")
load("//tools/rules/oci:defs.bzl", "oci_image", "oci_load", "oci_push")
load("//tools/rules/oci:layers.bzl", "py_app_layer", "py_pip_layer")
load("//tools/rules/pytest:defs.bzl", "py_pytest_test")

def _main_module(name, binary):
    """The module `python -m` runs for a py_binary whose main is `<target>.py` (py_binary's default)."""
    if binary.startswith("@"):
        fail("py_image %s: binary must be a py_binary of this repository, not %s" % (name, binary))
    if binary.startswith("//"):
        package, _, target = binary[2:].partition(":")
        if not target:
            target = package.split("/")[-1]
    else:
        package = native.package_name()
        target = binary[1:] if binary.startswith(":") else binary
    if package == native.package_name():
        declared = native.existing_rule(target)
        main = str(declared.get("main") or "") if declared else ""
        if main and main != target + ".py" and not main.endswith(":" + target + ".py"):
            fail("py_image %s: %s sets main = %s, but the image runs `python -m` on %s.py" % (
                name,
                binary,
                main,
                target,
            ))
    return (package + "/" + target if package else target).replace("/", ".")

def py_image(name, binary, base, role, repository, kind = "worker", cmd = [], exposed_ports = [], test_deps = [],
             tags = []):
    """One py_binary as an image, with targets that push, load and test it.

        py_image(
            name = "image",
            binary = ":sqs_main",
            base = "//third_party/images:video_base",
            role = "worker-video",
            repository = "academy/worker-video",
        )

    Layers: the base's, then the role lock's pip distributions (`<name>_pip_layer`), then the
    binary's first-party files (`<name>_app_layer`), so a code change rebuilds only the last
    layer. The entrypoint is `/usr/bin/python3.11 -m <module>`, the module being the binary's
    main file (`//apps/api:server` runs `apps.api.server`), with `PYTHONPATH` set to /app and
    /opt/academy/site-packages and the working directory /app. The image's
    `org.opencontainers.image.title` label is the last part of `repository`.

    Every target is named after the image, so a package may hold several images:

    - `<name>`: the oci_image, and `<name>.digest` its manifest digest.
    - `<name>_push`: `bazel run` pushes it by digest and as `latest` (oci_push;
      `--repository` overrides the repository, each `--tag` adds a tag).
    - `<name>_load`: `bazel run` loads it into docker or podman (oci_load, tag `latest`).
    - `<name>_test`: checks the built image from inside its own filesystem, as its user (see
      tools/rules/oci/testing/image_test.py): the runtime dependency check, the entry point's
      own configuration check, the image's job run by its own entry point (a worker's job
      against moto's SQS, the API under gunicorn), and a push to a local registry that must
      keep the digest. It enters the image with unshare and chroot, as a container runtime
      does, so it runs as root and outside Bazel's sandbox.
    - `<name>_pip_layer`, `<name>_app_layer`: the two layer tars.

    Args:
        name: The image's target name, and the first part of every other target's name.
        binary: The py_binary the image runs, a label in this repository. Its main file must be
            `<target name>.py` (py_binary's default), which the image runs as a module.
        base: The oci_image to start from, e.g. `//third_party/images:python_base`; it gives
            Python, the system packages and the non-root user.
        role: The role lock the pip layer installs, `requirements/<role>.lock` (e.g.
            `worker-video`). The binary's pip dependencies must all be in it. A role of the
            GPU hub (`worker-ai-gpu`) takes its distributions from `@pip_gpu` (the
            `role_hubs` of pip_roles in WORKSPACE).
        repository: The image's repository, e.g. `academy/worker-video`: the default push
            repository (`--repository` gives the registry host), the loaded image's name
            (`<repository>:latest`), and the source of its title label.
        kind: `worker` or `api`: which configuration check `<name>_test` runs in the image
            (a worker's `--check` against a queue server, or the API's `--check-config`), and
            whether the API-only distributions (djangorestframework, gunicorn, drf-yasg) must be
            in the image (`api`) or absent from it (`worker`).
        cmd: Default arguments to the entrypoint, e.g. `["--bind", "0.0.0.0:8000"]`.
        exposed_ports: Ports the container listens on, e.g. `["8000/tcp"]`.
        test_deps: More libraries `<name>_test` needs to make its image's job input, e.g.
            `//tools/testing/documents` for the AI image's rendered Korean page.
        tags: Bazel tags for every target, e.g. `["manual"]` for an image that
            `bazel build //...` should skip.
    """
    py_pip_layer(
        name = name + "_pip_layer",
        binary = binary,
        packages = requirements_for(role),
        wheels = wheels_for(role),
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
        entrypoint = ["/usr/bin/python3.11", "-m", _main_module(name, binary)],
        # An empty list would write an empty Cmd; None leaves the config without one.
        cmd = cmd or None,
        env = {"PYTHONPATH": "/app:/opt/academy/site-packages", "PYTHONUNBUFFERED": "1"},
        exposed_ports = exposed_ports or None,
        workdir = "/app",
        labels = {"org.opencontainers.image.title": repository.split("/")[-1]},
        tags = tags,
    )
    oci_push(
        name = name + "_push",
        image = name,
        repository = repository,
        remote_tags = ["latest"],
        tags = tags,
    )
    oci_load(
        name = name + "_load",
        image = name,
        repo_tags = [repository + ":latest"],
        tags = tags,
    )

    # Inside the image's filesystem: the runtime dependency check, the entry point's own
    # configuration check and job as the image's user, and a real push to a local registry.
    py_pytest_test(
        name = name + "_test",
        size = "large",
        srcs = ["//tools/rules/oci/testing:image_test.py"],
        data = [
            name,
            name + ".digest",
            name + "_push",
            "//tools/dev/checks:check_worker_deps.sh",
            "//tools/rules/oci/private:unpack_image.py",
        ],
        env = {
            "IMAGE_DIGEST": "$(rootpath %s.digest)" % name,
            "IMAGE_LAYOUT": "$(rootpath %s)" % name,
            "IMAGE_KIND": kind,
            "IMAGE_PUSH": "$(rootpath %s)" % (name + "_push"),
            "IMAGE_REPOSITORY": repository,
        },
        # chroot into the unpacked image needs the host's root, outside Bazel's sandbox.
        tags = tags + ["no-sandbox"],
        deps = [
            "//tools/testing",
            requirement("boto3"),
            requirement("moto"),
        ] + test_deps,
    )
