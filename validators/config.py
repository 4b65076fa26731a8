"""Validator configs: JSON data with a schema, clear errors, and a canonical hash.

A config names its judges (backends) and a pipeline of nodes:

    strategy    one UQ strategy with its decorators (turns + vote, samples + vote)
    sequential  steps in order, stop at the first rejection
    panel       several judges (ideally different model families), one vote each
    cascade     stages; a later stage runs only when the earlier one is unsure
    reward_model  a reward-model scorer (transformers; CUDA when present)

Shorthands: a string is a strategy node with defaults, a list is a sequential node. `load`
expands them and inlines every default, so equal behaviour gives an equal `config_hash`.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import jsonschema

from ._version import __version__
from .presets import PRESETS
from .prompts import BASE_CALLS, STRATEGIES

SCHEMA_VERSION = 1
# Judge keys that change how a judge is reached, not what it says: outside the hash.
TRANSPORT_KEYS = frozenset({
    "base_url", "api_key_env", "timeout_s", "connect_timeout_s", "max_retries",
    "backoff_base_s", "backoff_max_s", "max_concurrency", "n_threads",
})  # fmt: skip
COSMETIC_KEYS = frozenset({"name", "description", "label"})

PARAMS_SCHEMA = {
    "type": "object",
    "properties": {
        "temperature": {"type": "number", "minimum": 0, "maximum": 2},
        "top_p": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "max_tokens": {"type": "integer", "minimum": 1},
        "seed": {"type": "integer"},
        "reasoning_effort": {"enum": ["minimal", "low", "medium", "high"]},
        "stop": {"type": "array", "items": {"type": "string"}, "maxItems": 4},
    },
    "additionalProperties": False,
}
CAPABILITIES_SCHEMA = {
    "type": "object",
    "properties": {
        **{k: {"type": "boolean"} for k in (
            "n", "logprobs", "json_schema", "json_object", "temperature", "top_p", "seed",
            "reasoning_effort")},
        "max_tokens_param": {"enum": ["max_tokens", "max_completion_tokens"]},
    },
    "additionalProperties": False,
}  # fmt: skip
JUDGE_SCHEMA = {
    "type": "object",
    "required": ["model"],
    "properties": {
        "kind": {"enum": ["openai", "llama_cpp", "scripted"]},
        "model": {"type": "string", "minLength": 1},
        "family": {"type": "string", "description": "model family, for panels (gpt, qwen, ...)"},
        "base_url": {"type": ["string", "null"], "pattern": "^https?://"},
        "api_key_env": {"type": ["string", "null"], "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
        "profile": {"enum": ["auto", "openai", "openai-reasoning", "vllm", "sglang", "llamacpp",
                             "generic", "scripted"]},
        "capabilities": CAPABILITIES_SCHEMA,
        "timeout_s": {"type": "number", "exclusiveMinimum": 0},
        "connect_timeout_s": {"type": "number", "exclusiveMinimum": 0},
        "max_retries": {"type": "integer", "minimum": 0, "maximum": 20},
        "backoff_base_s": {"type": "number", "minimum": 0},
        "backoff_max_s": {"type": "number", "minimum": 0},
        "max_concurrency": {"type": "integer", "minimum": 1, "maximum": 4096},
        "params": PARAMS_SCHEMA,
        "extra_body": {"type": "object"},
        "n_ctx": {"type": "integer", "minimum": 256},
        "n_threads": {"type": ["integer", "null"], "minimum": 1},
        "rules": {"type": "array", "items": {
            "type": "object", "required": ["match", "reply"],
            "properties": {"match": {"type": "string"},
                           "reply": {"type": ["string", "object", "array"]}}}},
        "default": {"type": ["string", "object"]},
        "script": {"type": "array"},
    },
    "additionalProperties": False,
}  # fmt: skip
VOTING = {"enum": ["majority", "unanimous"]}
NODE_SCHEMAS: dict[str, dict[str, Any]] = {
    "strategy": {
        "type": "object",
        "required": ["strategy"],
        "properties": {
            "type": {"const": "strategy"},
            "label": {"type": "string"},
            "strategy": {"enum": list(STRATEGIES)},
            "judge": {"type": "string"},
            "turns": {"type": "integer", "minimum": 1, "maximum": 10},
            "turn_voting": VOTING,
            "samples": {"type": "integer", "minimum": 1, "maximum": 32},
            "sample_voting": VOTING,
            "verdict_format": {"enum": ["tag", "json"]},
            "parse_retries": {"type": "integer", "minimum": 0, "maximum": 5},
            "use_reference": {"type": "boolean"},
            "logprobs": {"type": "boolean"},
            "batch_samples": {"type": "boolean"},
            "params": PARAMS_SCHEMA,
        },
        "additionalProperties": False,
    },
    "sequential": {
        "type": "object",
        "required": ["steps"],
        "properties": {"type": {"const": "sequential"}, "label": {"type": "string"},
                       "steps": {"type": "array", "minItems": 1}},
        "additionalProperties": False,
    },
    "panel": {
        "type": "object",
        "required": ["members"],
        "properties": {"type": {"const": "panel"}, "label": {"type": "string"},
                       "members": {"type": "array", "minItems": 2},
                       "voting": {"enum": ["majority", "unanimous", "mean"]},
                       "threshold": {"type": "number", "minimum": 0, "maximum": 1}},
        "additionalProperties": False,
    },
    "cascade": {
        "type": "object",
        "required": ["stages"],
        "properties": {
            "type": {"const": "cascade"}, "label": {"type": "string"},
            "stages": {"type": "array", "minItems": 2},
            "escalate": {
                "type": "object",
                "properties": {
                    "decisions": {"type": "array", "uniqueItems": True,
                                  "items": {"enum": ["accept", "reject", "abstain"]}},
                    "on_disagreement": {"type": "boolean"},
                    "score_band": {"type": "array", "minItems": 2, "maxItems": 2,
                                   "items": {"type": "number", "minimum": 0, "maximum": 1}},
                },
                "additionalProperties": False,
            },
        },
        "additionalProperties": False,
    },
    "reward_model": {
        "type": "object",
        "required": ["model"],
        "properties": {"type": {"const": "reward_model"}, "label": {"type": "string"},
                       "model": {"type": "string", "minLength": 1},
                       "threshold": {"type": "number", "minimum": 0, "maximum": 1},
                       "device": {"enum": ["auto", "cpu", "cuda"]},
                       "max_length": {"type": "integer", "minimum": 16},
                       "dtype": {"enum": ["auto", "float32", "float16", "bfloat16"]}},
        "additionalProperties": False,
    },
}  # fmt: skip
DEFAULTS_SCHEMA = {
    "type": "object",
    "properties": {
        "verdict_format": {"enum": ["tag", "json"]},
        "parse_retries": {"type": "integer", "minimum": 0, "maximum": 5},
        "use_reference": {"type": "boolean"},
        "logprobs": {"type": "boolean"},
        "batch_samples": {"type": "boolean"},
        "params": PARAMS_SCHEMA,
    },
    "additionalProperties": False,
}
TOP_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Quorum validator config",
    "type": "object",
    "required": ["pipeline"],
    "properties": {
        "version": {"const": SCHEMA_VERSION},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "judges": {"type": "object",
                   "additionalProperties": JUDGE_SCHEMA,
                   "propertyNames": {"pattern": "^[A-Za-z0-9_.-]+$"}},
        "defaults": DEFAULTS_SCHEMA,
        "pipeline": {"type": ["string", "array", "object"]},
    },
    "additionalProperties": False,
}  # fmt: skip

BUILTIN_DEFAULTS = {
    "verdict_format": "tag",
    "parse_retries": 2,
    "use_reference": True,
    "logprobs": True,
    "batch_samples": True,
    "params": {},
}


def json_schema() -> dict[str, Any]:
    """The whole schema as one JSON Schema document (for docs and editors)."""
    schema = copy.deepcopy(TOP_SCHEMA)
    node_ref = {"$ref": "#/$defs/node"}
    defs = {f"{name}_node": copy.deepcopy(s) for name, s in NODE_SCHEMAS.items()}
    defs["sequential_node"]["properties"]["steps"]["items"] = node_ref
    defs["panel_node"]["properties"]["members"]["items"] = node_ref
    defs["cascade_node"]["properties"]["stages"]["items"] = node_ref
    defs["node"] = {"oneOf": [{"type": "string", "enum": list(STRATEGIES)},
                              {"type": "array", "items": node_ref},
                              *({"$ref": f"#/$defs/{n}_node"} for n in NODE_SCHEMAS)]}  # fmt: skip
    schema["$defs"] = defs
    schema["properties"]["pipeline"] = node_ref
    return schema


class ConfigError(ValueError):
    """An invalid config; `errors` lists every problem as 'path: message'."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("invalid validator config:\n" + "\n".join(f"  - {e}" for e in errors))


