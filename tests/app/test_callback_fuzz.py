"""Property tests for /wechat: whatever arrives, the answer is 200 or 4xx, never a 500."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.main import create_app
from app.wechat.signature import sign
from tests.app.conftest import make_settings
from tests.support.wechat import SAMPLES, TOKEN, Platform, message_xml

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from app import migrations

    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    migrations.upgrade(url)
    with TestClient(create_app(make_settings(url))) as client:
        yield client


def mutate(xml: str, rng: random.Random) -> bytes:
    data = bytearray(xml.encode())
    for _ in range(rng.randint(1, 8)):
        choice = rng.random()
        position = rng.randrange(len(data))
        if choice < 0.4:
            data[position] = rng.randrange(256)
        elif choice < 0.7:
            del data[position:position + rng.randint(1, 20)]
        else:
            data[position:position] = rng.choice([b"<", b">", b"&", b"]]>", b"\x00", b"<x>",
                                                  b"</xml>", b"&amp;", b"\xff\xfe"])
    return bytes(data)


@FUZZ
@given(body=st.binary(max_size=4096))
def test_arbitrary_bytes_are_refused_cleanly(fuzz_client: TestClient, body: bytes) -> None:
    response = fuzz_client.post("/wechat", params=Platform().params(), content=body)
    assert response.status_code in (200, 400, 403, 413)


@FUZZ
@given(kind=st.sampled_from(sorted(SAMPLES)), seed=st.integers(0, 2**32 - 1),
       text=st.text(max_size=200))
def test_mutated_platform_xml_never_fails_the_server(fuzz_client: TestClient, kind: str,
                                                     seed: int, text: str) -> None:
    rng = random.Random(seed)
    xml = message_xml(kind, f"o_fuzz_{seed % 50}", content=text.replace("]]>", ""))
    body = mutate(xml, rng) if rng.random() < 0.8 else xml.encode()
    response = fuzz_client.post("/wechat", params=Platform().params(), content=body)
    assert response.status_code in (200, 400, 403)
    if response.status_code == 200:
        assert response.text == "success" or response.text.startswith("<xml>")


@FUZZ
@given(params=st.dictionaries(
    st.sampled_from(["signature", "timestamp", "nonce", "encrypt_type", "msg_signature",
                     "echostr"]),
    st.text(max_size=60), max_size=6))
def test_random_signature_parameters_are_refused(fuzz_client: TestClient,
                                                 params: dict[str, str]) -> None:
    body = message_xml("text").encode()
    assert fuzz_client.post("/wechat", params=params, content=body).status_code in (400, 403)
    assert fuzz_client.get("/wechat", params=params).status_code == 403


ABSURD_TIMESTAMPS = st.one_of(
    st.integers(min_value=10**11).map(str),  # huge: 300 digits overflowed a float
    st.integers(max_value=-1).map(str),
    st.just(""),
    st.text(max_size=40),  # non-digits, including digits of other scripts ("²", "٣")
    st.sampled_from(["9" * 300, "9" * 5000, "²", "١٢٣", "1e9", " 1", "+1", "0x10"]),
)
ABSURD_NONCES = st.one_of(st.just(""), st.text(max_size=200),
                          st.sampled_from(["0" * 65, "\u3000", "😀" * 20]))


@FUZZ
@given(timestamp=ABSURD_TIMESTAMPS, nonce=ABSURD_NONCES)
def test_correctly_signed_absurd_timestamps_and_nonces_get_4xx(
    fuzz_client: TestClient, timestamp: str, nonce: str
) -> None:
    """The signature holds, so only the timestamp's and nonce's own checks can refuse them."""
    params = {"timestamp": timestamp, "nonce": nonce,
              "signature": sign(TOKEN, timestamp, nonce), "echostr": "42"}
    posted = fuzz_client.post("/wechat", params=params, content=message_xml("text").encode())
    assert 400 <= posted.status_code < 500, (posted.status_code, posted.text)
    checked = fuzz_client.get("/wechat", params=params)
    assert 400 <= checked.status_code < 500, (checked.status_code, checked.text)
