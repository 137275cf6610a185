#!/usr/bin/env python3
"""Checks the GitHub workflows without GitHub: each must parse as YAML, use actions by major
version, and every `run:` must be valid bash (bash -n, with the ${{ }} expressions stood in for);
then each has the shape it needs:

- .github/workflows/release.yml: a prebuild job per native target, a musl job, a pack job after
  them that finds all seven prebuilds;
- .github/workflows/docs.yml: a build job that checks the docs, builds the API reference, checks
  the site and uploads it as the Pages artifact; a deploy job after it, only outside pull requests,
  with the Pages permissions.

Prints one line per workflow; exits 1 with the problems.

    python3 scripts/dist/check-workflow.py [workflow.yml ...]   # default: both; needs PyYAML (Debian: python3-yaml)
"""
import os
import re
import subprocess
import sys

import yaml

TARGETS = {"linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64"}
PREBUILDS = [
    "linux-x64/multicast-expert.glibc.node", "linux-arm64/multicast-expert.glibc.node",
    "linux-x64/multicast-expert.musl.node", "linux-arm64/multicast-expert.musl.node",
    "win32-x64/multicast-expert.node", "darwin-x64/multicast-expert.node", "darwin-arm64/multicast-expert.node",
]


def check_common(jobs, problems):
    """What every workflow needs: runners, one of uses/run per step, actions by major version, valid bash."""
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


def check_release(workflow, jobs, problems):
    triggers = workflow.get("on", {})
    if "push" not in triggers or "workflow_dispatch" not in triggers:
        problems.append("it must run on pushed tags and by hand (on: push, workflow_dispatch)")
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
    return f"prebuilds for {', '.join(sorted(names))}"


def check_docs(workflow, jobs, problems):
    triggers = workflow.get("on", {})
    if "push" not in triggers or "workflow_dispatch" not in triggers:
        problems.append("it must run on pushes to main and by hand (on: push, workflow_dispatch)")
    build = jobs.get("build", {})
    runs = [s.get("run", "") for s in build.get("steps", [])]
    uses = [s.get("uses", "") for s in build.get("steps", [])]
    # In this order: the links before the build (cheap, and a broken link is the likelier failure),
    # the site check after it, the upload last.
    order = ["npm ci", "npm run check:docs", "npm run docs", "scripts/docs/check-site.js"]
    at = []
    for command in order:
        found = [i for i, r in enumerate(runs) if command in r]
        if not found:
            problems.append(f"the build job does not run {command}")
        at.append(found[0] if found else -1)
    if all(i >= 0 for i in at) and at != sorted(at):
        problems.append(f"the build job must run {', then '.join(order)}")
    upload = [i for i, u in enumerate(uses) if u.startswith("actions/upload-pages-artifact@")]
    if not upload:
        problems.append("the build job does not upload the site (actions/upload-pages-artifact)")
    elif all(i >= 0 for i in at) and upload[0] < max(at):
        problems.append("the build job uploads the site before it is built and checked")
    elif build["steps"][upload[0]].get("with", {}).get("path") != "docs/api":
        problems.append("the Pages artifact must be docs/api (typedoc.json out)")
    deploy = jobs.get("deploy", {})
    needs = deploy.get("needs", [])
    if (needs if isinstance(needs, list) else [needs]) != ["build"]:
        problems.append("the deploy job must need the build job")
    if "pull_request" not in deploy.get("if", ""):
        problems.append("the deploy job must not run for pull requests (if: github.event_name != 'pull_request')")
    if not any(s.get("uses", "").startswith("actions/deploy-pages@") for s in deploy.get("steps", [])):
        problems.append("the deploy job does not run actions/deploy-pages")
    perms = deploy.get("permissions", {}) or workflow.get("permissions", {})
    if perms.get("pages") != "write" or perms.get("id-token") != "write":
        problems.append("the deploy job needs permissions pages: write and id-token: write")
    if deploy.get("environment", {}).get("name") != "github-pages":
        problems.append("the deploy job must use the github-pages environment")
    return "builds, checks and uploads docs/api; deploys outside pull requests"


SHAPES = {"release.yml": check_release, "docs.yml": check_docs}


def check(path):
    problems = []
    # BaseLoader keeps every scalar a string: `on` stays "on" (YAML 1.1 would read it as true).
    with open(path, encoding="utf-8") as f:
        workflow = yaml.load(f, Loader=yaml.BaseLoader)
    jobs = workflow.get("jobs", {})
    check_common(jobs, problems)
    shape = SHAPES.get(os.path.basename(path))
    summary = shape(workflow, jobs, problems) if shape else "no shape known for this workflow"
    if shape is None:
        problems.append(f"no shape check for {os.path.basename(path)} (one of {', '.join(SHAPES)})")
    steps = sum(len(j.get("steps", [])) for j in jobs.values())
    return problems, f"ok: {path} parses; jobs {', '.join(jobs)}; {summary}; {steps} steps, every run valid bash"


failed = False
for path in sys.argv[1:] or [f".github/workflows/{name}" for name in SHAPES]:
    problems, line = check(path)
    for p in problems:
        print(f"error: {path}: {p}", file=sys.stderr)
    if problems:
        failed = True
    else:
        print(line)
sys.exit(1 if failed else 0)
