#!/usr/bin/env python3
"""Self-test of check_layers.py: a checker that passes everything proves nothing.

Builds a tiny tree with only legal includes (it must pass), then plants one wrong-way include at
a time into a copy of it and requires the checker to fail naming that file:line and rule, and
nothing else. Runs the checker as ctest does (a subprocess, exit code and output).
"""

import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import check_layers  # noqa: E402 (beside this file: python puts the script's folder on sys.path)

CHECKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_layers.py")

# Every include here is legal: the checker must stay quiet on this tree.
CLEAN_TREE = {
    "core/clock.hpp": "#pragma once\n",
    "core/event.hpp": '#include "core/clock.hpp"\n',
    "journal/writer.hpp": '#include "core/event.hpp"\n',
    "net/server/scaffold.hpp": '#include "core/event.hpp"\n',
    "feed/parser.cpp": '#include "net/server/scaffold.hpp"\n#include "journal/writer.hpp"\n',
    "feed/record/recorder.cpp": '#include "feed/parser.cpp"\n',
    "strategies/market/bars.hpp": '#include "feed/parser.cpp"\n',
    "risk/checks.cpp": '#include "strategies/market/bars.hpp"\n',
    "oms/order_table.hpp": "#pragma once\n",
    "oms/venues/binance/gateway.cpp": '#include "oms/order_table.hpp"\n#include "risk/checks.cpp"\n',
    "engine/engine_impl.hpp": '#include "oms/order_table.hpp"\n',
    "engine/detail/loops.hpp": "#pragma once\n",
    "engine/engine.cpp": '#include "engine/engine_impl.hpp"\n#include "engine/detail/loops.hpp"\n',
    "replay/backtest.cpp": '#include "engine/engine.cpp"\n',
    "sim/market.cpp": '#include "replay/backtest.cpp"\n',
    "bench/harness/injector.hpp": '#include "sim/market.cpp"\n',
    # beside-the-file include, and a generated header that lives in the build tree
    "runner/cli.hpp": "#pragma once\n",
    "runner/cmd_bench.cpp": '#include "cli.hpp"\n#include "version.hpp"\n'
                            '#include "bench/harness/injector.hpp"\n',
    "runner/api/router.hpp": '#include "runner/cli.hpp"\n',
    "tests/engine/engine_test.cpp": '#include "engine/engine_impl.hpp"\n#include "runner/cli.hpp"\n',
    "tests/api/api_test.cpp": '#include "runner/api/router.hpp"\n',
    "bench/replay/replay_bench.cpp": '#include "tests/api/api_test.cpp"\n#include "runner/cli.hpp"\n',
    "fuzz/fuzz_api.cpp": '#include "runner/api/router.hpp"\n',
    # a commented-out include is not an include
    "core/ids.hpp": '// #include "oms/order_table.hpp"\n',
    # not C/C++: never read
    "docs/notes.md": '#include "runner/cli.hpp"\n',
}

# (file planted, its text, the "file:line: [rule]" the checker must print)
PLANTED = [
    ("core/bad.hpp", '#pragma once\n#include "feed/parser.cpp"\n',
     "core/bad.hpp:2: [layering]"),
    ("net/server/bad.cpp", '#include "feed/parser.cpp"\n', "net/server/bad.cpp:1: [layering]"),
    ("feed/record/bad.cpp", '\n\n#include "strategies/market/bars.hpp"\n',
     "feed/record/bad.cpp:3: [layering]"),
    ("oms/venues/binance/bad.cpp", '#include "engine/engine.cpp"\n',
     "oms/venues/binance/bad.cpp:1: [layering]"),
    ("core/relative.hpp", '#include "../oms/order_table.hpp"\n',
     "core/relative.hpp:1: [layering]"),
    ("sim/bad.cpp", '#include "bench/harness/injector.hpp"\n', "sim/bad.cpp:1: [layering]"),
    ("engine/bad.cpp", '#include "runner/cli.hpp"\n', "engine/bad.cpp:1: [runner-only]"),
    ("bench/harness/bad.cpp", '#include "runner/cli.hpp"\n',
     "bench/harness/bad.cpp:1: [runner-only]"),
    ("runner/bad.cpp", '#include "engine/engine_impl.hpp"\n',
     "runner/bad.cpp:1: [engine-private]"),
    ("replay/bad.cpp", '#include "engine/detail/loops.hpp"\n',
     "replay/bad.cpp:1: [engine-private]"),
    ("bench/replay/bad.cpp", '#  include "engine/fold_impl.hpp"\n',
     "bench/replay/bad.cpp:1: [engine-private]"),
    ("tests/api/bad.cpp", '#include "engine/engine_impl.hpp"\n',
     "tests/api/bad.cpp:1: [engine-private]"),
    ("newfolder/thing.cpp", '#include "core/event.hpp"\n', "newfolder/: [unplaced]"),
]


def write_tree(root, files):
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)


def run_checker(root):
    result = subprocess.run([sys.executable, CHECKER, root], capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def main():
    failures = []
    with tempfile.TemporaryDirectory(prefix="be_layout_") as scratch:
        clean = os.path.join(scratch, "clean")
        write_tree(clean, CLEAN_TREE)
        code, output = run_checker(clean)
        if code != 0:
            failures.append(f"the clean tree failed (exit {code}):\n{output}")

        for index, (path, text, expected) in enumerate(PLANTED):
            tree = os.path.join(scratch, f"planted{index}")
            shutil.copytree(clean, tree)
            write_tree(tree, {path: text})
            code, output = run_checker(tree)
            reported = [line.strip() for line in output.splitlines() if line.startswith("  ")]
            if code != 1:
                failures.append(f"{path}: exit {code}, expected 1:\n{output}")
            elif len(reported) != 1 or not reported[0].startswith(expected):
                failures.append(f"{path}: expected exactly one '{expected} ...', got:\n{output}")

    return check_layers.report(
        failures, "layout check self-test FAILED:",
        f"layout check self-test: clean tree passes, {len(PLANTED)} planted includes caught")


if __name__ == "__main__":
    sys.exit(main())
