"""analysis.frontier: Pareto filter and the chart the HTML report embeds."""

from llmtco.analysis.frontier import FrontierPoint, frontier, pareto
from llmtco.catalog import load_catalog
from llmtco.report.charts import frontier_chart
from llmtco.report.frontier import frontier_dict


def _p(user: float, gpu: float) -> FrontierPoint:
    return FrontierPoint("fp8", "TP8", False, None, 1.0, 8, gpu, user, 1e3 / user, 100.0, 1.0)


def test_pareto_drops_dominated_points() -> None:
    pts = [_p(10, 100), _p(20, 90), _p(15, 80), _p(30, 50), _p(30, 40)]
    kept = pareto(pts)
    assert [(p.tokens_per_s_per_user, p.output_tokens_per_s_per_gpu) for p in kept] == [(10, 100), (20, 90), (30, 50)]


def test_b200_frontier_beats_mi300x_and_has_a_chart() -> None:
    cat = load_catalog()
    b200 = frontier(cat, "deepseek-r1", "b200", precisions=["fp8"])
    mi = frontier(cat, "deepseek-r1", "mi300x", precisions=["fp8"])
    assert max(p.output_tokens_per_s_per_gpu for p in b200.points) > 0
    assert max(p.tokens_per_s_per_user for p in b200.points) > max(p.tokens_per_s_per_user for p in mi.points)
    spec = frontier_chart(frontier_dict(b200))
    assert spec["layer"][0]["mark"]["type"] == "line"
    assert len(spec["datasets"] if "datasets" in spec else spec["data"]["values"]) > 0


def test_html_report_embeds_the_frontier_chart() -> None:
    from llmtco import evaluate, load_scenario
    from llmtco.report.html import render_html
    from tests.conftest import EXAMPLES

    sc, cat = load_scenario(EXAMPLES[0])
    doc = frontier_dict(frontier(cat, "deepseek-r1", "h200", precisions=["fp8"]))
    html = render_html(evaluate(sc, cat), frontiers=[doc])
    assert 'id="chart-frontier-h200"' in html and "throughput vs interactivity" in html
