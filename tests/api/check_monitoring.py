#!/usr/bin/env python3
"""Holds the operations kit (examples/monitoring) to a real scrape of /metrics.

usage: check_monitoring.py SCRAPE DASHBOARD_JSON RULES_YAML

- The Grafana dashboard must be importable: JSON with a Prometheus datasource input
  (DS_PROMETHEUS), a uid, a title, unique panel ids, and every panel (rows aside) querying
  through that datasource with at least one target.
- Every PromQL expression, in the dashboard's targets and in the alert rules, names only metrics
  present in SCRAPE (Prometheus' own `up` aside: it is made by the scrape, not served), and each
  label it matches on (`{stage="fold"}`) is one those metrics carry (or `job`/`instance`, which
  Prometheus adds).

Prints every problem and exits 1 if there is any.
"""
import json
import re
import sys

import yaml

PROMETHEUS_MADE = {"up"}  # series Prometheus itself makes for each scrape target
TARGET_LABELS = {"job", "instance"}
KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
            "group_right", "offset", "bool", "inf", "nan",
            # aggregation operators: `sum by (x) (...)` puts the clause before the parenthesis
            "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
            "bottomk", "topk", "quantile"}
IDENT = r"[a-zA-Z_:][a-zA-Z0-9_:]*"


def scrape_labels(path):
    """Sample name -> the label names it carries, from the Prometheus text exposition."""
    labels = {}
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"(" + IDENT + r")(\{(.*)\})?\s", line)
        if not m:
            continue
        names = labels.setdefault(m.group(1), set())
        for label in re.findall(r"(" + IDENT + r')="', m.group(3) or ""):
            names.add(label)
    return labels


def check_expr(where, expr, scraped, problems):
    if not expr.strip():
        problems.append(f"{where}: empty expression")
        return
    text = re.sub(r'"(\\.|[^"\\])*"', '""', expr)  # string literals out
    text = re.sub(r"\[[^\]]*\]", "", text)  # range selectors and subquery steps out
    text = re.sub(r"\$\{?\w+\}?", "", text)  # Grafana variables ($__rate_interval) out
    # by (...) / without (...) / on (...) / ignoring (...): label lists, not metrics.
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", r"\1", text)
    metrics = []
    for m in re.finditer(r"(?<![\w.])(" + IDENT + r")\s*(\{([^}]*)\})?(\s*\()?", text):
        name, matchers, call = m.group(1), m.group(3), m.group(4)
        if call or name.lower() in KEYWORDS or re.fullmatch(r"[0-9].*", name):
            continue
        metrics.append(name)
        if name in PROMETHEUS_MADE:
            continue
        if name not in scraped:
            problems.append(f"{where}: metric {name} is not in the scrape of /metrics")
            continue
        for label in re.findall(r"(" + IDENT + r")\s*[=!]~?", matchers or ""):
            if label not in scraped[name] and label not in TARGET_LABELS:
                problems.append(f"{where}: {name} has no label {label} in the scrape")
    # A selector without a name ({__name__=...}) would hide what is queried: refuse it.
    if not metrics:
        problems.append(f"{where}: no metric named in '{expr}'")


def check_dashboard(path, scraped, problems):
    d = json.load(open(path, encoding="utf-8"))
    inputs = [i.get("name") for i in d.get("__inputs", []) if i.get("pluginId") == "prometheus"]
    if inputs != ["DS_PROMETHEUS"]:
        problems.append(f"{path}: __inputs must declare one Prometheus datasource DS_PROMETHEUS")
    for key in ("uid", "title", "schemaVersion", "panels"):
        if key not in d:
            problems.append(f"{path}: no {key}")
    panels = []
    for p in d.get("panels", []):
        panels.append(p)
        panels.extend(p.get("panels", []))  # collapsed rows hold their panels
    ids = [p.get("id") for p in panels]
    if len(ids) != len(set(ids)) or None in ids:
        problems.append(f"{path}: panel ids must be present and unique")
    queried = 0
    for p in panels:
        if p.get("type") == "row":
            continue
        where = f"{path}: panel '{p.get('title')}'"
        if p.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
            problems.append(f"{where}: datasource is not ${{DS_PROMETHEUS}}")
        targets = p.get("targets", [])
        if not targets:
            problems.append(f"{where}: no query")
        for t in targets:
            check_expr(f"{where} {t.get('refId')}", t.get("expr", ""), scraped, problems)
            queried += 1
    return queried


def check_rules(path, scraped, problems):
    doc = yaml.safe_load(open(path, encoding="utf-8"))
    alerts = 0
    for group in doc.get("groups", []):
        for rule in group.get("rules", []):
            name = rule.get("alert") or rule.get("record")
            check_expr(f"{path}: {name}", str(rule.get("expr", "")), scraped, problems)
            alerts += 1
    return alerts


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    scraped = scrape_labels(argv[1])
    problems = []
    queries = check_dashboard(argv[2], scraped, problems)
    rules = check_rules(argv[3], scraped, problems)
    for p in problems:
        print(p)
    print(f"check_monitoring: {len(scraped)} series names scraped, {queries} dashboard queries, "
          f"{rules} rules, {len(problems)} problems")
    return 1 if problems or queries == 0 or rules == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
