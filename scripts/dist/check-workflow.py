#!/usr/bin/env python3
"""Checks .github/workflows/release.yml without GitHub: it must parse as YAML, have the shape the
release needs (a prebuild job per native target, a musl job, a pack job after them that finds all
seven prebuilds),
use actions by major version, and every `run:` must be valid bash (bash -n, with the ${{ }}
expressions stood in for). Prints one line; exits 1 with the problems.

    python3 scripts/dist/check-workflow.py [workflow.yml]      # needs PyYAML (Debian: python3-yaml)
"""
import re
import subprocess
import sys

import yaml

PATH = sys.argv[1] if len(sys.argv) > 1 else ".github/workflows/release.yml"
TARGETS = {"linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64"}
PREBUILDS = [
    "linux-x64/multicast-expert.glibc.node", "linux-arm64/multicast-expert.glibc.node",
    "linux-x64/multicast-expert.musl.node", "linux-arm64/multicast-expert.musl.node",
    "win32-x64/multicast-expert.node", "darwin-x64/multicast-expert.node", "darwin-arm64/multicast-expert.node",
]

problems = []
# BaseLoader keeps every scalar a string: `on` stays "on" (YAML 1.1 would read it as true).
with open(PATH, encoding="utf-8") as f:
    workflow = yaml.load(f, Loader=yaml.BaseLoader)

triggers = workflow.get("on", {})
if "push" not in triggers or "workflow_dispatch" not in triggers:
    problems.append("it must run on pushed tags and by hand (on: push, workflow_dispatch)")

jobs = workflow.get("jobs", {})
for name, job in jobs.items():
    if "runs-on" not in job:
        problems.append(f"job {name} has no runs-on")
    for i, step in enumerate(job.get("steps", [])):
        where = f"job {name}, step {i + 1} ({step.get('name', step.get('uses', 'run'))})"
        if ("uses" in step) == ("run" in step):
            problems.append(f"{where}: needs exactly one of uses and run")
        if "uses" in step and not re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]):
            problems.append(f"{where}: uses {step['uses']}, not owner/action@vN")
        if "run" in step:
            script = re.sub(r"\$\{\{[^}]*\}\}", "X", step["run"])
            r = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
            if r.returncode != 0:
                problems.append(f"{where}: bash -n: {r.stderr.strip()}")

prebuild = jobs.get("prebuild", {})
names = {entry.get("name") for entry in prebuild.get("strategy", {}).get("matrix", {}).get("include", [])}
if names != TARGETS:
    problems.append(f"the prebuild matrix is {sorted(names)}, not {sorted(TARGETS)}")
if "musl" not in jobs or "build-musl.sh x64 arm64" not in yaml.dump(jobs.get("musl", {})):
    problems.append("no musl job building both musl prebuilds")
pack = jobs.get("pack", {})
if sorted(pack.get("needs", [])) != ["musl", "prebuild"]:
    problems.append("the pack job must need the prebuild and musl jobs")
pack_text = yaml.dump(pack)
for f in PREBUILDS:
    if f not in pack_text:
        problems.append(f"the pack job does not check for prebuilds/{f}")
if "npm pack" not in pack_text:
    problems.append("the pack job does not run npm pack")

if problems:
    for p in problems:
        print(f"error: {PATH}: {p}", file=sys.stderr)
    sys.exit(1)
steps = sum(len(j.get("steps", [])) for j in jobs.values())
print(f"ok: {PATH} parses; jobs {', '.join(jobs)}; prebuilds for {', '.join(sorted(names))}; {steps} steps, every run valid bash")
