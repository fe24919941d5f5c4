#!/usr/bin/env python3
"""Fails on a wrong-way #include in the project's own code (issue 13, docs/ARCHITECTURE.md).

Usage: check_layers.py [ROOT]    (ROOT defaults to the repository this file sits in)

Reads every `#include "..."` of every C/C++ file under the folders of LAYERS below and prints
one line per wrong-way include, `file:line: [rule] text`, then exits 1. Three rules, checked in
this order (an include is reported once, under the first rule it breaks):

  engine-private  engine/*_impl.hpp and engine/detail/ are the engine's inside: only engine/ and
                  tests/engine/ (which tests that inside) may include them.
  runner-only     runner/ is the CLI: no library includes it; only runner/ and the folders on
                  top (tests/, fuzz/, bench/ outside its harness) may.
  layering        a folder includes only its own layer or lower ones (LAYERS, bottom to top).

A folder holding C/C++ sources that the table does not place fails too, so a new top folder
has to be given its layer here instead of escaping the check.
"""

import os
import re
import sys

# THE layer table, bottom to top: the one place the project's dependency direction is written
# for a machine (docs/ARCHITECTURE.md draws it for people). Each entry is (folder prefix, rank);
# a file belongs to the longest prefix that contains it, so sub-folders belong to their top
# folder (net/server is net, oms/venues is oms, strategies/market is strategies, feed/record is
# feed) unless a longer prefix is listed. Equal ranks may include each other.
LAYERS = [
    # The plugin SDK (sdk/include/botengine: the C ABI and its C++ wrapper) is installed for
    # out-of-tree builds, so it may include nothing of the engine; everything may include it.
    # examples/ holds such an out-of-tree project (examples/plugin builds against the installed
    # SDK only): the same bottom rank keeps it from reaching into the engine's headers.
    ("sdk", -1),
    ("examples", -1),
    ("core", 0),
    ("journal", 1),
    ("net", 2),
    ("feed", 3),
    ("strategies", 4),
    ("risk", 5),
    ("oms", 6),
    ("engine", 7),
    ("replay", 8),
    ("sim", 9),
    # The latency harness is a library that `botengine bench` (runner/cmd_bench.cpp) links:
    # above everything it drives (the engine, the simulator), below the CLI, never the other
    # way (issue 13: "the harness is a library the CLI links").
    ("bench/harness", 10),
    ("runner", 11),
    # On top: benchmarks, tests and fuzz targets may include anything, each other included
    # (benchmarks reuse the tests' naive twins), except the engine's private headers.
    ("bench", 12),
    ("tests", 12),
    ("fuzz", 12),
]

# Who may include the engine's private headers (prefixes, same matching as LAYERS).
ENGINE_PRIVATE_INCLUDERS = ("engine", "tests/engine")
# Whose layer may include runner/: the CLI itself and the folders on top (bench/harness is a
# layer of its own, below runner/, so it may not).
RUNNER_INCLUDERS = ("runner", "bench", "tests", "fuzz")

SOURCE_SUFFIXES = (".hpp", ".cpp", ".h", ".hh", ".cc", ".ipp", ".inc", ".hpp.in", ".cpp.in", ".h.in")
# Not the project's code: build trees, hidden folders (.git), npm's packages.
IGNORED_DIRS = re.compile(r"^(build.*|\..*|node_modules)$")
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def owner(path, prefixes):
    """The longest prefix of `prefixes` that contains the root-relative `path`, or None."""
    best = None
    for prefix in prefixes:
        if path == prefix or path.startswith(prefix + "/"):
            if best is None or len(prefix) > len(best):
                best = prefix
    return best


RANK = dict(LAYERS)
FOLDERS = [prefix for prefix, _ in LAYERS]


def is_engine_private(target):
    if not target.startswith("engine/"):
        return False
    return target.startswith("engine/detail/") or target.endswith("_impl.hpp")


def resolve(root, includer, text):
    """The root-relative path an include names: beside the includer first (as the compiler
    looks), else from the root (the project's include directory)."""
    beside = os.path.normpath(os.path.join(os.path.dirname(includer), text))
    if not beside.startswith("..") and os.path.isfile(os.path.join(root, beside)):
        return beside.replace(os.sep, "/")
    return os.path.normpath(text).replace(os.sep, "/")


def source_files(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not IGNORED_DIRS.match(d))
        for name in sorted(filenames):
            if name.endswith(SOURCE_SUFFIXES):
                yield os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")


def check(root):
    problems = []
    unplaced = set()
    for path in source_files(root):
        layer = owner(path, FOLDERS)
        if layer is None:
            if "/" in path:  # files at the root (none today) belong to no folder
                unplaced.add(path.split("/")[0])
            continue
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                target = resolve(root, path, match.group(1))
                target_layer = owner(target, FOLDERS)
                if target_layer is None:
                    continue  # a generated or third-party header: not a project layer
                where = f"{path}:{number}"
                text = f'#include "{match.group(1)}"'
                if is_engine_private(target) and owner(path, ENGINE_PRIVATE_INCLUDERS) is None:
                    problems.append(f"{where}: [engine-private] {text}: only engine/ and "
                                    "tests/engine/ may include the engine's private headers")
                elif target_layer == "runner" and layer not in RUNNER_INCLUDERS:
                    problems.append(f"{where}: [runner-only] {text}: a library ({layer}/) "
                                    "must not include the CLI (runner/)")
                elif RANK[layer] < RANK[target_layer]:
                    problems.append(f"{where}: [layering] {text}: {layer}/ (layer {RANK[layer]}) "
                                    f"includes the higher {target_layer}/ (layer "
                                    f"{RANK[target_layer]})")
    for folder in sorted(unplaced):
        problems.append(f"{folder}/: [unplaced] holds C/C++ sources but has no layer in "
                        "tests/layout/check_layers.py's LAYERS table")
    return problems


def report(problems, heading, clean):
    """Prints the heading and one indented line per problem (exit 1), or the clean line (0)."""
    if not problems:
        print(clean)
        return 0
    print(heading)
    for problem in problems:
        print("  " + problem)
    return 1


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    root = os.path.abspath(root)
    problems = check(root)
    return report(problems,
                  f"layout check: {len(problems)} wrong-way include(s) under {root} "
                  "(rules and layers: tests/layout/check_layers.py):",
                  f"layout check: clean ({root})")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
