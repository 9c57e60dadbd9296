"""SHA-256 for the plan's and the observed state's digests, by the implementation cheaper here.

`import hashlib` loads OpenSSL's libcrypto: 2.2 ms of every start-up, more than a plan of one
server spends hashing (~50 KB) with CPython's own SHA-256 (`_sha256`; `_sha2` from 3.12), which
is 4.7 times slower per byte (116 µs against 25 µs for 40 KB on the machines of issue 14). So a
small input is hashed by CPython's, and OpenSSL is loaded for a large one (the break-even is about
1 MB: 2.2 ms at 2.3 ns a byte), or for good by a run that hashes many (a fleet, `use_openssl`).
Both are SHA-256: the digests are the same bytes (tested against hashlib's).
"""

from __future__ import annotations

import functools
import importlib
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from hashlib import _Hash

    _Sha256 = Callable[[bytes], _Hash]

OPENSSL_FROM = 1 << 20


@functools.cache
def _builtin() -> _Sha256:
    if sys.implementation.name != "cpython":  # another Python's module of that name may be pure Python
        return use_openssl()
    for name in ("_sha2", "_sha256"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        sha256: _Sha256 = module.sha256
        return sha256
    return use_openssl()  # a CPython built without its own SHA-256


_chosen: _Sha256 | None = None  # OpenSSL's, once loaded: from then on it is the cheaper one


def use_openssl() -> _Sha256:
    """OpenSSL's from now on: for a run about to hash many documents (and the processes it forks)."""
    global _chosen  # noqa: PLW0603 - one choice for the whole process, made once
    import hashlib  # noqa: PLC0415 - the 2.2 ms this module spends only when it pays

    _chosen = hashlib.sha256
    return _chosen


def sha256(*parts: bytes) -> bytes:
    """The SHA-256 digest of the parts one after the other."""
    chosen = _chosen
    if chosen is None:
        chosen = _builtin() if sum(map(len, parts)) < OPENSSL_FROM else use_openssl()
    hasher = chosen(parts[0] if parts else b"")
    for part in parts[1:]:
        hasher.update(part)
    return hasher.digest()
