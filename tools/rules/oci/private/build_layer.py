"""Builds one deterministic layer tar from .deb packages and/or files.

    build_layer.py --out layer.tar.gz [--deb pkg.deb ...] [--files manifest.json] [--ca-bundle]

An --out ending in .tar.gz is gzipped as it is written (no file name, mtime 0, level 6), so
equal inputs give equal blobs; one ending in .tar is left uncompressed.

--deb        unpack a Debian package's data (dpkg-deb --fsys-tarfile); docs, man pages and
             info files are dropped, copyright files kept (as distroless does)
--files      a JSON list of [source, destination, mode] (mode may be null: keep the source's)
--symlink    DEST=TARGET
--site-root  where --files put pip distributions (opt/academy/site-packages): each needs its
             --wheel, and a file whose hash is no longer the one its wheel's RECORD gives is
             taken from the wheel again (wheel_records.py)
--wheel      a wheel of a distribution under --site-root
--ca-bundle  write /etc/ssl/certs/ca-certificates.crt from the certificates in the layer,
             which ca-certificates' maintainer script would have done

Maintainer scripts never run in an image, so the one effect they have that programs need is
replayed here: `update-alternatives --install LINK NAME PATH PRIORITY` lines in a package's
postinst become the symlink LINK -> PATH (the highest priority wins), e.g. libblas.so.3,
without which ffmpeg does not start.
"""

import argparse
import gzip
import io
import json
import os
import re
import stat
import subprocess
import sys
import tarfile

from tar_writer import LayerBuilder
from wheel_records import restore_from_wheels

DROPPED_PREFIXES = ("usr/share/doc/", "usr/share/man/", "usr/share/info/", "usr/share/lintian/")


def keep(path: str) -> bool:
    path = path.lstrip("./")
    if path.startswith("usr/share/doc/"):
        return path.endswith("/copyright") or path.count("/") <= 3 and not path.endswith((".gz", ".txt"))
    return not path.startswith(DROPPED_PREFIXES)


def add_deb(layer: LayerBuilder, deb: str) -> None:
    stream = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], capture_output=True, check=False)
    if stream.returncode != 0:
        sys.exit(f"{deb}: dpkg-deb failed: {stream.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(stream.stdout), mode="r:") as tar:
        for member in tar:
            if not keep(member.name):
                continue
            data = tar.extractfile(member).read() if member.isfile() else None
            layer.add_member(member, data)


ALTERNATIVE = re.compile(r"update-alternatives\s+--install\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+)")


def alternatives(deb: str) -> list[tuple[str, str, int]]:
    """(link, path, priority) for each alternative the package's postinst installs."""
    script = subprocess.run(["dpkg-deb", "--info", deb, "postinst"], capture_output=True, check=False)
    if script.returncode != 0:
        return []  # no postinst
    text = script.stdout.decode(errors="replace").replace("\\\n", " ")
    return [(link, path, int(priority)) for link, _name, path, priority in ALTERNATIVE.findall(text)]


def add_alternatives(layer: LayerBuilder, debs: list[str]) -> None:
    best: dict[str, tuple[int, str]] = {}
    for deb in debs:
        for link, path, priority in alternatives(deb):
            if "$" in link or "$" in path:
                continue  # computed in shell: not replayable
            if link not in best or priority > best[link][0]:
                best[link] = (priority, path)
    for link, (_, path) in sorted(best.items()):
        layer.add_symlink(link, path)


def add_ca_bundle(layer: LayerBuilder) -> None:
    certs = sorted(
        name for name, entry in layer.entries.items()
        if name.startswith("usr/share/ca-certificates/") and name.endswith(".crt") and entry.data is not None
    )
    if not certs:
        sys.exit("--ca-bundle: no certificates under usr/share/ca-certificates in this layer")
    bundle = b"".join(layer.entries[c].data.rstrip(b"\n") + b"\n" for c in certs)
    layer.add_file("etc/ssl/certs/ca-certificates.crt", bundle)


def add_files(layer: LayerBuilder, manifest: str) -> None:
    with open(manifest) as f:
        for source, destination, mode in json.load(f):
            st = os.stat(source)
            if stat.S_ISDIR(st.st_mode):
                layer.add_directory(destination)
                continue
            with open(source, "rb") as data:
                # Only the executable bit of a source file matters; the rest is normalised.
                default = 0o755 if st.st_mode & 0o111 else 0o644
                layer.add_file(destination, data.read(), int(mode, 8) if mode else default)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--deb", action="append", default=[])
    parser.add_argument("--files", action="append", default=[])
    parser.add_argument("--symlink", action="append", default=[])
    parser.add_argument("--directory", action="append", default=[], help="DEST[=MODE[:UID]], an empty directory")
    parser.add_argument("--ca-bundle", action="store_true")
    parser.add_argument("--wheel", action="append", default=[])
    parser.add_argument("--site-root")
    args = parser.parse_args(argv)
    layer = LayerBuilder()
    for deb in args.deb:
        add_deb(layer, deb)
    add_alternatives(layer, args.deb)
    for manifest in args.files:
        add_files(layer, manifest)
    if args.site_root:
        for path in restore_from_wheels(layer, args.site_root, args.wheel):
            print(f"build_layer: {path} was changed after its install; taken from its wheel", file=sys.stderr)
    for spec in args.directory:
        path, _, mode_owner = spec.partition("=")
        mode, _, owner = mode_owner.partition(":")
        layer.add_directory(path, int(mode, 8) if mode else 0o755, int(owner) if owner else 0)
    for spec in args.symlink:
        dest, target = spec.split("=", 1)
        layer.add_symlink(dest, target)
    if args.ca_bundle:
        add_ca_bundle(layer)
    with open(args.out, "wb") as out:
        if args.out.endswith(".tar.gz"):
            with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6) as gz:
                layer.write(gz)
        else:
            layer.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
