from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler import digests


@given(st.lists(st.binary(max_size=300), max_size=4))
def test_the_digest_of_the_parts_is_hashlibs_of_them_joined(parts: list[bytes]) -> None:
    expected = hashlib.sha256(b"".join(parts)).digest()
    assert digests.sha256(*parts) == expected
    # CPython's own, whichever a fleet run earlier in this process left chosen
    assert digests._builtin()(b"".join(parts)).digest() == expected


def test_a_large_input_loads_openssl_and_is_hashed_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(digests, "OPENSSL_FROM", 64)
    monkeypatch.setattr(digests, "_chosen", None)
    assert digests.sha256(b"small") == hashlib.sha256(b"small").digest() and digests._chosen is None
    data = bytes(range(256)) * 5
    assert digests.sha256(data[:10], data[10:]) == hashlib.sha256(data).digest()
    assert digests._chosen is hashlib.sha256


def test_after_use_openssl_every_digest_is_openssls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(digests, "_chosen", None)
    assert digests.use_openssl() is hashlib.sha256
    assert digests.sha256(b"abc") == hashlib.sha256(b"abc").digest()
    assert digests._builtin() is not hashlib.sha256  # CPython's own is there to be chosen
