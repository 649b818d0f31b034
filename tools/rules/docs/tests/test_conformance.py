"""tools/rules/{oci,pip,npm}/CONFORMANCE.md say exactly what the stand-ins define.

Each table row names a symbol, attribute, macro parameter, run-time flag or generated name of
the real rule set with a status: `same` or `differs` (the code must have it) or `absent` (the
code must not). Everything public in the code must have a row. The code is read as the
reference generator reads it (generate_reference.py: the .bzl files parsed, nothing run);
the push runner's flags from its `case` patterns; the generated requirements.bzl and hub
aliases from pip_parse.bzl's templates; an npm_import repository's targets from its BUILD template.
"""

import ast
import os
import pathlib
import re
import sys

import pytest

if "TEST_SRCDIR" in os.environ:
    ROOT = pathlib.Path(os.environ["TEST_SRCDIR"]) / "academy"
else:
    ROOT = pathlib.Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "tools" / "rules" / "docs"))

from generate_reference import Macro, Rule, RuleSet

STATUSES = ("same", "differs", "absent")


def tables(path: pathlib.Path) -> dict[str, dict[str, str]]:
    """Section title -> {first cell (without backticks) -> status} of each table."""
    sections: dict[str, dict[str, str]] = {}
    title = None
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            title = line[3:].strip()
        elif line.startswith("| `") and title:
            cells = [c.strip() for c in line.strip("|").split("|")]
            name, status = cells[0].strip("`"), cells[1]
            assert status in STATUSES, f"{path.name}, {title}: {name} has status {status!r}"
            sections.setdefault(title, {})[name] = status
    return sections


def check(section: dict[str, str], found: set[str], where: str) -> list[str]:
    problems = []
    for name, status in section.items():
        if status == "absent" and name in found:
            problems.append(f"{where}: {name} is marked absent but the code has it")
        if status != "absent" and name not in found:
            problems.append(f"{where}: {name} is marked {status} but the code lacks it")
    problems += [f"{where}: {name} is in the code but has no row" for name in sorted(found - section.keys())]
    return problems


def public_symbols(rule_set: RuleSet, path: str) -> set[str]:
    return set(rule_set.files[path].public)


def attributes(rule_set: RuleSet, path: str, symbol: str) -> set[str]:
    resolved = rule_set.resolve(rule_set.files[path], symbol)
    if isinstance(resolved, Rule):
        return {a.name for a in resolved.attrs if a.name != "name"}
    assert isinstance(resolved, Macro), f"{path}: {symbol} is neither a rule nor a macro"
    return {p.name.lstrip("*") for p in resolved.params}


def parameters(rule_set: RuleSet, path: str, symbol: str) -> set[str]:
    resolved = rule_set.resolve(rule_set.files[path], symbol)
    assert isinstance(resolved, Macro), f"{path}: {symbol} is not a macro"
    return {p.name.lstrip("*") for p in resolved.params}


def push_flags() -> set[str]:
    template = (ROOT / "tools/rules/oci/private/push.sh.tpl").read_text()
    flags = set()
    for pattern in re.findall(r"^\s+([-|a-z=*]+)\)", template, flags=re.MULTILINE):
        flags |= {f for f in pattern.split("|") if not f.endswith("=*") and f not in ("-h", "--help", "*")}
    return flags