def _path(base: str, parts) -> str:
    out = base
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(config)"


def _schema_errors(instance: Any, schema: dict, base: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    errors = []
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path))):
        message = err.message
        if err.validator == "additionalProperties" and "api_key" in str(err.instance):
            message += " (never put a key in a config: name its environment variable in api_key_env)"
        errors.append(f"{_path(base, err.absolute_path)}: {message}")
    return errors


def _node_type(node: Any) -> str | None:
    if isinstance(node, str):
        return "strategy"
    if isinstance(node, list):
        return "sequential"
    if isinstance(node, dict):
        if "type" in node:
            return node["type"]
        for key, kind in (("strategy", "strategy"), ("steps", "sequential"),
                          ("members", "panel"), ("stages", "cascade")):  # fmt: skip
            if key in node:
                return kind
    return None


def _normalize_node(node: Any, path: str, judges: dict, defaults: dict, errors: list[str]):
    kind = _node_type(node)
    if kind is None or kind not in NODE_SCHEMAS:
        known = ", ".join(NODE_SCHEMAS)
        errors.append(f"{path}: not a pipeline node (a strategy name, a list of steps, or an "
                      f"object with type one of: {known}); got {json.dumps(node)[:80]}")  # fmt: skip
        return None
    if isinstance(node, str):
        if node not in STRATEGIES:
            errors.append(f"{path}: unknown strategy {node!r}; known: {', '.join(STRATEGIES)}")
            return None
        node = {"strategy": node}
    elif isinstance(node, list):
        node = {"steps": node}
    node = dict(node)
    node.setdefault("type", kind)
    local = _schema_errors(node, NODE_SCHEMAS[kind], path)
    if local:
        errors.extend(local)
        return None
    if kind == "strategy":
        judge = node.get("judge", "default")
        if judge not in judges:
            errors.append(f"{path}.judge: no judge named {judge!r} (judges: {', '.join(judges) or 'none defined'})")
            return None
        params = {**judges[judge].get("params", {}), **defaults["params"], **node.get("params", {})}
        return {
            "type": "strategy",
            **({"label": node["label"]} if "label" in node else {}),
            "strategy": node["strategy"],
            "judge": judge,
            "turns": node.get("turns", 1),
            "turn_voting": node.get("turn_voting", "majority"),
            "samples": node.get("samples", 1),
            "sample_voting": node.get("sample_voting", "majority"),
            "verdict_format": node.get("verdict_format", defaults["verdict_format"]),
            "parse_retries": node.get("parse_retries", defaults["parse_retries"]),
            "use_reference": node.get("use_reference", defaults["use_reference"]),
            "logprobs": node.get("logprobs", defaults["logprobs"]),
            "batch_samples": node.get("batch_samples", defaults["batch_samples"]),
            "params": dict(sorted(params.items())),
        }
    if kind == "reward_model":
        return {"type": "reward_model", **({"label": node["label"]} if "label" in node else {}),
                "model": node["model"], "threshold": node.get("threshold", 0.5),
                "device": node.get("device", "auto"), "max_length": node.get("max_length", 4096),
                "dtype": node.get("dtype", "auto")}  # fmt: skip
    key = {"sequential": "steps", "panel": "members", "cascade": "stages"}[kind]
    children = [
        _normalize_node(child, f"{path}.{key}[{i}]", judges, defaults, errors)
        for i, child in enumerate(node[key])
    ]
    out = {"type": kind, **({"label": node["label"]} if "label" in node else {}), key: children}
    if kind == "panel":
        out["voting"] = node.get("voting", "majority")
        out["threshold"] = node.get("threshold", 0.5)
    if kind == "cascade":
        esc = node.get("escalate", {})
        band = esc.get("score_band", [0.2, 0.8])
        if band[0] > band[1]:
            errors.append(f"{path}.escalate.score_band: low {band[0]} is above high {band[1]}")
        out["escalate"] = {
            "decisions": sorted(esc.get("decisions", ["abstain"])),
            "on_disagreement": esc.get("on_disagreement", True),
            "score_band": list(band),
        }
    return out


