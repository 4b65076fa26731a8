"""`make bench` (bench/run.py): every benchmark runs, and their figures meet in one table."""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def bench_modules():
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("bench_runner", BENCH / "run.py")
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    import benchenv

    yield runner, benchenv
    sys.path.remove(str(BENCH))


def test_every_script_in_bench_is_run_or_named_as_a_helper(bench_modules):
    runner, _ = bench_modules
    run = {script for _, script, _ in runner.BENCHES}
    assert all((BENCH / script).exists() for script in run)
    assert {p.name for p in BENCH.glob("*.py")} - run - set(runner.HELPERS) == set()


def test_figures_from_several_scripts_meet_in_one_table_with_their_ratios(bench_modules, tmp_path, monkeypatch, capsys):
    _, benchenv = bench_modules
    collected = tmp_path / "figures.jsonl"
    monkeypatch.setenv(benchenv.FIGURES_ENV, str(collected))
    benchenv.report("review POST", [benchenv.Figure("reviews/s", 96.0, "one-upsert POST/s", 120.0)])
    benchenv.report("catalogue", [benchenv.Figure("list: SQL queries", 3)])
    assert "reviews/s" in capsys.readouterr().out  # each script still prints its own table

    figures = benchenv.collected_figures(collected)
    assert [bench for bench, _ in figures] == ["review POST", "catalogue"]
    lines = benchenv.table_lines([figure for _, figure in figures])
    assert lines[0].split() == ["figure", "value", "same-run", "reference", "ratio"]
    assert lines[2].split()[-1] == "0.80" and "one-upsert POST/s 120" in lines[2]
    assert lines[3].split()[-3:] == ["3", "-", "-"]


def test_percentiles_are_nearest_rank(bench_modules):
    _, benchenv = bench_modules
    samples = list(range(1, 101))
    assert (benchenv.percentile(samples, 50), benchenv.percentile(samples, 99)) == (50, 99)
    assert benchenv.percentile([7.0], 99) == 7.0
