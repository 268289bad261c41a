"""The container image, built and asked a question (slow: `pytest -m slow tests/test_container.py`).

Needs podman (used with `--isolation=chroot`, which works where the OCI runtime cannot set cgroups or
rlimits, as in sandboxes) or docker with a running daemon; skipped otherwise. The base image comes from
`QUOTEBOT_BASE_IMAGE` (default python:3.11-slim, which needs a registry; offline, import one made with
debootstrap: docs/deploy.md). The questions run in a build step on top of the image, as its user, with
its environment and volumes' paths, so no container networking or cgroups are needed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from index.config import PROJECT_ROOT

pytestmark = pytest.mark.slow

PROBE = """\
FROM {image}
RUN quotebot health; echo "health without an index: exit $?"
RUN quotebot rebuild --quiet && quotebot health && quotebot ask --json "what did Abrams warn?" > /tmp/answer.json \\
    && cat /tmp/answer.json && echo && id -u
"""


def builder() -> list[str]:
    if shutil.which("podman"):
        return ["podman", "build", "--isolation=chroot", "--format", "docker"]
    if shutil.which("docker") and subprocess.run(["docker", "info"], capture_output=True).returncode == 0:
        return ["docker", "build"]
    pytest.skip("no container runtime: install podman (Debian: apt-get install podman) or start docker")


def test_the_image_answers_as_its_own_user(tmp_path: Path) -> None:
    build = builder()
    base = os.environ.get("QUOTEBOT_BASE_IMAGE", "python:3.11-slim")
    image = "localhost/quotebot:test"
    made = subprocess.run([*build, "--build-arg", f"PYTHON_IMAGE={base}", "-t", image, str(PROJECT_ROOT)],
                          capture_output=True, text=True, timeout=1200)
    assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]

    (tmp_path / "Containerfile").write_text(PROBE.format(image=image), encoding="utf-8")
    probe = subprocess.run([*build, "--no-cache", "-f", str(tmp_path / "Containerfile"), str(tmp_path)],
                           capture_output=True, text=True, timeout=600)
    out = probe.stdout + probe.stderr
    assert probe.returncode == 0, out[-3000:]
    assert "unhealthy: There is no index in /data/index" in out and "health without an index: exit 1" in out
    assert "healthy: 2 documents" in out
    answer = json.loads(next(line for line in out.splitlines() if line.startswith('{"question"')))
    assert answer["answered"] and answer["quotes"][0]["text"].startswith("Abrams warned")
    text = (PROJECT_ROOT / "corpus" / answer["quotes"][0]["doc"]).read_text(encoding="utf-8")
    assert all(text[q["start"]:q["end"]] == q["text"] for q in answer["quotes"] if q["doc"] == answer["quotes"][0]["doc"])
    assert "\n10001\n" in out, "the image runs as its own user, not root"
