"""Prints the distributions an installed wheel depends on, limited to those in the lock.

Run by whl_library at fetch time with the host interpreter:
    wheel_deps.py SITE_DIR DIST_NAME LOCKED,NAMES RESOLVED,DEPS
Markers are evaluated for this interpreter and platform. A requirement gated by an extra
(`; extra == "server"`) is kept only when the lock's resolver chose it for this package
(RESOLVED: the lock's "# via" graph), so an extra that nobody asked for (setuptools[test]
-> pytest) adds no edge, and no cycle.
"""

import importlib.metadata
import re
import sys

from pip._vendor.packaging.requirements import Requirement


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def main(site_dir: str, dist_name: str, locked: str, resolved: str) -> None:
    locked_names = {normalize(n) for n in locked.split(",") if n}
    resolved_names = {normalize(n) for n in resolved.split(",") if n}
    wanted = normalize(dist_name)
    dists = [
        d for d in importlib.metadata.distributions(path=[site_dir])
        if normalize(d.metadata["Name"]) == wanted
    ]
    if not dists:
        sys.exit(f"no .dist-info for {dist_name} in {site_dir}")
    deps = set()
    for spec in dists[0].requires or []:
        req = Requirement(spec)
        name = normalize(req.name)
        if name == wanted or name not in locked_names:
            continue
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            deps.add(name)
        elif "extra" in str(req.marker) and name in resolved_names:
            deps.add(name)
    print("\n".join(sorted(deps)))


if __name__ == "__main__":
    main(*sys.argv[1:5])
