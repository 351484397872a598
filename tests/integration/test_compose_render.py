"""docker-compose.yml rendered by Docker Compose itself (no Docker engine needed):
it reads the file, and refuses it while a required secret is missing."""

from __future__ import annotations

import shutil
import subprocess

from tests.unit.telephony.test_asterisk_config import DEPLOY_ENV, ROOT


def _compose_command() -> list[str]:
    """Docker Compose v2 when the docker CLI has it, else Debian's docker-compose
    (.ci/run installs it): both render the file without a Docker engine."""
    v2 = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, check=False
    ) if shutil.which("docker") else None  # fmt: skip
    if v2 is not None and v2.returncode == 0:
        return ["docker", "compose"]
    found = shutil.which("docker-compose")
    assert found, "install docker-compose (Debian package) to render the file"
    return [found]


def test_docker_compose_renders_the_file_only_with_the_secrets_set() -> None:
    command = [*_compose_command(), "-f", str(ROOT / "docker-compose.yml"), "config"]
    rendered = subprocess.run(
        command, env={"PATH": "/usr/bin:/bin", **DEPLOY_ENV},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    assert "andrius/asterisk:20." in rendered.stdout
    refused = subprocess.run(
        command, env={"PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "docs/deployment.md" in refused.stderr
