"""`@record`'s `__init__` templates, one per shape of fields the package's records have,
compiled with the package (its bytecode is cached as any module's) instead of at every
start-up. Generated: `python -m reconciler.records > reconciler/recordinits.py`; do not edit
(tests/test_records.py holds it to what records writes).
"""

# fmt: off
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

# Placeholders: records runs each template with globals (and defaults) of its own.
_MISSING: Any = None
_object_setattr: Any = None
_factory__0: Any = None
_factory__4: Any = None


def _shape0(self: Any, _0: Any = _MISSING) -> None:
    _object_setattr(self, "_0", _0)


def _shape1(self: Any, _0: Any = _MISSING, _1: Any = _MISSING) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)


def _shape2(self: Any, _0: Any = _MISSING, _1: Any = _MISSING, _2: Any = _MISSING) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)


def _shape3(self: Any, _0: Any = _MISSING, _1: Any = _MISSING, _2: Any = _MISSING, _3: Any = _MISSING) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    _object_setattr(self, "_3", _3)


def _shape4(self: Any, _0: Any = _MISSING, _1: Any = _MISSING, _2: Any = _MISSING, _3: Any = _MISSING, _4: Any = _MISSING, _5: Any = _MISSING) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    _object_setattr(self, "_3", _3)
    _object_setattr(self, "_4", _4)
    _object_setattr(self, "_5", _5)


def _shape5(self: Any, _0: Any = _MISSING, _1: Any = _MISSING, _2: Any = _MISSING, _3: Any = _MISSING, _4: Any = _MISSING) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    _object_setattr(self, "_3", _3)
    _object_setattr(self, "_4", _factory__4() if _4 is _MISSING else _4)


def _shape6(self: Any, _0: Any = _MISSING, _1: Any = _MISSING, _2: Any = _MISSING) -> None:
    _object_setattr(self, "_0", _factory__0() if _0 is _MISSING else _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)


def _shape7(self: Any, _0: Any) -> None:
    _object_setattr(self, "_0", _0)


def _shape8(self: Any, _0: Any, _1: Any = _MISSING, _2: Any = _MISSING, _3: Any = _MISSING) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    _object_setattr(self, "_3", _3)


def _shape9(self: Any, _0: Any, _1: Any = _MISSING, _2: Any = _MISSING, _3: Any = _MISSING, _4: Any = _MISSING) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    _object_setattr(self, "_3", _3)
    _object_setattr(self, "_4", _4)


def _shape10(self: Any, _0: Any, _1: Any) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)


def _shape11(self: Any, _0: Any, _1: Any, _2: Any = _MISSING) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)


def _shape12(self: Any, _0: Any, _1: Any, _2: Any = _MISSING, _3: Any = _MISSING) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    _object_setattr(self, "_3", _3)


def _shape13(self: Any, _0: Any, _1: Any, _2: Any = _MISSING, _3: Any = _MISSING, _4: Any = _MISSING, _5: Any = _MISSING, _6: Any = _MISSING, _7: Any = _MISSING, _8: Any = _MISSING) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    _object_setattr(self, "_3", _3)
    _object_setattr(self, "_4", _4)
    _object_setattr(self, "_5", _5)
    _object_setattr(self, "_6", _6)
    _object_setattr(self, "_7", _7)
    _object_setattr(self, "_8", _8)


def _shape14(self: Any, _0: Any, _1: Any, _2: Any) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)


def _shape15(self: Any, _0: Any, _1: Any, _2: Any) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    self.__post_init__()


def _shape16(self: Any, _0: Any, _1: Any, _2: Any, _3: Any = _MISSING, _4: Any = _MISSING) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    _object_setattr(self, "_3", _3)
    _object_setattr(self, "_4", _4)


def _shape17(self: Any, _0: Any, _1: Any, _2: Any, _3: Any) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    _object_setattr(self, "_3", _3)


def _shape18(self: Any, _0: Any, _1: Any, _2: Any, _3: Any, _4: Any = _MISSING, _5: Any = _MISSING) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    _object_setattr(self, "_3", _3)
    _object_setattr(self, "_4", _4)
    _object_setattr(self, "_5", _5)


def _shape19(self: Any, _0: Any, _1: Any, _2: Any, _3: Any, _4: Any) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    _object_setattr(self, "_3", _3)
    _object_setattr(self, "_4", _4)


def _shape20(self: Any, _0: Any, _1: Any, _2: Any, _3: Any, _4: Any, _5: Any = _MISSING) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    _object_setattr(self, "_3", _3)
    _object_setattr(self, "_4", _4)
    _object_setattr(self, "_5", _5)


def _shape21(self: Any, _0: Any, _1: Any, _2: Any, _3: Any, _4: Any, _5: Any, _6: Any = _MISSING, _7: Any = _MISSING, _8: Any = _MISSING) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    _object_setattr(self, "_3", _3)
    _object_setattr(self, "_4", _4)
    _object_setattr(self, "_5", _5)
    _object_setattr(self, "_6", _6)
    _object_setattr(self, "_7", _7)
    _object_setattr(self, "_8", _8)


def _shape22(self: Any, _0: Any, _1: Any, _2: Any, _3: Any, _4: Any, _5: Any, _6: Any) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    _object_setattr(self, "_3", _3)
    _object_setattr(self, "_4", _4)
    _object_setattr(self, "_5", _5)
    _object_setattr(self, "_6", _6)