def _resolve_source(source: Any) -> tuple[dict[str, Any], str | None]:
    """A config from a dict, a JSON string, a preset name or a path to a JSON file."""
    if isinstance(source, dict):
        return copy.deepcopy(source), None
    if not isinstance(source, str | os.PathLike):
        raise ConfigError([f"(config): expected a dict, JSON text, preset name or file path, "
                           f"got {type(source).__name__}"])  # fmt: skip
    text = str(source)
    if text in PRESETS:
        return copy.deepcopy(PRESETS[text]), text
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text), None
        except ValueError as exc:
            raise ConfigError([f"(config): not valid JSON: {exc}"]) from exc
    path = Path(text)
    if path.exists():
        try:
            return json.loads(path.read_text(encoding="utf-8")), None
        except ValueError as exc:
            raise ConfigError([f"{path}: not valid JSON: {exc}"]) from exc
    raise ConfigError([f"(config): {text!r} is neither a preset ({', '.join(PRESETS)}) "
                       "nor a JSON file"])  # fmt: skip


def set_path(config: dict[str, Any], dotted: str, value: Any) -> None:
    """Override one value: `judges.default.model`, `pipeline.steps.0.turns` (value parsed as
    JSON when it parses, else taken as a string)."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    parts = dotted.split(".")
    target: Any = config
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target.setdefault(part, {})
    last = parts[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value


def load(source: Any, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate and normalise a config (dict, JSON text, preset name or file path).

    Raises `ConfigError` listing every problem with its path."""
    raw, preset = _resolve_source(source)
    if not isinstance(raw, dict):
        raise ConfigError([f"(config): expected a JSON object, got {type(raw).__name__}"])
    for dotted, value in (overrides or {}).items():
        try:
            set_path(raw, dotted, value)
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise ConfigError([f"{dotted}: cannot override ({exc})"]) from exc
    errors = _schema_errors(raw, TOP_SCHEMA, "")
    if errors:
        raise ConfigError(errors)
    judges = {name: dict(spec) for name, spec in raw.get("judges", {}).items()}
    for _name, spec in judges.items():
        spec.setdefault("kind", "openai")
        if spec["kind"] == "openai":
            spec.setdefault("api_key_env", "OPENAI_API_KEY")
            spec.setdefault("profile", "auto")
    defaults = {**BUILTIN_DEFAULTS, **raw.get("defaults", {})}
    pipeline = _normalize_node(raw["pipeline"], "pipeline", judges, defaults, errors)
    if errors:
        raise ConfigError(errors)
    out = {"version": SCHEMA_VERSION}
    if raw.get("name") or preset:
        out["name"] = raw.get("name") or preset
    if raw.get("description"):
        out["description"] = raw["description"]
    out["judges"] = judges
    out["defaults"] = defaults
    out["pipeline"] = pipeline
    return out


