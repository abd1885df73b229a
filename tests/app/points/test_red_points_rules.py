"""The rules catalogue: versioned edits, automatic awards by the version in force, refusals."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.red_points import AUTH, OPENIDS, Branch


def rules(client: TestClient) -> dict[str, object]:
    response = client.get("/api/admin/points/rules", headers=AUTH)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def by_activity(catalogue: dict[str, object]) -> dict[str, dict[str, object]]:
    listed = catalogue["rules"]
    assert isinstance(listed, list)
    return {rule["activity"]: rule for rule in listed}


def test_the_catalogue_lists_every_activity_meeting_kind_deed_and_weight(branch: Branch) -> None:
    catalogue = rules(branch.client)
    assert catalogue["version"] == 1
    listed = by_activity(catalogue)
    for activity in ("lesson_read", "answer_correct", "contest", "event_checkin",
                     "meeting_branch_assembly", "meeting_committee", "meeting_group_meeting",
                     "meeting_party_lecture", "meeting_theme_day", "meeting_life_meeting",
                     "meeting_democratic_review", "meeting_absence", "volunteer_hours",
                     "deed_volunteer", "deed_pairing", "deed_advice", "deed_pioneer",
                     "deed_other"):
        assert activity in listed, activity
    assert listed["volunteer_hours"]["per_hour"] is True
    assert isinstance(listed["meeting_absence"]["points"], int)
    assert listed["meeting_absence"]["points"] < 0
    assert set(catalogue["weights"]) == {"学习", "组织生活", "志愿服务", "先锋作用"}  # type: ignore[arg-type]


def test_an_edit_is_a_new_version_and_earlier_lines_keep_theirs(branch: Branch) -> None:
    branch.check_in(OPENIDS["张甲"])
    saved = branch.client.put("/api/admin/points/rules", headers=AUTH, json={
        "rules": {"event_checkin": {"points": 7, "category": "组织生活", "daily_cap": 20}},
        "weights": {"学习": 1, "组织生活": 2, "志愿服务": 1, "先锋作用": 1}})
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 2 and saved.json()["created_by"] == "admin"
    assert by_activity(saved.json())["event_checkin"]["points"] == 7
    assert by_activity(saved.json())["lesson_read"]["points"] == 1  # left out: kept
    assert rules(branch.client)["weights"] == {"学习": 1, "组织生活": 2, "志愿服务": 1,
                                               "先锋作用": 1}
    branch.check_in(OPENIDS["张甲"])

    ledger = branch.record("张甲")["ledger"]
    assert isinstance(ledger, list)
    assert [(line["activity"], line["delta"], line["rule_version"], line["recorded_by"],
             line["category"]) for line in ledger] == [
        ("event_checkin", 3, 1, "system", "组织生活"),
        ("event_checkin", 7, 2, "system", "组织生活")]


def test_a_cap_cuts_automatic_awards_to_nothing(branch: Branch) -> None:
    assert branch.client.put("/api/admin/points/rules", headers=AUTH, json={
        "rules": {"event_checkin": {"points": 3, "category": "组织生活",
                                    "daily_cap": 5}}}).status_code == 200
    for _ in range(3):
        branch.check_in(OPENIDS["李乙"])
    record = branch.record("李乙")
    assert [line["delta"] for line in record["ledger"]] == [3, 2, 0]  # type: ignore[union-attr]
    assert record["total"] == 5


def test_bad_rules_are_refused_by_field_and_nothing_is_saved(branch: Branch) -> None:
    refused = branch.client.put("/api/admin/points/rules", headers=AUTH, json={
        "rules": {"lesson_read": {"points": 5000}, "sleeping": {"points": 1},
                  "contest": {"points": 2, "daily_cap": 0},
                  "deed_other": {"points": 2, "category": "娱乐"}},
        "weights": {"体育": 1}})
    assert refused.status_code == 422, refused.text
    fields = {error["field"] for error in refused.json()["errors"]}
    assert fields == {"rules.lesson_read.points", "rules.sleeping", "rules.contest.daily_cap",
                      "rules.deed_other.category", "weights.体育"}
    assert "分值" in refused.json()["message"]
    all_zero = branch.client.put("/api/admin/points/rules", headers=AUTH, json={
        "weights": {"学习": 0, "组织生活": 0, "志愿服务": 0, "先锋作用": 0}})
    assert all_zero.status_code == 422 and all_zero.json()["errors"][0]["field"] == "weights"
    assert rules(branch.client)["version"] == 1


def test_organizers_read_the_rules_but_only_admins_edit_them(branch: Branch) -> None:
    organizer = branch.organizer()
    assert branch.client.get("/api/admin/points/rules", headers=organizer).status_code == 200
    assert branch.client.put("/api/admin/points/rules", headers=organizer,
                             json={"rules": {}}).status_code == 403
    assert branch.client.get("/api/admin/points/rules").status_code == 401
