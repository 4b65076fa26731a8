"""pip-audit over the virtualenv, failing on any known vulnerability not listed with a reason in
.ci/pip-audit-ignore.toml. When the advisory service answers for no package at all (offline, or an
index without the vulnerability API), it says so loudly and skips: that is not a clean audit."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

IGNORES = Path(__file__).with_name("pip-audit-ignore.toml")


def main() -> int:
    ignored = {entry["id"]: entry["reason"] for entry in tomllib.loads(IGNORES.read_text()).get("ignore", [])}
    command = [sys.executable, "-m", "pip_audit", "--local", "--skip-editable", "--format", "json",
               "--progress-spinner", "off", "--timeout", "20"]  # fmt: skip
    for vuln_id in ignored:
        command += ["--ignore-vuln", vuln_id]
    result = subprocess.run(command, capture_output=True, text=True)  # noqa: S603
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(f"SKIPPED pip-audit: the advisory service could not be reached.\n{result.stderr[-1500:]}")
        return 0
    dependencies = report["dependencies"]
    audited = [d for d in dependencies if "skip_reason" not in d]
    found = [(d["name"], d["version"], v["id"], v.get("fix_versions")) for d in audited for v in d["vulns"]]
    for name, version, vuln_id, fixes in found:
        print(f"VULNERABLE {name} {version}: {vuln_id} (fixed in {', '.join(fixes) or 'no release yet'})")
    for vuln_id, reason in ignored.items():
        print(f"ignored {vuln_id}: {reason}")
    if found:
        return 1
    if not audited:
        print(f"SKIPPED pip-audit: the advisory service answered for none of {len(dependencies)} packages "
              "(offline, or an index without PyPI's vulnerability API). Nothing was audited.")
        return 0
    unaudited = [d["name"] for d in dependencies if "skip_reason" in d]
    print(f"pip-audit: {len(audited)} packages audited, no known vulnerabilities"
          + (f"; not audited: {', '.join(unaudited)}" if unaudited else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
