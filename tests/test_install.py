"""The production install: the wheel alone, as the Docker image installs it.

Every other test runs in the development environment (editable install, dev
extra), which can hide a dependency the service needs but does not declare, or
files the wheel leaves out. Here the wheel is built and installed by
scripts/install-wheel.sh (the Dockerfile's own steps) into a fresh virtual
environment without extras, and ``hongxin serve`` is started from an empty
directory with nothing but that environment, on SQLite and on PostgreSQL.

Slow (a fresh environment installs every dependency, from pip's cache when it
can): ``pytest -m "not install"`` leaves it out while working on other things.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from app.db import normalize_url
from tests.support.postgres import free_port

pytestmark = pytest.mark.install

ROOT = Path(__file__).resolve().parent.parent
INSTALL_SCRIPT = ROOT / "scripts" / "install-wheel.sh"
CALLBACK_TOKEN = "install-test-callback-token"
# Outside development, admin tokens must be long; this one is 40 characters.
ADMIN_TOKEN = "install-test-admin-token-0123456789abcde"


@dataclass(frozen=True)
class Installed:
    venv: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def environment(self) -> dict[str, str]:
        """The machine's environment (proxies, certificates, pip's settings) with the new
        venv first on PATH and nothing that would point Python at the dev one."""
        inherited = {name: value for name, value in os.environ.items()
                     if not name.startswith(("PYTHON", "HONGXIN_")) and name != "VIRTUAL_ENV"}
        return {**inherited, "PATH": f"{self.bin}:{os.environ.get('PATH', '/usr/bin:/bin')}",
                "VIRTUAL_ENV": str(self.venv)}


def _run(command: list[str], env: dict[str, str], cwd: Path) -> None:
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, (
        f"{' '.join(command)} exited with {result.returncode}\n{result.stdout}\n{result.stderr}")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("install")
    venv = root / "venv"
    # venv builds on the interpreter underneath the dev environment, not on it.
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    found = Installed(venv)
    env = found.environment()
    _run(["bash", str(INSTALL_SCRIPT), "build", str(root / "wheels")], env, cwd=root)
    _run(["bash", str(INSTALL_SCRIPT), "install", str(root / "wheels")], env, cwd=root)
    return found


@contextlib.contextmanager
def serving(installed: Installed, workdir: Path, extra_env: dict[str, str]) -> Iterator[str]:
    """``hongxin serve`` of the installed wheel, run from ``workdir``; yields its base URL."""
    port = free_port()
    env = {**installed.environment(), "HONGXIN_WECHAT_TOKEN": CALLBACK_TOKEN,
           "HONGXIN_ADMIN_TOKEN": ADMIN_TOKEN,
           # Nothing here should call the platform; if something does, it fails fast.
           "HONGXIN_WECHAT_API_BASE": "http://127.0.0.1:9", **extra_env}
    log_path = workdir.parent / f"{workdir.name}-serve.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(installed.bin / "hongxin"), "serve", "--port", str(port)],
                                   cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"hongxin serve exited with {process.returncode}:\n"
                            f"{log_path.read_text(errors='replace')[-4000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"hongxin serve did not answer /healthz:\n"
                            f"{log_path.read_text(errors='replace')[-4000:]}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def signed_params(token: str) -> dict[str, str]:
    """The plain-mode query the platform sends: sha1 of the sorted token, timestamp, nonce."""
    timestamp, nonce = str(int(time.time())), "install-nonce-1"
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce,
            "openid": "o_install_member"}


def check_the_service(base: str) -> None:
    health = httpx.get(f"{base}/healthz", timeout=10)
    assert health.json() == {"status": "ok"}

    message = ("<xml><ToUserName><![CDATA[gh_install]]></ToUserName>"
               "<FromUserName><![CDATA[o_install_member]]></FromUserName>"
               f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
               "<Content><![CDATA[帮助]]></Content><MsgId>7000000000000000001</MsgId></xml>")
    reply = httpx.post(f"{base}/wechat", params=signed_params(CALLBACK_TOKEN),
                       content=message.encode(), timeout=10)
    assert reply.status_code == 200, reply.text
    assert "<ToUserName><![CDATA[o_install_member]]></ToUserName>" in reply.text
    assert "<MsgType><![CDATA[text]]></MsgType>" in reply.text
    assert "答题" in reply.text  # the help text lists the keywords

    banks = httpx.get(f"{base}/api/admin/quiz-banks", timeout=10,
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert banks.status_code == 200, banks.text
    assert isinstance(banks.json(), list)
    refused = httpx.get(f"{base}/api/admin/quiz-banks", timeout=10,
                        headers={"Authorization": "Bearer not-the-admin-token"})
    assert refused.status_code == 401


def check_the_console_assets(base: str) -> None:
    """The sign-in page's scripts come from the wheel itself, long cached, byte for byte
    what npm installed, compressed for phones."""
    page = httpx.get(f"{base}/console/login", timeout=10)
    assert page.status_code == 200, page.text
    sources = re.findall(r'<script src="([^"]+)"', page.text)
    htmx = [source for source in sources if "/htmx.org/htmx.min.js?v=" in source]
    assert htmx, sources
    script = httpx.get(f"{base}{htmx[0]}", timeout=10, headers={"Accept-Encoding": "gzip"})
    assert script.status_code == 200
    assert script.content == (ROOT / "node_modules/htmx.org/dist/htmx.min.js").read_bytes()
    assert script.headers["content-encoding"] == "gzip"
    assert "immutable" in script.headers["cache-control"]
    assert "max-age=31536000" in script.headers["cache-control"]
    assert script.headers["content-type"].startswith(("text/javascript",
                                                      "application/javascript"))
    # The checker the browser tests inject is a devDependency: not in the wheel.
    missing = httpx.get(f"{base}/console/static/vendor/axe-core/axe.min.js", timeout=10)
    assert missing.status_code == 404


def test_the_wheel_carries_its_migrations(installed: Installed) -> None:
    result = subprocess.run(
        [str(installed.bin / "python"), "-c",
         "import app.migrations as m; print(m.script_location())"],
        env=installed.environment(), cwd=installed.venv.parent,
        capture_output=True, text=True, check=True, timeout=60)
    location = Path(result.stdout.strip())
    assert location.is_relative_to(installed.venv)
    assert (location / "env.py").is_file()
    shipped = sorted(path.name for path in (location / "versions").glob("*.py"))
    assert shipped == sorted(path.name for path in (ROOT / "alembic" / "versions").glob("*.py"))


def test_serve_on_sqlite_from_an_empty_directory(installed: Installed,
                                                 tmp_path: Path) -> None:
    workdir = tmp_path / "empty"
    workdir.mkdir()
    # No HONGXIN_DATABASE_URL: the default, a SQLite file in the working directory.
    with serving(installed, workdir, {}) as base:
        check_the_service(base)
        check_the_console_assets(base)
    assert (workdir / "hongxin.db").is_file()


@pytest.mark.postgres
def test_serve_on_postgres(installed: Installed, postgres_server_url: str,
                           tmp_path: Path) -> None:
    engine = create_engine(normalize_url(postgres_server_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS hongxin_install"))
        connection.execute(text("CREATE DATABASE hongxin_install"))
    engine.dispose()
    url = postgres_server_url.rsplit("/", 1)[0] + "/hongxin_install"
    workdir = tmp_path / "empty"
    workdir.mkdir()
    with serving(installed, workdir, {"HONGXIN_DATABASE_URL": url}) as base:
        check_the_service(base)


def test_the_dockerfile_installs_with_the_tested_script() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    runs = [line for line in dockerfile.splitlines() if "install-wheel.sh" in line]
    assert any("install-wheel.sh build" in line for line in runs), runs
    assert any("install-wheel.sh install" in line for line in runs), runs
    assert "pip install" not in dockerfile.replace("install-wheel.sh install", "")


def test_the_dockerfile_builds_the_wheel_with_the_npm_files() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = dockerfile.split("\nFROM ")
    assets = next(stage for stage in stages if " AS assets" in stage.splitlines()[0])
    assert "npm ci --omit=dev" in assets
    assert "scripts/vendor-assets.sh" in assets
    wheel = next(stage for stage in stages if " AS wheel" in stage.splitlines()[0])
    copied = wheel.index("COPY --from=assets /src/app/console/static/vendor "
                         "app/console/static/vendor")
    assert copied < wheel.index("install-wheel.sh build")
