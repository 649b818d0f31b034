"""Text and JSON renderings of a CheckResult."""

from __future__ import annotations

import json

from .model import TOP_LEVEL, CheckResult, Hop, Violation

SCOPE = "apps/worker"


def hop_text(hop: Hop) -> str:
    where = hop.path or hop.module
    if hop.line is not None:
        where = f"{where}:{hop.line}"
    if hop.kind and hop.kind != TOP_LEVEL:
        where = f"{where} [{hop.kind}]"
    return where


def chain_text(chain) -> str:
    return " -> ".join(hop_text(hop) for hop in chain)


def _headline(v: Violation) -> str:
    if v.module is not None:
        importer = v.chain[-2]
        return f"{v.rule}: {importer.path or importer.module}:{importer.line} imports {v.module}"
    last = v.chain[-1]
    where = last.path or last.module
    if last.line is not None:
        where = f"{where}:{last.line}"
    return f"{v.rule}: {where}"


def render_text(result: CheckResult, scope: str = SCOPE) -> str:
    lines = []
    for v in result.violations:
        lines.append(_headline(v))
        lines.append(f"  rule:  {v.description}")
        lines.append(f"  kind:  {v.kind}")
        if v.detail:
            lines.append(f"  note:  {v.detail}")
        lines.append(f"  chain: {chain_text(v.chain)}")
        lines.append("")
    if result.violations:
        lines.append(f"{len(result.violations)} violation(s) in {result.modules_scanned} module(s) reachable from {scope}")
    else:
        lines.append(f"OK: {result.modules_scanned} modules reachable from {scope}, no forbidden imports")
    return "\n".join(lines) + "\n"


def _hop_json(hop: Hop) -> dict:
    return {"path": hop.path, "line": hop.line, "module": hop.module, "kind": hop.kind}


def as_dict(result: CheckResult, root: str) -> dict:
    return {
        "root": root,
        "modules_scanned": result.modules_scanned,
        "violations": [
            {
                "rule": v.rule,
                "description": v.description,
                "kind": v.kind,
                "module": v.module,
                "detail": v.detail or None,
                "chain": [_hop_json(hop) for hop in v.chain],
            }
            for v in result.violations
        ],
        "unused_allowlist_entries": list(result.unused_allowlist),
    }


def render_json(result: CheckResult, root: str) -> str:
    return json.dumps(as_dict(result, root), indent=2) + "\n"
