from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import UserError
from reconciler.formats import files, yamlsource
from reconciler.formats.yamlsource import Position


def problems_of(text: str) -> list[str]:
    with pytest.raises(UserError) as exc:
        yamlsource.parse(text, "f.yaml")
    return [str(p) for p in exc.value.problems]


def test_positions_of_keys_and_values() -> None:
    doc = yamlsource.parse("a:\n  b: [1, 2]\n  c: x\n", "f.yaml")
    assert doc.data == {"a": {"b": [1, 2], "c": "x"}}
    assert doc.keys[("a", "b")] == Position(2, 3)
    assert doc.values[("a", "b")] == Position(2, 6)
    assert doc.values[("a", "b", 1)] == Position(2, 10)
    assert doc.values[("a", "c")] == Position(3, 6)


def test_locate_falls_back_to_nearest_ancestor() -> None:
    doc = yamlsource.parse("a:\n  b: 1\n", "f.yaml")
    assert doc.locate(("a", "missing", "deeper")) == Position(1, 1)


def test_every_duplicate_key_reported_at_the_second_occurrence() -> None:
    assert problems_of("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n") == [
        "f.yaml:4:3: duplicate key 'c' (first defined at line 3)",
        "f.yaml:5:1: duplicate key 'a' (first defined at line 1)",
    ]


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n"])
def test_yaml_1_1_booleans_stay_strings(word: str) -> None:
    assert yamlsource.parse(f"a: {word}\n", "f.yaml").data == {"a": word}


@pytest.mark.parametrize(("text", "value"), [("true", True), ("False", False), ("TRUE", True)])
def test_core_schema_booleans(text: str, value: bool) -> None:
    assert yamlsource.parse(f"a: {text}\n", "f.yaml").data == {"a": value}


def test_dates_stay_strings_and_ints_parse() -> None:
    assert yamlsource.parse("d: 2026-11-21\ni: 100000\nn: null\n", "f.yaml").data == {
        "d": "2026-11-21",
        "i": 100000,
        "n": None,
    }


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    with pytest.raises(UserError) as exc:
        yamlsource.parse("\n".join(lines) + "\n", "f.yaml")
    assert "alias bomb" in str(exc.value)


def test_non_string_keys_are_refused() -> None:
    assert problems_of("1: a\n") == ["f.yaml:1:1: YAML: keys must be strings"]


def test_file_over_one_mebibyte(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * (1024 * 1024) + "\n")
    with pytest.raises(UserError) as exc:
        yamlsource.load(big)
    assert str(exc.value) == f"{big}: file is {1024 * 1024 + 4} bytes; state files are limited to 1 MiB"


def test_scalar_document(tmp_path: Path) -> None:
    assert problems_of("just text\n") == ["f.yaml:1:1: the document must be a mapping, not a str scalar"]


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(UserError) as exc:
        yamlsource.load(tmp_path)
    assert str(exc.value).endswith("is a directory, not a file")


def test_dump_keeps_key_order_and_round_trips() -> None:
    data = {"z": 1, "a": {"y": True, "b": None}, "s": "Out to AAD \u2013 Group Join"}
    text = yamlsource.dump(data, header="# h\n")
    assert text.startswith("# h\nz: 1\na:\n")
    assert yamlsource.parse(text, "f.yaml").data == data


@pytest.mark.parametrize(
    "value", ["075000", "0132", "1:30", "0b1011010", "0x5A", "100_000", "1_0_0_0_0", "90_0", "1_000.5"]
)
def test_yaml_1_1_numbers_are_refused_not_guessed(value: str) -> None:
    """YAML 1.1 reads 075000 as 31232 and 1:30 as 90; neither guess is taken."""
    with pytest.raises(UserError) as caught:
        yamlsource.parse(f"limit: {value}\n", "f.yaml")
    assert str(caught.value) == (
        f"f.yaml:1:8: YAML: {value!r} is not a plain decimal number (YAML 1.1 reads leading zeros, 0b, 0x, _ "
        "and : as other bases); write it in decimal, or quote it if it is text"
    )
    assert yamlsource.parse(f"limit: '{value}'\n", "f.yaml").data == {"limit": value}


def test_control_characters_and_deep_nesting_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(UserError) as caught:
        yamlsource.parse("apiVersion: reconciler/v1\nkind: Sync\x00Server\n", "f.yaml")
    assert str(caught.value) == "f.yaml:2:11: YAML: control character U+0000 is not allowed in a state file"
    with pytest.raises(UserError, match=r"^f.yaml: YAML: nested too deeply to be a state file$"):
        yamlsource.parse("a: " + "[" * 3000 + "]" * 3000 + "\n", "f.yaml")


def test_a_number_of_thousands_of_digits_is_one_line() -> None:
    with pytest.raises(UserError, match=r"^f.yaml:1:8: YAML: a number of 5000 digits is not one a state file holds$"):
        yamlsource.parse("limit: " + "9" * 5000 + "\n", "f.yaml")


@given(st.text(max_size=40), st.booleans())
def test_a_byte_order_mark_is_read_as_utf_8_sig_reads_it(text: str, marked: bool) -> None:
    data = (b"\xef\xbb\xbf" if marked else b"") + text.encode("utf-8")
    assert files.without_bom(data).decode("utf-8") == data.decode("utf-8-sig")


def test_a_bad_byte_after_a_byte_order_mark_is_located_in_the_text(tmp_path: Path) -> None:
    path = tmp_path / "marked.yaml"
    path.write_bytes(b"\xef\xbb\xbfserver:\n  name: caf\xe9\n")
    with pytest.raises(UserError) as exc:
        yamlsource.read_text(path, str(path))
    assert [str(p) for p in exc.value.problems] == [f"{path}:2:12: not UTF-8 text (byte 0xe9)"]
