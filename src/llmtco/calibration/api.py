"""Entry points used by the CLI: accuracy report and calibration runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmtco.calibration.corpus import Case, load_corpus
from llmtco.calibration.fit import (
    FoldHook,
    Sourced,
    accelerator_key,
    fit_all,
    held_out_collection,
    leave_one_accelerator_out,
    leave_one_source_out,
    out_of_sample_refits,
    outside,
    predictions,
    source_key,
)
from llmtco.calibration.imports import read_result_file
from llmtco.calibration.moe_rows import CheckRow, checked, fold_rows, moe_rows
from llmtco.calibration.profile import write_profile
from llmtco.calibration.report import accuracy_document, moe_document
from llmtco.catalog import Catalog
from llmtco.catalog.records import Efficiency
from llmtco.errors import CalibrationError


def accuracy(
    catalog: Catalog,
    corpus: str | Path | None = None,
    loso: bool = True,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Predict every corpus row with the catalog's efficiency factors; optionally refit out of sample:
    leave one source out, leave one accelerator out, and the held-out 2026 collection.

    ``progress`` is called with the number of refits before the first one, then with 1 after each.
    """
    cases, unmapped = load_corpus(catalog, corpus)
    if not cases:
        raise CalibrationError("no corpus row could be mapped onto the catalog")
    effs = {e.id: e for e in catalog.efficiency}
    in_sample = predictions(cases, catalog, effs)
    # the published MoE serving rows (perf moe-check) belong to the committed corpus: with it, each split's
    # folds also predict the rows of their left-out group
    moe = checked(*moe_rows(catalog)) if corpus is None else None
    loso_preds = loao_preds = held = None
    moe_held: dict[str, list[CheckRow]] = {}
    if loso:
        from llmtco.calibration.ship import fold_fit

        refit = fold_fit(catalog, str(corpus or "published corpus"))
        splits = (("leave_one_source_out", source_key), ("leave_one_accelerator_out", accelerator_key))
        # groups of MoE rows no corpus fold leaves out (none of their rows map into the corpus): a refit each
        extra = {
            name: sorted({key(r) for r in moe.rows} - {key(c) for c in cases}) if moe else [] for name, key in splits
        }
        if progress is not None:
            progress(out_of_sample_refits(cases) + sum(len(g) for g in extra.values()))
        step = (lambda: progress(1)) if progress is not None else None

        def hook(name: str, key: Callable[[Sourced], str]) -> FoldHook | None:
            if moe is None:
                return None
            moe_held[name] = []
            groups = {key(r) for r in moe.rows}

            def on_fold(group: str, fold: dict[str, Efficiency]) -> None:
                if group in groups:
                    moe_held[name].extend(fold_rows(catalog, fold, _inside(key, group)))

            return on_fold

        loso_preds = leave_one_source_out(cases, catalog, refit, step, hook(*splits[0]))
        loao_preds = leave_one_accelerator_out(cases, catalog, refit, step, hook(*splits[1]))
        for name, key in splits:
            for group in extra[name]:
                fold = refit(cases, outside(key, group))
                moe_held[name].extend(fold_rows(catalog, fold, _inside(key, group)))
                if step is not None:
                    step()
        held = held_out_collection(cases, catalog, refit)
        if step is not None:
            step()
    name = str(corpus) if corpus else "the committed published corpus (llmtco/calibration/data)"
    doc = accuracy_document(in_sample, loso_preds, loao_preds, unmapped, name, held)
    if moe is not None:
        doc["moe_serving"] = moe_document(moe, {k: checked(v, moe.skipped) for k, v in moe_held.items()})
    return doc


def _inside(key: Callable[[Sourced], str], group: str) -> Callable[[Sourced], bool]:
    return lambda row: key(row) == group


def calibrate(
    catalog: Catalog,
    source: str | Path,
    output: str | Path,
    *,
    model: str | None = None,
    accelerator: str | None = None,
    gpus: int = 1,
    tp: int = 1,
    precision: str | None = None,
    engine: str | None = None,
) -> tuple[list[Efficiency], list[Case]]:
    """Fit efficiency factors to a corpus CSV or a vLLM/GuideLLM result file; write a profile overlay."""
    path = Path(source)
    if path.suffix.lower() == ".csv":
        cases, _ = load_corpus(catalog, path)
    else:
        missing = [flag for flag, v in (("--model", model), ("--accelerator", accelerator)) if v is None]
        if missing:
            raise CalibrationError(f"a load-generator result file does not say {' or '.join(missing)}: give them")
        assert model is not None and accelerator is not None
        catalog.models.get(model, "--model")
        catalog.accelerators.get(accelerator, "--accelerator")
        prec = precision or catalog.models.get(model).default_precision
        cases = read_result_file(
            path, model=model, accelerator=accelerator, gpus=gpus, tp=tp, precision=prec, engine=engine or "vllm"
        )
    if not cases:
        raise CalibrationError(f"{source}: no measurement could be used")
    # the shipped (already fitted) factors are the prior for the user's own data
    priors = {e.id: e for e in catalog.efficiency}
    fitted = fit_all(cases, catalog, priors, str(source))
    used = sorted({c.accelerator for c in cases})
    out = [e for k, e in fitted.items() if k in used or (k.split("@")[0] in used and e.fitted_on)]
    write_profile(
        out,
        output,
        header=f"# llmtco calibration profile fitted to {source}\n"
        "# Use it with `calibration: <this file>` in a scenario, or --catalog.\n",
    )
    return out, cases
