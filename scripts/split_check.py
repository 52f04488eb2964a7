"""Out-of-sample check of a model change on the corpus rows, in about a third of `llmtco accuracy`'s time.

    PYTHONPATH=src .venv/bin/python scripts/split_check.py before.json            # on the tree as it was
    PYTHONPATH=src .venv/bin/python scripts/split_check.py after.json --against before.json

Refits the shipped fit (``calibration.ship.fold_fit``) for leave-one-source-out and
leave-one-accelerator-out over the committed corpus, prints the median absolute error per metric
and per engine, and writes every row's prediction to the JSON file. With ``--against`` it also
prints, per split, metric and source family, the median error before and after. The accuracy
report remains the figure of record (it adds the held-out 2026 collection and the published MoE
rows); this is for trying a change before spending a full report on it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from llmtco.calibration.corpus import load_corpus
from llmtco.calibration.fit import Prediction, leave_one_accelerator_out, leave_one_source_out
from llmtco.calibration.report import summarise
from llmtco.calibration.ship import fold_fit
from llmtco.catalog import load_catalog

SPLITS = {"leave_one_source_out": leave_one_source_out, "leave_one_accelerator_out": leave_one_accelerator_out}
ENGINE_METRICS = ("output_tok_s_per_gpu", "tpot_ms", "ttft_ms")


def _row(p: Prediction) -> list[object]:
    c = p.case
    return [c.family, c.engine, c.model, c.accelerator, p.metric, p.measured, p.predicted]


def run(out: Path) -> dict[str, list[list[object]]]:
    catalog = load_catalog()
    cases, _ = load_corpus(catalog)
    refit = fold_fit(catalog, "split_check")
    result: dict[str, list[list[object]]] = {}
    for name, split in SPLITS.items():
        start = time.perf_counter()
        preds = split(cases, catalog, refit)
        print(f"{name} ({time.perf_counter() - start:.0f} s)")
        summary = summarise(preds)  # the accuracy report's own medians
        for metric, entry in summary.items():
            print(f"  {metric:<24} {entry['all']['median_ape']:6.1f} %  ({entry['all']['n']} rows)")
        for metric in ENGINE_METRICS:
            for engine, stat in summary.get(metric, {}).get("by_engine", {}).items():
                print(f"    {metric:<22} {engine:<8} {stat['median_ape']:6.1f} %")
        result[name] = [_row(p) for p in preds]
    out.write_text(json.dumps(result))
    return result


def compare(before: dict[str, list[list[object]]], after: dict[str, list[list[object]]]) -> None:
    for name in SPLITS:
        pairs: dict[tuple[str, ...], tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
        for a, b in zip(before.get(name, []), after.get(name, []), strict=False):
            if a[:5] != b[:5]:
                sys.exit(f"{name}: the two files do not list the same rows (the corpus changed?)")
            key = (str(a[4]), str(a[0]), str(a[1]))
            pairs[key][0].append(abs(float(a[6]) / float(a[5]) - 1) * 100)  # type: ignore[arg-type]
            pairs[key][1].append(abs(float(b[6]) / float(b[5]) - 1) * 100)  # type: ignore[arg-type]
        print(f"{name}: median absolute error before -> after, by metric, family and engine")
        for (metric, family, engine), (x, y) in sorted(pairs.items()):
            print(f"  {metric:<22} {family:<24} {engine:<8} n={len(x):<3} "
                  f"{statistics.median(x):6.1f} -> {statistics.median(y):6.1f} %")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="JSON file for this tree's out-of-sample predictions")
    ap.add_argument("--against", type=Path, help="an earlier run's JSON to compare with")
    args = ap.parse_args()
    after = run(args.out)
    if args.against is not None:
        compare(json.loads(args.against.read_text()), after)


if __name__ == "__main__":
    main()
