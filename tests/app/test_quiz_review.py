"""错题 shows each question as the member saw it: the attempt's option order and letters."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from app.db import Database
from app.fakewechat import FakeWeChatServer
from app.main import create_app
from app.quiz_banks.service import activate_bank, import_bank
from app.wechat import codec
from tests.app.conftest import make_settings
from tests.support.wechat import Platform, message_xml

OPTIONS = ("甲", "乙", "丙", "丁")
# Four single-choice questions (right: 乙) and one multiple-choice (right: 甲 and 丙).
BANK = ("题型,题目,选项A,选项B,选项C,选项D,答案\n"
        + "".join(f"单选,单选{n},甲,乙,丙,丁,B\n" for n in range(1, 5))
        + "多选,多选5,甲,乙,丙,丁,AC\n").encode()
RIGHT_TEXTS = {"单选": {"乙"}, "多选": {"甲", "丙"}}
FULL_WIDTH = {letter: chr(ord(letter) + 0xFEE0) for letter in "ABCD"}


@pytest.fixture
def bank(database: Database) -> None:
    with database.unit_of_work() as session:
        stored = import_bank(session, BANK, "review.csv", now=datetime.now(UTC))
        activate_bank(session, stored.id, datetime.now(UTC))


def letters_for(options: list[str], texts: set[str]) -> str:
    return "".join("ABCD"[index] for index, option in enumerate(options) if option in texts)


def wrong_choice(stem: str, options: list[str]) -> str:
    """A wrong answer in the letters shown: the first option that is not right."""
    right = RIGHT_TEXTS[stem[:2]]
    return next("ABCD"[i] for i, option in enumerate(options) if option not in right)


class Asked:
    """What the member was shown for one question, and what they answered."""

    def __init__(self, stem: str, options: list[str], given: str, expected: str) -> None:
        self.stem, self.options, self.given, self.expected = stem, options, given, expected


def check_review(asked: list[Asked], reviewed: list[Asked]) -> None:
    assert any(tuple(item.options) != OPTIONS for item in asked), "no shuffle happened"
    by_stem = {item.stem: item for item in asked}
    assert {item.stem for item in reviewed} == set(by_stem)
    for item in reviewed:
        seen = by_stem[item.stem]
        assert item.options == seen.options, item.stem
        assert item.expected == seen.expected == letters_for(
            seen.options, RIGHT_TEXTS[item.stem[:2]]), item.stem
        assert item.given == seen.given, item.stem


# --------------------------------------------------------------------------- chat


def test_chat_review_uses_the_letters_the_member_saw(
    database_url: str, platform: Platform, database: Database, bank: None
) -> None:
    with TestClient(create_app(make_settings(database_url))) as client:
        def say(words: str) -> str:
            params, body = platform.plain(message_xml("text", "o_review", content=words))
            content = codec.parse_fields(client.post("/wechat", params=params,
                                                     content=body).text)["Content"]
            assert isinstance(content, str)
            return content

        asked: list[Asked] = []
        reply = say("答题")
        for _ in range(5):
            stem = re.search(r"^(单选\d|多选\d)$", reply, re.M)
            assert stem, reply
            options = re.findall(r"^[A-D]\. (.+)$", reply, re.M)
            given = wrong_choice(stem.group(1), options)
            # Full-width letters, as Chinese keyboards type them.
            reply = say("".join(FULL_WIDTH[letter] for letter in given))
            expected = re.search(r"回答错误。正确答案：([A-D]+)", reply)
            assert expected, reply
            asked.append(Asked(stem.group(1), options, given, expected.group(1)))
        listing = say("错题")

    reviewed = []
    for block in re.split(r"^\d\. ", listing, flags=re.M)[1:]:
        found = re.search(r"正确答案：([A-D]+)（您的答案：([A-D]+)）", block)
        assert found, block
        reviewed.append(Asked(block.splitlines()[0].strip(),
                              re.findall(r"^\s+[A-D]\. (.+)$", block, re.M),
                              found.group(2), found.group(1)))
    check_review(asked, reviewed)


# --------------------------------------------------------------------------- mini-program


@pytest.fixture(scope="module")
def wechat_server() -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer() as running:
        yield running


def test_mini_program_review_uses_the_letters_the_member_saw(
    database_url: str, wechat_server: FakeWeChatServer, bank: None
) -> None:
    httpx.post(f"{wechat_server.url}/_fake/reset").raise_for_status()
    app = create_app(make_settings(database_url, wechat_api_base=wechat_server.url))
    with TestClient(app) as mp:
        token = mp.post("/api/mp/login", json={"code": "review-code"}).json()["token"]
        mp.headers["Authorization"] = f"Bearer {token}"
        question = mp.post("/api/mp/quiz/attempts").json()
        asked: list[Asked] = []
        while question is not None:
            given = wrong_choice(question["stem"], question["options"])
            verdict = mp.post(f"/api/mp/quiz/attempts/{question['attempt_id']}/answers",
                              json={"position": question["position"], "answer": given})
            assert verdict.status_code == 200, verdict.text
            asked.append(Asked(question["stem"], question["options"], given,
                               verdict.json()["expected"]))
            question = verdict.json()["next_question"]
        wrong = mp.get("/api/mp/quiz/wrong-answers").json()

    check_review(asked, [Asked(w["stem"], w["options"], w["given"], w["expected"])
                         for w in wrong])