def _used_judges(node: dict[str, Any], acc: set[str]) -> set[str]:
    if node["type"] == "strategy":
        acc.add(node["judge"])
    for key in ("steps", "members", "stages"):
        for child in node.get(key, []):
            _used_judges(child, acc)
    return acc


def _strip_cosmetic(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_cosmetic(v) for k, v in node.items() if k not in COSMETIC_KEYS}
    if isinstance(node, list):
        return [_strip_cosmetic(v) for v in node]
    return node


def canonical(config: dict[str, Any]) -> str:
    """The canonical JSON text that identifies a (loaded) config's behaviour."""
    config = load(config)
    used = _used_judges(config["pipeline"], set())
    judges = {
        name: {k: v for k, v in spec.items() if k not in TRANSPORT_KEYS and k != "params"}
        for name, spec in config["judges"].items() if name in used
    }  # fmt: skip
    material = {"version": config["version"], "judges": judges,
                "pipeline": _strip_cosmetic(config["pipeline"])}  # fmt: skip
    return json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def config_hash(config: Any) -> str:
    """sha256 of the canonical form: the identity results are stored against."""
    loaded = load(config)
    return hashlib.sha256(canonical(loaded).encode("utf-8")).hexdigest()


# ---- call counts and explanation -------------------------------------------------------


