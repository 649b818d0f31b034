"""Parsing a hash-pinned requirements lock (uv / pip-compile format) in Starlark."""

def normalize_name(name):
    """PEP 503 name normalisation, with `_` so the result is a valid repository name.

    Args:
        name: A distribution name as a lock or a requirement writes it, e.g. `Django` or `drf-yasg`.

    Returns:
        The lower-case name with `-` and `.` replaced by `_`, e.g. `drf_yasg`.
    """
    return name.lower().replace("-", "_").replace(".", "_")

_INDEX_OPTIONS = ["--index-url", "--extra-index-url", "--find-links", "--trusted-host", "--no-index"]

def lock_pip_args(content):
    """The index options a lock writes on lines of their own, as pip arguments.

    `--index-url URL`, `--extra-index-url URL`, `--find-links DIR`, `--trusted-host HOST` and
    `--no-index` (uv writes them with `--emit-index-url` / `--emit-find-links`), so a lock
    that names its index is fetched from it whatever the machine's pip configuration says.

    Args:
        content: The text of a lock in uv / pip-compile format.

    Returns:
        A list of pip arguments, in the lock's order.
    """
    args = []
    for raw in content.split("\n"):
        line = raw.strip().replace("=", " ", 1) if raw.strip().startswith("--") else ""
        parts = [p for p in line.split(" ") if p]
        if parts and parts[0] in _INDEX_OPTIONS:
            args += parts[:2]
    return args

def parse_lock(content):
    """Returns a list of structs(name, version, hashes, via) in lock order.

    `via` holds the locked packages that need this one, from uv's "# via" comments
    (requirement files named there with -r/-c are left out).

    Fails on a requirement without an exact pin or without a hash: such a lock is not
    reproducible, and pip's --require-hashes would refuse it later with a vaguer message.

    Args:
        content: The text of a lock in uv / pip-compile format.
    """
    entries = []
    current = None
    in_via = False
    for raw in content.split("\n"):
        line = raw.strip()
        if line.startswith("#") and current != None:
            comment = line[1:].strip()
            if comment.startswith("via"):
                in_via = True
                comment = comment[len("via"):].strip()
            if in_via and comment and not comment.startswith("-"):
                current["via"].append(comment.split(" ")[0])
            continue
        in_via = False
        if not line or line.startswith("#"):
            continue
        if line.startswith("--hash="):
            if current == None:
                fail("lock: hash without a requirement: %s" % line)
            current["hashes"].append(line.rstrip("\\").strip()[len("--hash="):])
            continue
        if line.startswith("-"):
            continue  # pip options such as --index-url
        if current != None:
            entries.append(current)
        spec = line.rstrip("\\").strip()
        if "==" not in spec:
            fail("lock: '%s' is not pinned with ==" % spec)
        name, version = spec.split("==", 1)
        name = name.split("[")[0].strip()
        version = version.split(";")[0].strip()
        current = {"name": name, "version": version, "hashes": [], "via": []}
    if current != None:
        entries.append(current)
    for entry in entries:
        if not entry["hashes"]:
            fail("lock: %s==%s has no --hash; regenerate the lock" % (entry["name"], entry["version"]))
    return [
        struct(name = e["name"], version = e["version"], hashes = e["hashes"], via = [normalize_name(v) for v in e["via"]])
        for e in entries
    ]
