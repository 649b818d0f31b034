#!/usr/bin/env bash
# The worker images' runtime dependency check: lists the Python distributions installed
# *inside* an image's filesystem and fails if an API-only one (djangorestframework,
# gunicorn, drf-yasg) is there. Needs root (chroot).
#
#   tools/dev/checks/check_worker_deps.sh IMAGE_LAYOUT           # a worker image: must be clean
#   tools/dev/checks/check_worker_deps.sh --expect IMAGE_LAYOUT  # the API image: must have them
#
# Exit 0 when the expectation holds, 1 when it does not, 2 on bad usage.
set -euo pipefail

expect_present=0
if [[ ${1:-} == --expect ]]; then expect_present=1; shift; fi
if [[ $# -ne 1 || ! -f ${1}/index.json ]]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
layout="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT

python3 "$here/../../rules/oci/private/unpack_image.py" "$layout" "$root/fs" --config-out "$root/config.json"
pythonpath="$(python3 -c 'import json,sys; env=dict(e.split("=",1) for e in json.load(open(sys.argv[1])).get("Env",[])); print(env.get("PYTHONPATH",""))' "$root/config.json")"

# The image's own interpreter lists what the image's Python can import (pip is not in it).
installed="$(env -i PYTHONPATH="$pythonpath" /usr/sbin/chroot "$root/fs" /usr/bin/python3.11 -c '
import importlib.metadata as m
print("\n".join(sorted({d.metadata["Name"].lower() + "==" + d.version for d in m.distributions()})))')"
forbidden="$(grep -E '^(djangorestframework|gunicorn|drf-yasg)==' <<<"$installed" || true)"

if ((expect_present)); then
  if [[ $(wc -l <<<"$forbidden") -eq 3 ]]; then
    echo "ok: the image holds the API packages:"; sed 's/^/  /' <<<"$forbidden"; exit 0
  fi
  echo "FAIL: expected djangorestframework, gunicorn and drf-yasg, found: ${forbidden:-none}"; exit 1
fi
if [[ -n $forbidden ]]; then
  echo "FAIL: API-only packages in a worker image:"; sed 's/^/  /' <<<"$forbidden"; exit 1
fi
echo "ok: $(wc -l <<<"$installed") distributions, none of djangorestframework, gunicorn, drf-yasg"
