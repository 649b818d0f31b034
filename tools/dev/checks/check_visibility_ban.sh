#!/usr/bin/env bash
# Proves the layer rules are enforced by Bazel itself: every target in
# //apps/worker/boundary_probe (a worker depending on the API, DRF, drf-yasg or gunicorn)
# must fail analysis with "is not visible", and no Python target but the wrappers in
# //third_party/python may depend on an API-only distribution directly (the wrappers'
# visibility is what holds the boundary, whichever pip rules make the distributions).
# Exit 0 when all of it holds, 1 otherwise.
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

# Direct dependers of what the wrappers wrap (the hub's @pip//<name>:pkg aliases and the
# distributions' own repositories behind them), in this repository, other than the wrappers.
aliases='labels(deps, //third_party/python:*)'
wrapped="$aliases + labels(actual, $aliases)"
if ! direct="$("$bazel" query --output=label \
    "kind('py_(library|binary|test) rule', rdeps(//..., $wrapped, 1)) intersect //... except //third_party/python:*" \
    2>/dev/null)"; then
  echo "FAIL: the query for direct dependers of the API-only distributions did not run"
  status=1
elif [[ -n "$direct" ]]; then
  echo "FAIL: these depend on an API-only distribution directly, not through //third_party/python:"
  echo "$direct"
  status=1
else
  echo "ok: only //third_party/python depends on the API-only distributions directly"
fi
exit "$status"
