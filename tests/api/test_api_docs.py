"""Every bash block of ``docs/api.md`` runs against a real ``ptsdrx serve`` (uvicorn)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tests.api.conftest import PASSWORD, SECRET

DOC = Path(__file__).parents[2] / "docs" / "api.md"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """``ptsdrx serve`` on loopback; waits (bounded) until /health answers."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ptsdrx", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")


def service_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PTSDRX_")}
    env.update(
        PTSDRX_DATA_DIR=str(tmp_path),
        PTSDRX_SECRET_KEY=SECRET,
        PTSDRX_ACTOR="setup",
        PTSDRX_LOGIN_RATE_PER_MINUTE="1000",
        **extra,
    )
    return env


def add_users(env: dict[str, str], *names: str) -> None:
    for name in names:
        subprocess.run(
            [sys.executable, "-m", "ptsdrx", "user", "add", name, "--role", name.rstrip("1")],
            input=f"{PASSWORD}\n".encode(),
            env=env,
            check=True,
            capture_output=True,
        )


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="needs curl, jq")
def test_curl_examples_run(tmp_path: Path) -> None:
    blocks = re.findall(r"```bash\n(.*?)```", DOC.read_text("utf-8"), flags=re.S)
    assert len(blocks) >= 8
    env = service_env(tmp_path)
    add_users(env, "clinician1", "nurse1", "auditor1")
    port = free_port()
    proc = start_server(env, port)
    try:
        script = "set -euo pipefail\n" + "\n".join(blocks)
        run = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env={**env, "BASE": f"http://127.0.0.1:{port}", "PASSWORD": PASSWORD},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_user_add_refuses_a_password_argument_and_a_weak_password(tmp_path: Path) -> None:
    env = service_env(tmp_path)
    weak = subprocess.run(
        [sys.executable, "-m", "ptsdrx", "user", "add", "nurse2", "--role", "nurse"],
        input=b"password1234\n",
        env=env,
        capture_output=True,
    )
    assert weak.returncode == 1 and b"too common" in weak.stderr
    arg = subprocess.run(
        [
            sys.executable,
            "-m",
            "ptsdrx",
            "user",
            "add",
            "nurse2",
            "--role",
            "nurse",
            "--password",
            PASSWORD,
        ],
        input=b"",
        env=env,
        capture_output=True,
    )
    assert arg.returncode == 2  # there is no such option
    add_users(env, "nurse1")
    listed = subprocess.run(
        [sys.executable, "-m", "ptsdrx", "user", "list"], env=env, capture_output=True, text=True
    )
    assert "nurse1" in listed.stdout and "active" in listed.stdout
    subprocess.run(
        [sys.executable, "-m", "ptsdrx", "user", "disable", "nurse1"],
        env=env,
        check=True,
        capture_output=True,
    )
    listed = subprocess.run(
        [sys.executable, "-m", "ptsdrx", "user", "list"], env=env, capture_output=True, text=True
    )
    assert "disabled" in listed.stdout


def test_serve_refuses_a_missing_secret(tmp_path: Path) -> None:
    env = service_env(tmp_path)
    del env["PTSDRX_SECRET_KEY"]
    run = subprocess.run(
        [sys.executable, "-m", "ptsdrx", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2 and "PTSDRX_SECRET_KEY" in run.stderr


def test_serve_refuses_a_broken_site_file(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text("safety:\n  crisis: []\n", encoding="utf-8")  # no site name, no text
    env = service_env(tmp_path, PTSDRX_SITE_FILE=str(site))
    run = subprocess.run(
        [sys.executable, "-m", "ptsdrx", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert "site.yaml" in run.stderr + run.stdout and "Traceback" not in run.stderr
