"""Finds the host's Python 3.11, shared by the toolchain and the pip repositories."""

REQUIRED_VERSION = "3.11"

def find_python(repository_ctx):
    """Returns the absolute path of the interpreter every target runs.

    ACADEMY_PYTHON wins; otherwise the first python3.11 / python3 on PATH. Symlinks and
    version-manager shims are resolved through sys.executable so that sandboxed actions,
    which see no shell set-up, run the same interpreter.

    Args:
        repository_ctx: The repository rule's context (its `os.environ`, `which` and `execute`).
    """
    candidates = []
    override = repository_ctx.os.environ.get("ACADEMY_PYTHON")
    if override:
        candidates.append(override)
    else:
        for name in ["python3.11", "python3"]:
            found = repository_ctx.which(name)
            if found:
                candidates.append(str(found))
    for candidate in candidates:
        result = repository_ctx.execute([
            candidate,
            "-c",
            "import sys; print(sys.executable); print('%d.%d' % sys.version_info[:2])",
        ])
        if result.return_code != 0:
            continue
        executable, version = result.stdout.strip().split("\n")
        if version == REQUIRED_VERSION:
            return executable
    fail("academy needs Python %s (tried %s); set ACADEMY_PYTHON to its path" % (
        REQUIRED_VERSION,
        ", ".join(candidates) or "python3.11 and python3 on PATH",
    ))
