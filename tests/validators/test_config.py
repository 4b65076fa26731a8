"""Config schema, errors, canonical hash, presets, explain."""

import copy
import json

import jsonschema
import pytest

import validators
from validators.config import ConfigError, config_hash, explain, json_schema, load
from validators.presets import PRESETS

BASE = {"judges": {"default": {"kind": "openai", "model": "gpt-4.1"}}, "pipeline": "vanilla"}


def errors_of(config) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(config)
    return info.value.errors


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_load_and_validate_against_the_published_schema(name):
    config = load(name)
    assert config["name"] == name
    jsonschema.Draft202012Validator(json_schema()).validate(PRESETS[name])
    assert len(config_hash(name)) == 64


def test_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(json_schema())


def test_uq_presets_have_uq_shapes():
    default = load("uq-default")["pipeline"]
    assert [s["strategy"] for s in default["steps"]] == [
        "cycle_consistency", "fact_check", "correctness"]
    assert all(s["turns"] == 1 and s["samples"] == 1 for s in default["steps"])
    recommended = load("uq-recommended")["pipeline"]["steps"]
    assert {(s["turns"], s["turn_voting"]) for s in recommended} == {(3, "majority")}
    strict = load("uq-strict")["pipeline"]["steps"]
    assert {(s["turns"], s["turn_voting"]) for s in strict} == {(3, "unanimous")}
    assert load("quorum-cascade")["pipeline"]["type"] == "cascade"


def test_hash_is_canonical():
    shorthand = {"judges": {"default": {"model": "gpt-4.1"}}, "pipeline": ["fact_check"]}
    expanded = {
        "version": 1,
        "name": "another name",
        "description": "names and descriptions are not behaviour",
        "pipeline": {"type": "sequential", "steps": [
            {"type": "strategy", "strategy": "fact_check", "judge": "default", "turns": 1,
             "samples": 1, "turn_voting": "majority", "verdict_format": "tag"}]},
        "judges": {"default": {"model": "gpt-4.1", "kind": "openai", "timeout_s": 5,
                               "base_url": "http://elsewhere:8000/v1", "max_retries": 9}},
        "defaults": {"parse_retries": 2},
    }  # fmt: skip
    assert config_hash(shorthand) == config_hash(expanded)
    assert config_hash(json.dumps(shorthand)) == config_hash(shorthand)
    # unused judges do not count either
    with_spare = copy.deepcopy(shorthand)
    with_spare["judges"]["spare"] = {"model": "other"}
    assert config_hash(with_spare) == config_hash(shorthand)


@pytest.mark.parametrize("change", [
    ("judges.default.model", "gpt-4o"),
    ("judges.default.params", {"temperature": 0.0}),
    ("defaults.parse_retries", 1),
    ("defaults.verdict_format", "json"),
    ("pipeline", ["correctness"]),
    ("pipeline", [{"strategy": "fact_check", "turns": 3}]),
])  # fmt: skip
def test_behaviour_changes_change_the_hash(change):
    base = {"judges": {"default": {"model": "gpt-4.1"}}, "pipeline": ["fact_check"]}
    changed = load(base, {change[0]: json.dumps(change[1])})
    assert config_hash(changed) != config_hash(base)


def test_errors_name_the_path_and_the_problem():
    config = {
        "judges": {"default": {"model": "m", "api_key": "sk-oops"}},
        "pipeline": ["relevance", {"strategy": "fact_check", "turns": 0}],
    }
    errors = errors_of(config)
    assert any(e.startswith("judges.default:") and "api_key_env" in e for e in errors)
    config["judges"]["default"].pop("api_key")
    errors = errors_of(config)
    assert errors == ["pipeline.steps[1].turns: 0 is less than the minimum of 1"]


def test_more_errors():
    assert "pipeline.judge: no judge named 'strong'" in errors_of(
        {**BASE, "pipeline": {"strategy": "vanilla", "judge": "strong"}})[0]
    assert "unknown strategy 'vibes'" in errors_of({**BASE, "pipeline": ["vibes"]})[0]
    assert errors_of({**BASE, "pipeline": {"type": "panel", "members": ["vanilla"]}}) == [
        "pipeline.members: ['vanilla'] is too short"]
    assert "is not one of" in errors_of({**BASE, "pipeline": {
        "strategy": "vanilla", "turn_voting": "plurality"}})[0]
    assert errors_of({**BASE, "judges": {"default": {"model": "m",
                                                     "api_key_env": "not a name"}}})
    assert "low 0.9 is above high 0.1" in errors_of({**BASE, "pipeline": {
        "type": "cascade", "stages": ["vanilla", "correctness"],
        "escalate": {"score_band": [0.9, 0.1]}}})[0]
    assert "neither a preset" in errors_of("no-such-preset")[0]
    assert "not valid JSON" in errors_of("{nope")[0]
    assert errors_of({"judges": {}}) == ["(config): 'pipeline' is a required property"]
    assert "pipeline.judge: no judge named 'default'" in errors_of({"pipeline": "vanilla"})[0]


def test_config_error_message_lists_every_problem():
    with pytest.raises(validators.ConfigError) as info:
        load({"judges": {"d": {"model": ""}}, "pipeline": "vanilla", "extra": 1})
    text = str(info.value)
    assert text.startswith("invalid validator config:")
    assert "judges.d.model" in text and "'extra' was unexpected" in text


def test_overrides_and_file_sources(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(BASE))
    config = load(str(path), {"judges.default.model": "gpt-4o", "defaults.parse_retries": "0"})
    assert config["judges"]["default"]["model"] == "gpt-4o"
    assert config["pipeline"]["parse_retries"] == 0
    preset = load("uq-default", {"judges.default.base_url": "http://gpu:8000/v1",
                                 "pipeline.steps.2.turns": "3"})  # fmt: skip
    assert preset["pipeline"]["steps"][2]["turns"] == 3


def test_explain_lists_steps_and_worst_case_calls():
    text = explain("uq-default")
    assert "cycle_consistency" in text and "correctness" in text
    assert "at least 2, at most 4" in text
    assert "at least 4, at most 10" in explain("uq-strict")
    assert "at least 1, at most 6" in explain("quorum-cascade")


@pytest.mark.parametrize("name", list(PRESETS))
def test_loading_is_idempotent(name):
    once = load(name)
    assert load(once) == once


def test_explain_shows_panel_families():
    config = {"judges": {"a": {"model": "gpt-4.1", "family": "gpt"},
                         "b": {"model": "Qwen/Qwen3-32B", "base_url": "http://gpu:8000/v1"},
                         "c": {"model": "gpt-4o"}},
              "pipeline": {"type": "panel", "members": [
                  {"strategy": "correctness", "judge": "a"},
                  {"strategy": "correctness", "judge": "b"}]}}  # fmt: skip
    text = explain(config)
    assert "families: gpt, qwen3" in text and "share" not in text
    config["pipeline"]["members"][1]["judge"] = "c"
    assert "share a model family" in explain(config)