def call_bounds(node: dict[str, Any], *, with_retries: bool = False) -> tuple[int, int]:
    """(fewest, most) judge calls a node can make. Retries of unparseable output are
    included in the maximum only when asked."""
    kind = node["type"]
    if kind == "strategy":
        base = BASE_CALLS[node["strategy"]]
        verdicts = node["turns"]
        calls = base + node["turns"] - 1
        extra = verdicts * node["parse_retries"] if with_retries else 0
        return node["samples"] * calls, node["samples"] * (calls + extra)
    if kind == "reward_model":
        return 0, 0
    if kind == "sequential":
        bounds = [call_bounds(c, with_retries=with_retries) for c in node["steps"]]
        return bounds[0][0], sum(b[1] for b in bounds)
    if kind == "panel":
        bounds = [call_bounds(c, with_retries=with_retries) for c in node["members"]]
        return sum(b[0] for b in bounds), sum(b[1] for b in bounds)
    bounds = [call_bounds(c, with_retries=with_retries) for c in node["stages"]]
    return bounds[0][0], sum(b[1] for b in bounds)


def _family(node: dict[str, Any], config: dict[str, Any]) -> str:
    if node["type"] != "strategy":
        return node["type"]
    judge = config["judges"][node["judge"]]
    return judge.get("family") or judge["model"].rsplit("/", 1)[-1].split("-")[0].lower()


def _describe(node: dict[str, Any], config: dict[str, Any], indent: int) -> list[str]:
    pad = "  " * indent
    lo, hi = call_bounds(node)
    span = f"{lo}" if lo == hi else f"{lo}-{hi}"
    kind = node["type"]
    label = f" '{node['label']}'" if node.get("label") else ""
    if kind == "strategy":
        judge = config["judges"][node["judge"]]
        deco = []
        if node["turns"] > 1:
            deco.append(f"{node['turns']} turns, {node['turn_voting']} vote")
        if node["samples"] > 1:
            deco.append(f"{node['samples']} samples, {node['sample_voting']} vote")
        extras = f" [{'; '.join(deco)}]" if deco else ""
        return [f"{pad}- {node['strategy']}{label}{extras} by {node['judge']} "
                f"({judge.get('kind')}:{judge['model']}), {node['verdict_format']} verdict, "
                f"calls {span}"]  # fmt: skip
    if kind == "reward_model":
        return [f"{pad}- reward model {node['model']}{label} (threshold {node['threshold']}), "
                "no judge calls"]  # fmt: skip
    if kind == "sequential":
        head = f"{pad}- sequential{label}: stop at the first rejection, calls {span}"
        children = node["steps"]
    elif kind == "panel":
        head = f"{pad}- panel{label}: {node['voting']} vote of {len(node['members'])}, calls {span}"
        children = node["members"]
        families = [_family(child, config) for child in children]
        head += f"; families: {', '.join(families)}"
        if len(set(families)) < len(families):
            head += " (some members share a model family: their errors correlate)"
    else:
        esc = node["escalate"]
        why = [f"decision in {esc['decisions']}"]
        if esc["on_disagreement"]:
            why.append("votes disagree")
        why.append(f"score within {esc['score_band']}")
        head = f"{pad}- cascade{label}: escalate when {' or '.join(why)}, calls {span}"
        children = node["stages"]
    lines = [head]
    for child in children:
        lines.extend(_describe(child, config, indent + 1))
    return lines


def explain(source: Any) -> str:
    config = load(source)
    lo, hi = call_bounds(config["pipeline"])
    _, hi_retry = call_bounds(config["pipeline"], with_retries=True)
    lines = [
        f"config: {config.get('name', '(unnamed)')}",
        f"hash: {config_hash(config)}",
        f"library: validators {__version__}",
    ]
    if config.get("description"):
        lines.append(f"about: {config['description']}")
    lines.append("steps:")
    lines.extend(_describe(config["pipeline"], config, 1))
    lines.append(f"judge calls per answer: at least {lo}, at most {hi} "
                 f"(at most {hi_retry} if every verdict needs all its retries)")  # fmt: skip
    return "\n".join(lines)
