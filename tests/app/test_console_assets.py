"""The console's static files (ours and npm's) and the page policy that lets them run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.settings import Settings
from tests.app.conftest import make_settings
from tests.app.test_console import csrf_of, sign_in

ADMIN = "console-assets-admin-token-0123456789"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, admin_token=ADMIN)


def linked_assets(page: str) -> list[str]:
    return re.findall(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"', page)


def test_pages_link_versioned_assets_that_browsers_keep_for_a_year(client: TestClient) -> None:
    assets = linked_assets(client.get("/console/login").text)
    assert any("/vendor/htmx.org/htmx.min.js?v=" in asset for asset in assets), assets
    assert any("/console.css?v=" in asset for asset in assets), assets
    for asset in assets:
        assert asset.startswith("/console/static/")
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["x-content-type-options"] == "nosniff"
    htmx = next(asset for asset in assets if "htmx" in asset)
    shipped = (ROOT / "node_modules/htmx.org/dist/htmx.min.js").read_bytes()
    assert client.get(htmx).content == shipped


def test_a_changed_file_gets_a_new_address(client: TestClient, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from app.console import assets

    (tmp_path / "page.js").write_text("first")
    monkeypatch.setattr(assets, "STATIC_DIR", tmp_path)
    assets._digest.cache_clear()
    first = assets.static_url("page.js")
    (tmp_path / "page.js").write_text("second")
    assets._digest.cache_clear()
    assert assets.static_url("page.js") != first
    assets._digest.cache_clear()


def test_large_scripts_travel_compressed(client: TestClient) -> None:
    response = client.get("/console/static/vendor/echarts/echarts.common.min.js",
                          headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.num_bytes_downloaded < len(response.content) / 2


def test_a_missing_asset_is_a_chinese_page(client: TestClient) -> None:
    response = client.get("/console/static/vendor/nothing.js")
    assert response.status_code == 404
    assert "页面不存在" in response.text


def test_scripts_run_only_from_our_own_files(client: TestClient) -> None:
    policy = client.get("/console/login").headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"


def test_htmx_requests_carry_the_csrf_token_in_a_header(client: TestClient) -> None:
    sign_in(client, ADMIN)
    page = client.get("/console").text
    token = csrf_of(page)
    assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in page
    refused = client.post("/console/logout", headers={"X-CSRF-Token": "forged"},
                          follow_redirects=False)
    assert refused.status_code == 403
    done = client.post("/console/logout", headers={"X-CSRF-Token": token},
                       follow_redirects=False)
    assert done.status_code == 303
    assert client.get("/console", follow_redirects=False).headers["location"] == "/console/login"
