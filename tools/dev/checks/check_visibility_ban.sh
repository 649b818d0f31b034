#!/usr/bin/env bash
# Proves the layer rules are enforced by Bazel itself: every target in
# //apps/worker/boundary_probe (a worker depending on the API, DRF, drf-yasg or gunicorn)
# must fail analysis with "is not visible". Exit 0 when all are refused, 1 otherwise.
#
#   tools/dev/checks/check_visibility_ban.sh [path/to/bazel]   (default: tools/bazel)
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
bazel="${1:-tools/bazel}"
probes=(depends_on_api depends_on_drf depends_on_drf_yasg depends_on_gunicorn)
status=0
for probe in "${probes[@]}"; do
  target="//apps/worker/boundary_probe:${probe}"
  output="$("$bazel" build --nobuild "$target" 2>&1)"
  if [[ $? -ne 0 ]] && grep -q "is not visible from target '${target}'" <<<"$output"; then
    echo "ok: ${target} is refused by visibility"
  else
    echo "FAIL: ${target} was not refused with 'is not visible':"
    grep -E 'ERROR|not visible' <<<"$output" | head -5
    status=1
  fi
done
exit "$status"
