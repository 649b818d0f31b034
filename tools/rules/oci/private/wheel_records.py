"""A pip layer holds each distribution exactly as its wheel has it.

    restore_from_wheels(layer, site_root, wheels) -> list of restored paths

A wheel's `*.dist-info/RECORD` gives the sha256 of every file it installs (pip checked the
wheel itself against the lock's hash). A file in the layer whose content no longer has that
hash was changed after the install by something on the build machine (a Python start-up hook
that appends a proxy's CA to certifi's cacert.pem, say), and would make the layer's digest
depend on the machine and on timing: it is taken from the wheel again. The installed RECORD
is not in the layer's inputs (rules_python leaves it out of a package's files too), so the
wheel's is the reference. Every distribution in the layer needs its wheel; one without fails
the build naming it.
"""

import base64
import csv
import hashlib
import io
import re
import zipfile

DIST_INFO = re.compile(r"^([^/]+)-([^/-]+)\.dist-info/")
# A wheel's <name>-<version>.data/purelib/ and /platlib/ go to the site root itself.
SITE_DATA = re.compile(r"^[^/]+\.data/(?:purelib|platlib)/")


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _record(archive: zipfile.ZipFile) -> tuple[str, list[tuple[str, str]]]:
    """The wheel's dist-info directory and its RECORD's (path, hash) rows that have a hash."""
    for name in archive.namelist():
        if name.endswith(".dist-info/RECORD") and name.count("/") == 1:
            rows = csv.reader(io.StringIO(archive.read(name).decode()))
            return name.split("/")[0], [(row[0], row[1]) for row in rows if len(row) >= 2 and row[1]]
    raise SystemExit(f"{archive.filename} has no *.dist-info/RECORD: not a wheel")


def restore_from_wheels(layer, site_root: str, wheels: list[str]) -> list[str]:
    covered, restored = set(), []
    for wheel in (w for w in wheels if w.endswith(".whl")):
        with zipfile.ZipFile(wheel) as archive:
            dist_info, rows = _record(archive)
            name, version = DIST_INFO.match(dist_info + "/").groups()
            covered.add((_normalised(name), version))
            for path, digest in rows:
                installed = f"{site_root}/{SITE_DATA.sub('', path)}"
                entry = layer.entries.get(installed)
                if entry is None or entry.data is None or _digest(entry.data) == digest:
                    continue
                data = archive.read(path)
                if _digest(data) != digest:
                    raise SystemExit(f"{path} in {wheel} does not have the hash its RECORD gives")
                layer.add_file(installed, data, entry.info.mode)
                restored.append(installed)
    prefix = site_root + "/"
    found = (DIST_INFO.match(p[len(prefix):]) for p in layer.entries if p.startswith(prefix))
    installed = {match.groups() for match in found if match}
    missing = sorted(f"{n}-{v}" for n, v in installed if (_normalised(n), v) not in covered)
    if missing:
        raise SystemExit(f"no wheel given for {', '.join(missing)}: a pip layer takes the wheels of its "
                         f"distributions (wheels = wheels_for(role)) to check each file against")
    return restored
