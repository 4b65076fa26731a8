"""GPU smoke check for the reward-model scorer (validators.scorers.reward_model).

    python bench/gpu_smoke.py

Builds a tiny randomly initialised reward model (nothing is downloaded), scores the same
(question, answer) pairs on CPU and on CUDA through a reward_model pipeline node, checks
the two agree, and prints pairs/s on each device and their ratio. Skips (exit 0) when
torch, transformers or a CUDA device is missing. Never fails on a time.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import benchenv  # noqa: E402
from benchenv import Figure  # noqa: E402


def skip(reason: str) -> int:
    print(f"SKIP gpu_smoke: {reason}")
    return 0


def tiny_model(transformers, torch):
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(500)]
    folder = tempfile.mkdtemp()
    Path(folder, "vocab.txt").write_text("\n".join(words))
    tokenizer = transformers.BertTokenizer(str(Path(folder, "vocab.txt")))
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=len(words), hidden_size=256, num_hidden_layers=4,
                                     num_attention_heads=4, intermediate_size=1024, num_labels=1)
    return tokenizer, transformers.BertForSequenceClassification(config)


def main() -> int:
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None:
        return skip("torch/transformers not installed (pip install -e '.[gpu]')")
    import torch
    import transformers

    if not torch.cuda.is_available():
        return skip("no CUDA device")

    import validators
    from validators.scorers import register_scorer
    from validators.scorers.reward_model import RewardModelScorer

    tokenizer, module = tiny_model(transformers, torch)
    cpu = RewardModelScorer("tiny", device="cpu", dtype="float32", tokenizer=tokenizer,
                            module=module, max_length=512)  # fmt: skip
    _, module_gpu = tiny_model(transformers, torch)
    module_gpu.load_state_dict(module.state_dict())
    gpu = RewardModelScorer("tiny", device="cuda", dtype="float32", tokenizer=tokenizer,
                            module=module_gpu, max_length=512)  # fmt: skip
    pairs = [({"title": f"w{i}", "body": " ".join(f"w{(i * 7 + j) % 500}" for j in range(200))},
              " ".join(f"w{(i * 13 + j) % 500}" for j in range(250))) for i in range(64)]

    def rate(scorer) -> tuple[float, list[float]]:
        for q, a in pairs[:3]:  # warm up
            scorer.score(q, a)
        if scorer.device == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        values = [scorer.score(q, a) for q, a in pairs]
        return len(pairs) / (time.perf_counter() - started), values

    cpu_rate, cpu_values = rate(cpu)
    gpu_rate, gpu_values = rate(gpu)
    worst = max(abs(a - b) for a, b in zip(cpu_values, gpu_values, strict=True))
    print(f"device: {torch.cuda.get_device_name(0)}")
    print(f"reward model pairs/s: cpu {cpu_rate:.1f}, cuda {gpu_rate:.1f}, "
          f"ratio {gpu_rate / cpu_rate:.1f}x; max |cpu - cuda| score {worst:.2e}")

    register_scorer("tiny-cuda", gpu)
    config = {"pipeline": {"type": "reward_model", "model": "tiny-cuda", "threshold": 0.5}}
    verdict = validators.judge(pairs[0][0], pairs[0][1], config)
    print(f"pipeline verdict on cuda: {verdict['decision']} score {verdict['score']:.3f} "
          f"(device {verdict['steps']['device']})")
    ok = worst < 1e-3 and verdict["steps"]["device"] == "cuda"
    print("OK" if ok else "MISMATCH")
    if ok:
        benchenv.report("GPU scorer", [Figure(f"reward model pairs/s on CUDA ({torch.cuda.get_device_name(0)})",
                                              gpu_rate, "same pairs on this machine's CPU/s", cpu_rate)])  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
