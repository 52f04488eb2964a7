"""The serving layer's per-stack step time of MoE stacks (``calibration.stack_fit.fit_stack_step_ms``)."""

import pytest

from llmtco.calibration.stack_fit import StepRow, fit_stack_step_ms, stack_step_for
from llmtco.catalog import Catalog


def _row(acc: str, engine: str, prec: str, step_ms: float, extra_ms: float) -> StepRow:
    """A row whose measured throughput is the physics' with ``extra_ms`` on every step."""
    predicted = 1000.0 / step_ms
    return StepRow(acc, engine, prec, predicted * step_ms / (step_ms + extra_ms), predicted, step_ms)


def test_corrected_throughput_scales_as_one_over_tpot() -> None:
    r = StepRow("b200", "sglang", "fp8", published=100.0, predicted=200.0, predicted_step_ms=10.0)
    assert r.corrected(0.0) == 200.0
    assert r.corrected(10.0) == pytest.approx(100.0)


def test_each_stack_recovers_its_own_step_time() -> None:
    rows = [_row("b200", "sglang", "fp8", t, 5.0) for t in (4.0, 15.0, 25.0)]
    rows += [_row("mi300x", "sglang", "fp8", t, 25.0) for t in (5.0, 20.0, 30.0)]
    nodes = fit_stack_step_ms(rows)
    # the pull toward @sglang (about 13 ms) moves each by under a millisecond
    assert nodes["b200@sglang"].stack_step_ms == pytest.approx(5.0, abs=1.0)
    assert nodes["mi300x@sglang"].stack_step_ms == pytest.approx(25.0, abs=1.5)
    assert nodes["b200@sglang"].stack_step_ms > 5.0 and nodes["mi300x@sglang"].stack_step_ms < 25.0
    assert nodes["b200@sglang"].rows == 3 and nodes["b200@sglang"].answered == "b200@sglang"


def test_sparse_stack_inherits_its_parent() -> None:
    rows = [_row("b200", "sglang", "fp8", t, 5.0) for t in (4.0, 15.0, 25.0)]
    rows += [_row("h200", "sglang", "fp8", t, 9.0) for t in (5.0, 20.0)]  # two rows: below SERVING_MIN_ROWS
    nodes = fit_stack_step_ms(rows)
    h200 = stack_step_for(nodes, "h200", "sglang", "fp8")
    # @sglang holds the same rows as generic (one engine), so generic answers both
    assert h200.rows == 0 and h200.answered == "generic" and nodes["@sglang"].answered == "generic"
    assert h200.stack_step_ms == nodes["@sglang"].stack_step_ms
    # an engine never seen is answered by the generic node
    assert stack_step_for(nodes, "h200", "vllm", "fp8").answered == "generic"


def test_no_rows_means_pure_physics() -> None:
    nodes = fit_stack_step_ms([])
    assert nodes["generic"].stack_step_ms == 0.0 and nodes["generic"].answered == "prior"


def test_records_get_their_nodes_stack_step_and_say_which_node_answered() -> None:
    from llmtco.calibration.stack_step import with_stack_steps
    from llmtco.catalog import load_catalog

    cat = load_catalog()
    effs = {k: cat.efficiency.get(k) for k in ("b200", "b200@trtllm", "mi300x")}
    rows = [_row("b200", "sglang", "fp8", t, 5.0) for t in (4.0, 15.0, 25.0)]
    rows += [_row("mi300x", "sglang", "fp8", t, 25.0) for t in (5.0, 20.0, 30.0)]
    out = with_stack_steps(effs, rows, "six test rows")
    # a record without an engine, or with an engine that has no rows, gets the generic node
    generic = fit_stack_step_ms(rows)["generic"].stack_step_ms
    assert out["b200"].stack_step_ms == out["b200@trtllm"].stack_step_ms == generic
    assert "stack: " in out["b200"].notes and "from generic (6 MoE decode rows)" in out["b200"].notes
    assert "stack_step_ms fitted on six test rows" in out["b200"].source
    # the tree's accelerator@engine nodes get records: MI300X SGLang's own step time, on MI300X physics
    mi = out["mi300x@sglang"]
    assert mi.stack_step_ms == pytest.approx(25.0, abs=1.5) and "from mi300x@sglang (3 MoE decode rows)" in mi.notes
    assert mi.decode_bandwidth_efficiency == effs["mi300x"].decode_bandwidth_efficiency
    # restamping replaces the stack part instead of appending a second one
    again = with_stack_steps(out, rows, "six test rows")
    assert again["mi300x@sglang"].notes.count("stack: ") == 1
    assert again["mi300x@sglang"].source.count("stack_step_ms fitted") == 1


def test_the_shipped_records_are_the_fit_of_the_shipped_physics() -> None:
    """The bundled efficiency.yaml carries what ``calibration.ship`` fits: the stack step time of each record
    is the fit on the published MoE decode rows predicted with the bundled factors' physics."""
    from llmtco.calibration.stack_step import moe_step_rows, with_stack_steps
    from llmtco.catalog import load_catalog

    cat = load_catalog()
    effs = dict(cat.efficiency.records)
    rows = moe_step_rows(cat, effs)
    assert len(rows) >= 30
    refit = with_stack_steps(effs, rows, "x")
    for key in ("b200", "b200@sglang@fp8", "mi300x@sglang", "h200@trtllm", "mi355x@atom"):
        assert cat.efficiency.get(key).stack_step_ms == pytest.approx(refit[key].stack_step_ms, abs=0.01), key
    assert "measurements-2026.csv" in cat.efficiency.get("mi300x@sglang").source


def test_each_out_of_sample_fold_fits_the_stack_time_on_rows_outside_it(catalog: Catalog) -> None:
    """A split refits what the shipped records carry, the MoE stack time included, from the fold's rows
    only: leaving InferenceMAX out also leaves out its DeepSeek decode rows."""
    from llmtco.calibration.corpus import load_corpus
    from llmtco.calibration.fit import held_out_collection, leave_one_source_out, publisher
    from llmtco.calibration.moe_rows import moe_rows

    cases, _ = load_corpus(catalog)
    effs = {e.id: e for e in catalog.efficiency}
    keeps = []

    def refit(train, keep):  # type: ignore[no-untyped-def]
        keeps.append(keep)
        return effs

    leave_one_source_out(cases, catalog, refit)
    groups = sorted({publisher(c.family) for c in cases})
    rows, _ = moe_rows(catalog)
    keep = keeps[groups.index("inferencemax")]
    assert not any(keep(r) for r in rows if r.family == "inferencemax")
    assert any(keep(r) for r in rows if r.family == "trtllm-dsr1-blog")
    held_out_collection(cases, catalog, refit)
    assert not any(keeps[-1](r) for r in rows)  # every MoE decode row is in the held-out collection