def _shape23(self: Any, _0: Any, _1: Any, _2: Any, _3: Any, _4: Any, _5: Any, _6: Any, _7: Any = _MISSING, _8: Any = _MISSING, _9: Any = _MISSING, _10: Any = _MISSING) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    _object_setattr(self, "_3", _3)
    _object_setattr(self, "_4", _4)
    _object_setattr(self, "_5", _5)
    _object_setattr(self, "_6", _6)
    _object_setattr(self, "_7", _7)
    _object_setattr(self, "_8", _8)
    _object_setattr(self, "_9", _9)
    _object_setattr(self, "_10", _10)


def _shape24(self: Any, _0: Any, _1: Any, _2: Any, _3: Any, _4: Any, _5: Any, _6: Any, _7: Any = _MISSING, _8: Any = _MISSING, _9: Any = _MISSING, _10: Any = _MISSING, _11: Any = _MISSING, _12: Any = _MISSING) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    _object_setattr(self, "_3", _3)
    _object_setattr(self, "_4", _4)
    _object_setattr(self, "_5", _5)
    _object_setattr(self, "_6", _6)
    _object_setattr(self, "_7", _7)
    _object_setattr(self, "_8", _8)
    _object_setattr(self, "_9", _9)
    _object_setattr(self, "_10", _10)
    _object_setattr(self, "_11", _11)
    _object_setattr(self, "_12", _12)


def _shape25(self: Any, _0: Any, _1: Any, _2: Any, _3: Any, _4: Any, _5: Any, _6: Any, _7: Any, _8: Any) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    _object_setattr(self, "_3", _3)
    _object_setattr(self, "_4", _4)
    _object_setattr(self, "_5", _5)
    _object_setattr(self, "_6", _6)
    _object_setattr(self, "_7", _7)
    _object_setattr(self, "_8", _8)


def _shape26(self: Any, _0: Any, _1: Any, _2: Any, _3: Any, _4: Any, _5: Any, _6: Any, _7: Any, _8: Any, _9: Any) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    _object_setattr(self, "_3", _3)
    _object_setattr(self, "_4", _4)
    _object_setattr(self, "_5", _5)
    _object_setattr(self, "_6", _6)
    _object_setattr(self, "_7", _7)
    _object_setattr(self, "_8", _8)
    _object_setattr(self, "_9", _9)


def _shape27(self: Any, _0: Any, _1: Any, _2: Any, _3: Any, _4: Any, _5: Any, _6: Any, _7: Any, _8: Any, _9: Any, _10: Any, _11: Any, _12: Any, _13: Any, _14: Any) -> None:
    _object_setattr(self, "_0", _0)
    _object_setattr(self, "_1", _1)
    _object_setattr(self, "_2", _2)
    _object_setattr(self, "_3", _3)
    _object_setattr(self, "_4", _4)
    _object_setattr(self, "_5", _5)
    _object_setattr(self, "_6", _6)
    _object_setattr(self, "_7", _7)
    _object_setattr(self, "_8", _8)
    _object_setattr(self, "_9", _9)
    _object_setattr(self, "_10", _10)
    _object_setattr(self, "_11", _11)
    _object_setattr(self, "_12", _12)
    _object_setattr(self, "_13", _13)
    _object_setattr(self, "_14", _14)


TEMPLATES: dict[tuple[tuple[str, ...], bool], Callable[..., None]] = {
    (('default',), False): _shape0,
    (('default', 'default'), False): _shape1,
    (('default', 'default', 'default'), False): _shape2,
    (('default', 'default', 'default', 'default'), False): _shape3,
    (('default', 'default', 'default', 'default', 'default', 'default'), False): _shape4,
    (('default', 'default', 'default', 'default', 'factory'), False): _shape5,
    (('factory', 'default', 'default'), False): _shape6,
    (('required',), False): _shape7,
    (('required', 'default', 'default', 'default'), False): _shape8,
    (('required', 'default', 'default', 'default', 'default'), False): _shape9,
    (('required', 'required'), False): _shape10,
    (('required', 'required', 'default'), False): _shape11,
    (('required', 'required', 'default', 'default'), False): _shape12,
    (('required', 'required', 'default', 'default', 'default', 'default', 'default', 'default', 'default'), False): _shape13,
    (('required', 'required', 'required'), False): _shape14,
    (('required', 'required', 'required'), True): _shape15,
    (('required', 'required', 'required', 'default', 'default'), False): _shape16,
    (('required', 'required', 'required', 'required'), False): _shape17,
    (('required', 'required', 'required', 'required', 'default', 'default'), False): _shape18,
    (('required', 'required', 'required', 'required', 'required'), False): _shape19,
    (('required', 'required', 'required', 'required', 'required', 'default'), False): _shape20,
    (('required', 'required', 'required', 'required', 'required', 'required', 'default', 'default', 'default'), False): _shape21,
    (('required', 'required', 'required', 'required', 'required', 'required', 'required'), False): _shape22,
    (('required', 'required', 'required', 'required', 'required', 'required', 'required', 'default', 'default', 'default', 'default'), False): _shape23,
    (('required', 'required', 'required', 'required', 'required', 'required', 'required', 'default', 'default', 'default', 'default', 'default', 'default'), False): _shape24,
    (('required', 'required', 'required', 'required', 'required', 'required', 'required', 'required', 'required'), False): _shape25,
    (('required', 'required', 'required', 'required', 'required', 'required', 'required', 'required', 'required', 'required'), False): _shape26,
    (('required', 'required', 'required', 'required', 'required', 'required', 'required', 'required', 'required', 'required', 'required', 'required', 'required', 'required', 'required'), False): _shape27,
}
