#!/usr/bin/env bash
# Workspace status for `--stamp`: keys that push targets can put in their tags.
echo "STABLE_GIT_COMMIT $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
