"""Engine settings a published benchmark ran with where they differ from the engine's defaults: the token
budget per step and how many decode steps pass between the scheduler's polls for new requests.

Both move TTFT: the budget sets how much of a prompt a step carries, and a scheduler that polls every k
decode steps leaves a new request waiting for the next poll, (k - 1) / 2 steps on average
(``sizing.serving.EngineShape.poll_steps``). SGLang's ``--scheduler-recv-interval k`` counts a decode step
1 and any other step 1000 toward k, so it receives after every prefill and every k decode steps
(``scheduler_recv_skipper.py``, below); ``--num-continuous-decode-steps k`` runs k decode steps without
scheduling in between. Each entry cites the launch script that set them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

_IMX = "https://github.com/InferenceMAX/InferenceMAX/blob/{commit}/benchmarks/{script}"
_SKIPPER = (
    "https://github.com/sgl-project/sglang/blob/70310f051068e3ea8dbaaecd4e408919cd431417/"
    "python/sglang/srt/managers/scheduler_recv_skipper.py"
)


@dataclass(frozen=True)
class EngineSettings:
    """The settings of one row's run, and the assumption text that names their source."""

    chunk_tokens: float
    """Token budget per step (SGLang ``--chunked-prefill-size``, TensorRT-LLM ``max_num_tokens``)."""
    poll_steps: float
    """Decode steps between the scheduler's polls for new requests (1: every step)."""
    why: str


@dataclass(frozen=True)
class Recipe:
    """One launch script of a benchmark family: the rows it ran and the settings it gave the engine."""

    family: str
    engine: str
    model: str
    accelerators: frozenset[str]
    precisions: frozenset[str]
    settings: Callable[[float, float], tuple[float, float]]
    """(clients, nominal input length) -> (token budget, poll steps)."""
    text: str
    """What the script sets, in its own flags."""
    script: str
    commit: str

    def source(self) -> str:
        return _IMX.format(commit=self.commit, script=self.script)


def _recv_interval(budget: float) -> Callable[[float, float], tuple[float, float]]:
    """InferenceMAX's SGLang DeepSeek recipes on B200: ``--scheduler-recv-interval`` 10, 30 from 16 clients."""
    return lambda clients, lin: (budget, 30.0 if clients >= 16 else 10.0)


def _rocm(clients: float, lin: float) -> tuple[float, float]:
    return 196608.0, 4.0


def _rocm_fp4(clients: float, lin: float) -> tuple[float, float]:
    return (32768.0 if lin == 8192 and clients > 32 else 196608.0), 4.0


_ROCM_TEXT = "--chunked-prefill-size 196608 --num-continuous-decode-steps 4"
RECIPES = (
    Recipe("inferencemax", "sglang", "deepseek-r1", frozenset({"b200"}), frozenset({"fp8"}), _recv_interval(32768.0),
           "--chunked-prefill-size 32768 --scheduler-recv-interval 10 (30 from 16 clients)",
           "dsr1_fp8_b200_slurm.sh", "eb055c76861ec7b819822d91a7036fdb3b32531a"),
    Recipe("inferencemax", "sglang", "deepseek-r1", frozenset({"b200"}), frozenset({"fp4"}), _recv_interval(16384.0),
           "--chunked-prefill-size 16384 --scheduler-recv-interval 10 (30 from 16 clients)",
           "dsr1_fp4_b200_slurm.sh", "706beced55b34345f008cb5a6f8b2f9b371783bf"),
    Recipe("inferencemax", "sglang", "deepseek-r1", frozenset({"h200"}), frozenset({"fp8"}),
           lambda clients, lin: (32768.0, 1.0), "--chunked-prefill-size 32768",
           "dsr1_fp8_h200_slurm.sh", "1e85373d68f6332772d54d231b1d2a40c9b5657d"),
    Recipe("inferencemax", "sglang", "deepseek-r1", frozenset({"mi300x"}), frozenset({"fp8"}), _rocm, _ROCM_TEXT,
           "dsr1_fp8_mi300x_slurm.sh", "1e85373d68f6332772d54d231b1d2a40c9b5657d"),
    Recipe("inferencemax", "sglang", "deepseek-r1", frozenset({"mi325x"}), frozenset({"fp8"}), _rocm, _ROCM_TEXT,
           "dsr1_fp8_mi325x_slurm.sh", "1e85373d68f6332772d54d231b1d2a40c9b5657d"),
    Recipe("inferencemax", "sglang", "deepseek-r1", frozenset({"mi355x"}), frozenset({"fp8"}), _rocm, _ROCM_TEXT,
           "dsr1_fp8_mi355x_slurm.sh", "eb055c76861ec7b819822d91a7036fdb3b32531a"),
    Recipe("inferencemax", "sglang", "deepseek-r1", frozenset({"mi355x"}), frozenset({"mxfp4", "fp4"}), _rocm_fp4,
           "--chunked-prefill-size 196608 (32768 at 8192/1024 above 32 clients) --num-continuous-decode-steps 4",
           "dsr1_fp4_mi355x_slurm.sh", "1765650b91d7389d428d5eb19fd64e3eaf54e7bc"),
    Recipe("inferencemax", "trtllm", "gpt-oss-120b", frozenset({"b200"}), frozenset({"mxfp4", "fp4"}),
           lambda clients, lin: (20000.0, 1.0), "--max_num_tokens 20000",
           "gptoss_fp4_b200_trt_slurm.sh", "cc9bed4ccc9fb6ac559ce0e187c2488a8d79be4b"),
)  # fmt: skip
"""Launch scripts whose settings differ from the engine defaults the model assumes (vLLM's gpt-oss scripts
set ``max-num-batched-tokens 8192``, the default, and are not listed)."""


def recipe_settings(
    family: str, engine: str, model: str | None, accelerator: str, precision: str, clients: float, lin: float
) -> EngineSettings | None:
    """The settings a row of ``family`` ran with (``clients``: its concurrency; ``lin``: its nominal input
    length), or None where no listed script ran it."""
    for r in RECIPES:
        ran = (r.family, r.engine, r.model) == (family, engine, model)
        if ran and accelerator in r.accelerators and precision in r.precisions:
            chunk, poll = r.settings(clients, lin)
            why = (
                f"engine settings from the launch script {r.source()} ({r.text}): token budget "
                f"{chunk:g}, a poll for new requests every {poll:g} decode step(s) ({_SKIPPER})"
            )
            return EngineSettings(chunk, poll, why)
    return None
