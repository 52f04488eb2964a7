"""llmtco perf frontier: table, JSON, errors that name the flag."""

import json

import pytest

from llmtco.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_frontier_json_is_a_pareto_curve_with_costs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "perf", "frontier", "--model", "deepseek-r1", "--accelerator", "h200", "--format", "json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema_version"] == 1 and doc["server"] == "hgx-h200-8" and doc["domain_gpus"] == 8
    pts = doc["points"]
    assert len(pts) >= 5 and doc["considered"] > len(pts)
    users = [p["tokens_per_s_per_user"] for p in pts]
    gpus = [p["output_tokens_per_s_per_gpu"] for p in pts]
    # Pareto: faster per user means fewer tokens per GPU
    assert users == sorted(users) and gpus == sorted(gpus, reverse=True)
    for p in pts:
        assert p["cost_usd_per_mtok"] == pytest.approx(
            doc["price_usd_per_gpu_h"] / (p["output_tokens_per_s_per_gpu"] * 3600) * 1e6
        )
    assert doc["price_basis"].startswith("cloud on-demand")
    # the throughput end uses expert parallelism, not plain TP8
    assert pts[0]["layout"].startswith("EP")


def test_frontier_on_an_nvl72_rack_and_onprem_price(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "perf", "frontier", "--model", "deepseek-r1", "--accelerator", "gb200", "--server", "gb200-nvl72",
        "--precision", "fp4", "--price", "onprem",
    )  # fmt: skip
    assert code == 0, err
    assert "scale-up domain 72 GPUs" in out and "on-prem: gb200-nvl72" in out and "amortised over" in out


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (("--accelerator", "nope"), "--accelerator"),
        (("--accelerator", "h200", "--precision", "fp3"), "--precision"),
        (("--accelerator", "h200", "--server", "dgx-b200-8"), "--server"),
        (("--accelerator", "h200", "--price", "cheap"), "--price"),
        (("--accelerator", "rtx-4090", "--max-gpus", "2"), "--model"),
        (("--accelerator", "h200", "--ttft-ms", "1"), "--ttft-ms"),
    ],
)
def test_frontier_errors_name_the_flag(capsys: pytest.CaptureFixture[str], args: tuple[str, ...], flag: str) -> None:
    code, _, err = run(capsys, "perf", "frontier", "--model", "deepseek-r1", *args)
    assert code == 2
    assert flag in err and "Traceback" not in err


def test_moe_check_prints_errors_and_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "perf", "moe-check", "--in-sample")
    assert code == 0, err
    assert "sgl-ep-dsv3-h100-decode-b256" in out and "published ratio vs mi300x" in out and "skipped:" in out


def test_frontier_of_a_model_read_from_its_config_json(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.catalog.test_hf_config import CONFIGS  # the bundled config files

    config = next(p for p in CONFIGS.glob("*.json") if "Qwen3-235B" in p.name)
    code, out, err = run(
        capsys, "perf", "frontier", "--model", str(config), "--accelerator", "h100-sxm", "--precision", "fp8",
        "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["model"] == str(config) and doc["points"]


def test_the_shipped_stack_step_slows_the_rocm_frontier(capsys: pytest.CaptureFixture[str]) -> None:
    """An MoE model's frontier carries the shipped stack_step_ms of its accelerator@engine@precision and says
    which node answered; --no-stack-step gives the fitted factors alone."""
    args = ("perf", "frontier", "--model", "deepseek-r1", "--accelerator", "mi300x", "--precision", "fp8", "-f", "json")
    code, out, err = run(capsys, *args, "--engine", "sglang", "--no-stack-step")
    assert code == 0, err
    plain = json.loads(out)
    code, out, err = run(capsys, *args, "--engine", "sglang")
    assert code == 0, err
    shipped = json.loads(out)
    assert plain["stack_step"] == {} and shipped["stack_step"]["fp8"].startswith("mi300x@sglang: ")
    assert "MoE decode rows" in shipped["stack_step"]["fp8"]
    # with the 2026 DeepSeek rows in the fit corpus, mi300x@sglang's serving factors carry ROCm SGLang's slower
    # steps and the stack time left on top is small: the shipped frontier is never faster than the physics
    fastest = max(p["tokens_per_s_per_user"] for p in plain["points"])
    assert max(p["tokens_per_s_per_user"] for p in shipped["points"]) <= fastest * 1.001
    # a dense model's frontier has no stack step time
    code, out, err = run(capsys, "perf", "frontier", "--model", "llama-3.1-8b", "--accelerator", "mi300x", "-f", "json")
    assert code == 0, err
    assert json.loads(out)["stack_step"] == {}