def template_string(path: str, constant: str) -> str:
    tree = ast.parse((ROOT / path).read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == constant:
            return node.value.value
    raise AssertionError(f"{path} has no {constant}")


def generated_requirements_symbols() -> set[str]:
    text = template_string("tools/rules/pip/private/pip_parse.bzl", "_REQUIREMENTS_BZL")
    names = set(re.findall(r"^def ([a-z]\w*)\(", text, flags=re.MULTILINE))
    return names | set(re.findall(r"^([a-z]\w*) = ", text, flags=re.MULTILINE))


def hub_alias_targets() -> set[str]:
    text = template_string("tools/rules/pip/private/pip_parse.bzl", "_ALIASES")
    targets = {"<name>"} if 'name = "{key}"' in text else set()
    for listed in re.findall(r"for target in \[([^\]]*)\]", text):
        targets |= set(re.findall(r'"(\w+)"', listed))
    return targets


def npm_import_targets() -> set[str]:
    text = template_string("tools/rules/npm/private/npm_import.bzl", "_BUILD")
    targets = set(re.findall(r'name = "(\w+)"', text))
    exported = re.search(r"exports_files\((.*)\)", text).group(1)
    targets |= set(re.findall(r'"([^"]+)"', exported))
    return targets | ({"<path>"} if "_FILES" in exported else set())


@pytest.fixture(scope="module")
def oci():
    return RuleSet(ROOT, "oci"), tables(ROOT / "tools/rules/oci/CONFORMANCE.md")


@pytest.fixture(scope="module")
def pip():
    return RuleSet(ROOT, "pip"), tables(ROOT / "tools/rules/pip/CONFORMANCE.md")


@pytest.fixture(scope="module")
def npm():
    return RuleSet(ROOT, "npm"), tables(ROOT / "tools/rules/npm/CONFORMANCE.md")


def test_the_oci_table_matches_the_code(oci):
    rule_set, sections = oci
    defs = "tools/rules/oci/defs.bzl"
    problems = check(sections["Symbols"], public_symbols(rule_set, defs), "Symbols")
    for title, symbol in [
        ("oci_image_rule", "oci_image_rule"),
        ("oci_image_index_rule", "oci_image_index_rule"),
        ("oci_push_rule", "oci_push_rule"),
        ("oci_tarball_rule (the load rule)", "oci_tarball_rule"),
    ]:
        problems += check(sections[title], attributes(rule_set, defs, symbol), title)
    for title, symbol in [("oci_image (macro)", "oci_image"), ("oci_image_index (macro)", "oci_image_index"),
                          ("oci_push (macro)", "oci_push"), ("oci_load (macro)", "oci_load")]:
        problems += check(sections[title], parameters(rule_set, defs, symbol), title)
    problems += check(sections["oci_push run-time flags"], push_flags(), "oci_push run-time flags")
    assert not problems, "tools/rules/oci/CONFORMANCE.md disagrees with the code:\n" + "\n".join(problems)


def test_the_pip_table_matches_the_code(pip):
    rule_set, sections = pip
    defs = "tools/rules/pip/defs.bzl"
    problems = check(sections["Symbols of //tools/rules/pip:defs.bzl (rules_python: python/pip.bzl)"],
                     public_symbols(rule_set, defs), "Symbols")
    pip_parse = {k: v for k, v in sections["pip_parse"].items() if k != "use_hub_alias_dependencies"}
    problems += check(pip_parse, attributes(rule_set, defs, "pip_parse"), "pip_parse")
    problems += check(sections["@pip//:requirements.bzl"], generated_requirements_symbols(), "requirements.bzl")
    problems += check(sections["@pip//<name> aliases"], hub_alias_targets(), "hub aliases")
    assert not problems, "tools/rules/pip/CONFORMANCE.md disagrees with the code:\n" + "\n".join(problems)


def test_the_npm_table_matches_the_code(npm):
    rule_set, sections = npm
    defs = "tools/rules/npm/defs.bzl"
    problems = check(sections["Symbols of //tools/rules/npm:defs.bzl (rules_js: npm/repositories.bzl)"],
                     public_symbols(rule_set, defs), "Symbols")
    problems += check(sections["npm_import"], attributes(rule_set, defs, "npm_import"), "npm_import")
    problems += check(sections["@<name> targets"], npm_import_targets(), "targets")
    assert not problems, "tools/rules/npm/CONFORMANCE.md disagrees with the code:\n" + "\n".join(problems)


def test_a_wrong_row_is_caught():
    """The check itself: a row the code contradicts, a missing row, an absent one present."""
    found = {"image", "repository"}
    assert check({"image": "same", "repository": "same"}, found, "t") == []
    assert check({"image": "same"}, found, "t") == ["t: repository is in the code but has no row"]
    assert check({"image": "same", "repository": "absent"}, found, "t") == [
        "t: repository is marked absent but the code has it"]
    assert check({"image": "same", "repository": "same", "tag": "differs"}, found, "t") == [
        "t: tag is marked differs but the code lacks it"]
