"""What can be checked of the container without a Docker engine: the Dockerfile itself."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _one(name: str) -> list[str]:
    return [args for word, args in _instructions() if word == name]


def test_slim_python_311_base():
    froms = _one("FROM")
    assert froms, "no FROM"
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?(@sha256:[0-9a-f]{64})?", froms[-1].split()[0])


def test_runs_as_a_non_root_user():
    users = _one("USER")
    assert users, "no USER: the app would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    # The user is created in the image, and the last USER comes after every RUN.
    assert re.search(rf"useradd\b.*\b{re.escape(user)}\b", DOCKERFILE)
    words = [w for w, _ in _instructions()]
    last_run = max(i for i, w in enumerate(words) if w == "RUN")
    assert last_run < max(i for i, w in enumerate(words) if w == "USER")


def test_installs_the_pinned_requirements():
    assert any("requirements.txt" in c for c in _one("COPY"))
    assert any(re.search(r"pip install .*-r requirements\.txt", r) for r in _one("RUN"))
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert "==" in line, f"unpinned requirement: {line}"


def test_healthcheck_probes_streamlit_health_endpoint():
    checks = _one("HEALTHCHECK")
    assert len(checks) == 1
    assert "/_stcore/health" in checks[0]
    assert "8501" in checks[0]
    # The slim image has no curl or wget: the probe must use what is there.
    assert "curl" not in checks[0] and "wget" not in checks[0]


def test_cmd_matches_make_run_on_all_addresses():
    cmd = json.loads(_one("CMD")[-1])
    makefile = (ROOT / "Makefile").read_text()
    run = re.search(r"^run:.*\n\t(.+)$", makefile, re.M)
    assert run, "no run target in the Makefile"
    # `make run` serves on 127.0.0.1 unless HOST says otherwise; the container, on all addresses.
    assert re.search(r"^HOST\s*\?=\s*127\.0\.0\.1\s*$", makefile, re.M)
    assert "--server.address $(HOST)" in run.group(1)
    line = run.group(1).replace("$(VENV)/bin/", "").replace("$(PORT)", "8501").replace("$(HOST)", "0.0.0.0")
    assert cmd == shlex.split(line)
    assert cmd[:3] == ["streamlit", "run", "app.py"]
    assert cmd[cmd.index("--server.address") + 1] == "0.0.0.0"
    assert cmd[cmd.index("--server.port") + 1] == "8501"
    assert "8501" in " ".join(_one("EXPOSE"))


def test_image_holds_the_app_and_not_the_secrets():
    copied = " ".join(_one("COPY"))
    for needed in ("app.py", "migrator", "app_pages", "webui", ".streamlit"):
        assert needed in copied
    ignore = (ROOT / ".dockerignore").read_text().split()
    for kept_out in (".git", ".venv", "tests"):
        assert kept_out in ignore


def test_production_streamlit_config():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["enableXsrfProtection"] is True
    # The uploaders take a little more than the engine's 5 MiB, so the app can say the limit in words.
    from webui import files

    assert config["server"]["maxUploadSize"] == files.UPLOADER_MB
    assert files.UPLOADER_MB * 10**6 > files.MAX_VALUES_BYTES
    assert config["client"]["showErrorDetails"] in ("none", False)
    assert config["client"]["toolbarMode"] == "viewer"


def test_the_worker_limits_are_set_in_the_image():
    env = " ".join(_one("ENV"))
    for name in ("ADAPTIVE_WORKERS", "ADAPTIVE_ANALYSIS_TIMEOUT", "ADAPTIVE_ANALYSIS_MEMORY_MB"):
        assert re.search(rf"\b{name}=\d+", env), name
