"""Importing, listing and downloading the roster (花名册) over HTTP and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app import cli
from app.main import create_app
from tests.app.conftest import make_settings
from tests.support.roster import roster_csv, roster_xlsx, xlsx_rows

ADMIN = "roster-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
PEOPLE = [
    ("张三", "13800000001", "机关党委/第一党支部", "正式党员", "2010-07-01", "书记"),
    ("李四", "13800000002", "机关党委/第一党支部", "预备党员", "", ""),
    ("王五", "13800000003", "机关党委/第二党支部/第一党小组", "入党积极分子", "", "党小组长"),
]


@pytest.fixture
def admin(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(database_url, admin_token=ADMIN))) as client:
        yield client


def upload(admin: TestClient, data: bytes, filename: str = "roster.csv") -> tuple[int, Any]:
    answer = admin.post("/api/admin/roster", headers=AUTH, files={"file": (filename, data)})
    return answer.status_code, answer.json()


def roster(admin: TestClient, **params: object) -> list[dict[str, Any]]:
    answer = admin.get("/api/admin/roster", headers=AUTH, params=params)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_each_encoding_creates_orgs_and_people(admin: TestClient, encoding: str) -> None:
    status, body = upload(admin, roster_csv(PEOPLE, encoding=encoding))
    assert status == 201, body
    assert body == {"rows": 3, "created": 3, "updated": 0, "orgs_created": 4}
    people = {p["name"]: p for p in roster(admin)}
    assert people["王五"]["org"] == "机关党委/第二党支部/第一党小组"
    assert people["张三"]["joined_on"] == "2010-07-01" and people["张三"]["duty"] == "书记"
    tree = admin.get("/api/admin/orgs", headers=AUTH).json()
    assert [(n["name"], n["roster_count"], n["bound_count"]) for n in tree] == [
        ("机关党委", 3, 0)]
    branches = {n["name"]: n["roster_count"] for n in tree[0]["children"]}
    assert branches == {"第一党支部": 2, "第二党支部": 1}


def test_a_reimport_updates_by_phone_and_never_duplicates(admin: TestClient) -> None:
    assert upload(admin, roster_csv(PEOPLE))[0] == 201
    moved = [("张三", "138 0000 0001", "机关党委/第二党支部", "正式党员", "", "组织委员"),
             ("赵六", "13800000004", "机关党委/第二党支部", "群众", "", "")]
    status, body = upload(admin, roster_xlsx(moved), "roster.xlsx")
    assert status == 201, body
    assert (body["created"], body["updated"], body["orgs_created"]) == (1, 1, 0)
    people = {p["name"]: p for p in roster(admin)}
    assert len(people) == 4
    assert people["张三"]["org"] == "机关党委/第二党支部"
    assert people["张三"]["duty"] == "组织委员"


def test_xlsx_phone_cells_typed_as_numbers_and_full_width_digits(admin: TestClient) -> None:
    rows = [("张三", 13800000001.0, "机关党委/第一党支部", "正式党员", None, None),
            ("李四", 13800000002, "机关党委/第一党支部", "正式党员", None, None),
            ("王五", "１３８０００００００３", "机关党委/第一党支部", "群众", None, None),
            (None, None, None, None, None, None),
            ("赵六", "+86 138-0000-0004", "机关党委/第一党支部", "群众", None, None)]
    status, body = upload(admin, roster_xlsx(rows), "r.xlsx")
    assert status == 201, body
    assert sorted(p["phone"] for p in roster(admin)) == [
        "13800000001", "13800000002", "13800000003", "13800000004"]


def test_every_bad_row_is_listed_and_nothing_is_imported(admin: TestClient) -> None:
    rows = [
        ("张三", "13800000001", "机关党委/第一党支部", "正式党员", "", ""),
        ("李四", "13800000001", "机关党委/第一党支部", "正式党员", "", ""),
        ("王五", "1.38E+10", "机关党委/第一党支部", "党员", "", ""),
        ("", "13800000005", "机关党委//第一党支部", "群众", "2030-01-01", ""),
        ("赵六", "12345", "", "群众", "去年", ""),
    ]
    status, body = upload(admin, roster_csv(rows))
    assert status == 422
    problems = {(e["row"], e["column"]) for e in body["errors"]}
    assert problems == {(3, "手机号"), (4, "手机号"), (4, "政治面貌"), (5, "姓名"), (5, "组织"),
                        (5, "入党日期"), (6, "手机号"), (6, "组织"), (6, "入党日期")}
    messages = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert "与第 2 行重复" in messages[(3, "手机号")]
    assert "科学计数法" in messages[(4, "手机号")]
    assert "正式党员" in messages[(4, "政治面貌")]
    assert roster(admin) == []
    assert admin.get("/api/admin/orgs", headers=AUTH).json() == []


def test_scientific_notation_with_every_digit_is_recovered(admin: TestClient) -> None:
    rows = [("张三", "1.3800000001E+10", "机关党委", "正式党员", "", "")]
    assert upload(admin, roster_csv(rows))[0] == 201
    assert [p["phone"] for p in roster(admin)] == ["13800000001"]


def test_an_unknown_root_is_refused_naming_the_existing_roots(admin: TestClient) -> None:
    assert upload(admin, roster_csv(PEOPLE))[0] == 201
    rows = [("钱七", "13800000007", "机关党委会/第一党支部", "正式党员", "", ""),
            ("孙八", "13800000008", "第一党支部", "正式党员", "", "")]
    status, body = upload(admin, roster_csv(rows))
    assert status == 422
    first, second = body["errors"]
    assert (first["row"], first["column"]) == (2, "组织")
    assert "现有顶级组织：机关党委" in first["message"]
    assert "是否应为“机关党委/第一党支部”" in second["message"]
    assert len(roster(admin)) == 3


def test_a_first_import_may_start_one_tree_only(admin: TestClient) -> None:
    rows = [("钱七", "13800000007", "机关党委/第一党支部", "正式党员", "", ""),
            ("孙八", "13800000008", "机关党委会/第一党支部", "正式党员", "", "")]
    status, body = upload(admin, roster_csv(rows))
    assert status == 422
    assert [e["row"] for e in body["errors"]] == [3]


def test_english_headers_and_missing_columns(admin: TestClient) -> None:
    english = ("name", "Phone", "org", "status")
    rows = [("Li Lei", "13800000009", "机关党委", "群众")]
    assert upload(admin, roster_csv(rows, header=english))[0] == 201
    status, body = upload(admin, roster_csv(rows, header=("name", "org")))
    assert status == 422
    assert {e["column"] for e in body["errors"]} == {"手机号", "政治面貌"}


def test_filters_by_subtree_search_and_binding(admin: TestClient) -> None:
    assert upload(admin, roster_csv(PEOPLE))[0] == 201
    tree = admin.get("/api/admin/orgs", headers=AUTH).json()
    second = next(n for n in tree[0]["children"] if n["name"] == "第二党支部")
    assert [p["name"] for p in roster(admin, org_id=second["id"])] == ["王五"]
    assert len(roster(admin, org_id=tree[0]["id"])) == 3
    assert [p["name"] for p in roster(admin, q="李")] == ["李四"]
    assert [p["name"] for p in roster(admin, q="0003")] == ["王五"]
    assert len(roster(admin, bound="false")) == 3
    assert roster(admin, bound="true") == []
    assert admin.get("/api/admin/roster", headers=AUTH,
                     params={"org_id": 99999}).status_code == 404


def test_xlsx_download_reimports_and_escapes_formulas(admin: TestClient) -> None:
    rows = [*PEOPLE, ("=HYPERLINK", "13800000010", "机关党委/第一党支部", "群众", "", "@cmd")]
    # A name starting with "=" is not a valid name: the import refuses it.
    assert upload(admin, roster_csv(rows))[0] == 422
    rows[-1] = ("钱七", "13800000010", "机关党委/第一党支部", "群众", "", "+1")
    assert upload(admin, roster_csv(rows))[0] == 201
    answer = admin.get("/api/admin/roster.xlsx", headers=AUTH)
    assert answer.status_code == 200
    table = xlsx_rows(answer.content)
    assert table[0][:6] == ("姓名", "手机号", "组织", "政治面貌", "入党日期", "党内职务")
    duties = {row[0]: row[5] for row in table[1:]}
    assert duties["钱七"] == "'+1"
    assert {row[1] for row in table[1:]} >= {"13800000001", "13800000010"}
    assert upload(admin, answer.content, "roster.xlsx")[1]["created"] == 0


def test_cli_import_reports_file_and_row(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], admin: TestClient,
) -> None:
    monkeypatch.setenv("HONGXIN_DATABASE_URL", database_url)
    good = tmp_path / "good.csv"
    good.write_bytes(roster_csv(PEOPLE))
    assert cli.main(["roster", "import", str(good)]) == 0
    assert "3 people added" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(roster_csv([("张三", "1.38E+10", "机关党委", "正式党员", "", "")]))
    assert cli.main(["roster", "import", str(bad)]) == 1
    assert f"{bad}: 第 2 行「手机号」：" in capsys.readouterr().err
    assert len(roster(admin)) == 3


def test_delete_org_refused_while_people_remain(admin: TestClient) -> None:
    assert upload(admin, roster_csv(PEOPLE))[0] == 201
    tree = admin.get("/api/admin/orgs", headers=AUTH).json()
    first = next(n for n in tree[0]["children"] if n["name"] == "第一党支部")
    refused = admin.delete(f"/api/admin/orgs/{first['id']}", headers=AUTH)
    assert refused.status_code == 409
    assert "花名册中还有 2 人" in refused.json()["message"]
