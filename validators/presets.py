"""Named configs. Judges default to OpenAI's API; point them elsewhere with overrides
(`--set judges.default.base_url=http://gpu-box:8000/v1 --set judges.default.model=...`)."""

from __future__ import annotations

UQ_STEPS = ["cycle_consistency", "fact_check", "correctness"]


def _uq(name: str, description: str, turns: int, voting: str) -> dict:
    return {
        "name": name,
        "description": description,
        "judges": {"default": {"kind": "openai", "model": "o3", "api_key_env": "OPENAI_API_KEY"}},
        "pipeline": {
            "type": "sequential",
            "steps": [
                {"type": "strategy", "strategy": s, "turns": turns, "turn_voting": voting}
                for s in UQ_STEPS
            ],
        },
    }


PRESETS: dict[str, dict] = {
    "uq-default": _uq(
        "uq-default",
        "UQ's default pipeline: cycle consistency -> fact check -> correctness, 1 turn, "
        "stop at the first rejection (2-4 calls).",
        1, "majority",
    ),
    "uq-recommended": _uq(
        "uq-recommended",
        "UQ's recommended run: the default pipeline with 3 reflection turns per step and a "
        "majority vote over the turns (at most 10 calls).",
        3, "majority",
    ),
    "uq-strict": _uq(
        "uq-strict",
        "UQ's strict run: the default pipeline with 3 reflection turns per step, every turn "
        "must accept (unanimous; at most 10 calls). Highest precision, most calls.",
        3, "unanimous",
    ),
    "quorum-cascade": {
        "name": "quorum-cascade",
        "description": (
            "A cheap judge screens (fact check -> correctness); only what it accepts, abstains "
            "on, splits on or scores between 0.2 and 0.8 goes to a strong judge, which must pass "
            "a fact check and three independent correctness samples unanimously. Aims at "
            "uq-strict precision with fewer calls (most answers are rejected cheaply)."
        ),
        "judges": {
            "cheap": {"kind": "openai", "model": "gpt-4.1-mini", "api_key_env": "OPENAI_API_KEY",
                      "family": "gpt"},
            "strong": {"kind": "openai", "model": "o3", "api_key_env": "OPENAI_API_KEY",
                       "family": "gpt"},
        },
        "pipeline": {
            "type": "cascade",
            "stages": [
                {"type": "sequential", "label": "screen", "steps": [
                    {"strategy": "fact_check", "judge": "cheap"},
                    {"strategy": "correctness", "judge": "cheap"},
                ]},
                {"type": "sequential", "label": "confirm", "steps": [
                    {"strategy": "fact_check", "judge": "strong"},
                    {"strategy": "correctness", "judge": "strong", "samples": 3,
                     "sample_voting": "unanimous"},
                ]},
            ],
            "escalate": {"decisions": ["abstain", "accept"], "on_disagreement": True,
                         "score_band": [0.2, 0.8]},
        },
    },
    "demo-local": {
        "name": "demo-local",
        "description": (
            "CPU demo: the tiny SmolLM2-135M model behind a local llama.cpp OpenAI-compatible "
            "server (what `make demo` starts at 127.0.0.1:8001), vanilla check. Its verdicts "
            "are plumbing, not judgement."
        ),
        "judges": {"default": {"kind": "openai", "model": "smollm2", "profile": "llamacpp",
                               "base_url": "http://127.0.0.1:8001/v1", "timeout_s": 120,
                               "max_concurrency": 2,
                               "params": {"max_tokens": 48, "temperature": 0.0, "seed": 0}}},
        # A reply without a verdict is an abstention at once: asking this tiny model again
        # rarely helps and doubles the CPU the demo spends on each answer.
        "defaults": {"parse_retries": 0},
        "pipeline": "vanilla",
    },
    "demo-inprocess": {
        "name": "demo-inprocess",
        "description": (
            "The same tiny SmolLM2-135M judge in-process (llama.cpp bindings, extra 'llm-local'), "
            "no server. Its verdicts are plumbing, not judgement."
        ),
        "judges": {"default": {"kind": "llama_cpp", "model": "smollm2", "n_ctx": 2048,
                               "params": {"max_tokens": 48, "temperature": 0.0, "seed": 0}}},
        "defaults": {"parse_retries": 1},
        "pipeline": "vanilla",
    },
}  # fmt: skip
