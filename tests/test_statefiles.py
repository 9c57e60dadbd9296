from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import UserError
from reconciler.model import statefiles
from tests.support import CASES, STATES


def copy(src: Path, dst: Path, name: str | None = None) -> Path:
    text = src.read_text(encoding="utf-8")
    if name:
        text = text.replace("name: v2-100k", f"name: {name}")
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(text, encoding="utf-8")
    return dst


def test_folders_are_searched_recursively_in_order_skipping_hidden(tmp_path: Path) -> None:
    src = CASES / "valid" / "v2-100k.yaml"
    copy(src, tmp_path / "b" / "two.yml", "two")
    copy(src, tmp_path / "a.yaml", "one")
    copy(src, tmp_path / ".git" / "x.yaml", "hidden")
    (tmp_path / "notes.txt").write_text("not a state")
    files, problems = statefiles.discover([str(tmp_path)])
    assert problems == []
    assert [Path(p).relative_to(tmp_path).as_posix() for p in files] == ["a.yaml", "b/two.yml"]


def test_a_file_named_twice_is_loaded_once() -> None:
    one = str(STATES / "contoso-aadc01.yaml")
    assert len(statefiles.load_all([one, one])) == 1


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UserError) as exc:
        statefiles.load_all([str(tmp_path)])
    assert str(exc.value) == f"{tmp_path}: folder holds no state files (*.yaml, *.yml)"


def test_two_files_for_one_server_are_refused(tmp_path: Path) -> None:
    src = CASES / "valid" / "v2-100k.yaml"
    copy(src, tmp_path / "a.yaml", "same")
    copy(src, tmp_path / "b.yaml", "same")
    with pytest.raises(UserError) as exc:
        statefiles.load_all([str(tmp_path)])
    assert str(exc.value) == f"{tmp_path / 'b.yaml'}: metadata.name 'same' is also declared in {tmp_path / 'a.yaml'}"


def test_valid_files_load_into_states() -> None:
    loaded = statefiles.load_all([str(STATES)])
    assert sorted(f.state.name for f in loaded) == [
        "contoso-aadc01",
        "contoso-aadc02",
        "fabrikam-aadc01",
        "tailspin-aadc01",
    ]


def test_a_folder_yields_what_rglob_with_the_state_file_rule_yields(tmp_path: Path) -> None:
    """Hidden entries skipped at any depth, links to files kept, links to folders and broken ones not."""
    root = tmp_path / "states"
    for relative in ["a.yaml", "b.yml", "c.txt", ".hidden.yaml", "sub/d.yaml", ".git/e.yaml", "sub/.x/f.yaml",
                     "sub/deeper/g.YAML", "x.yaml.bak", "h.yaml/i.yaml", "a.b.yaml"]:  # fmt: skip
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text("x", encoding="utf-8")
    (root / "link.yaml").symlink_to(root / "a.yaml")
    (root / "broken.yaml").symlink_to(root / "nope.yaml")
    (root / "dirlink.yaml").symlink_to(root / "sub")
    by_rglob = sorted(
        p
        for p in root.rglob("*")
        if p.suffix in statefiles.STATE_SUFFIXES
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    found, problems = statefiles.discover([str(root)])
    assert found == list(map(str, by_rglob)) and not problems
    assert [Path(p).relative_to(root).as_posix() for p in found] == [
        "a.b.yaml", "a.yaml", "b.yml", "h.yaml/i.yaml", "link.yaml", "sub/d.yaml"
    ]  # fmt: skip


@pytest.mark.parametrize("spelling", [".", "./", "states", "./states", "states/", "states//", "./states/./", "ABS"])
def test_each_file_is_shown_and_ordered_as_its_path_is(
    tmp_path: Path, spelling: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The strings discover gives are what str(Path) shows for each file, in Path order, however
    the folder is spelled: "./states//a.yaml" is shown "states/a.yaml", as before."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "states"
    for relative in ["a.yaml", "a.b.yaml", "a/x.yaml", "a-b.yml", "B.yaml", "sub/deeper/c.yaml", "sub.yaml"]:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text("x", encoding="utf-8")
    argument = str(root) if spelling == "ABS" else spelling
    if spelling.startswith(".") and spelling.rstrip("/") == ".":
        monkeypatch.chdir(root)
    found, problems = statefiles.discover([argument])
    by_paths = sorted(p for p in Path(argument).rglob("*") if p.suffix in statefiles.STATE_SUFFIXES and p.is_file())
    assert not problems
    assert found == [str(p) for p in by_paths]
    assert len(found) == 7


def test_a_file_named_and_in_a_folder_named_is_kept_once_where_first_named(tmp_path: Path) -> None:
    copy(CASES / "valid" / "v2-100k.yaml", tmp_path / "a.yaml", "one")
    copy(CASES / "valid" / "v2-100k.yaml", tmp_path / "b.yaml", "two")
    found, _ = statefiles.discover([str(tmp_path / "b.yaml"), str(tmp_path) + "/", str(tmp_path / "." / "b.yaml")])
    assert found == [str(tmp_path / "b.yaml"), str(tmp_path / "a.yaml")]


# Names as a listing gives them to discover: hidden ones (and "." and "..") are skipped before.
# Letters whose cases fold differently by str.lower and Windows' own mapping are among them.
NAMES = st.text("ab.-_A0İiß\U00010400\U00010428\U00010401", min_size=1, max_size=4).filter(
    lambda name: not name.startswith(".")
)


@given(st.lists(st.lists(NAMES, min_size=1, max_size=4), max_size=12))
def test_files_are_ordered_as_their_paths_are(parts: list[list[str]]) -> None:
    names = [os.path.join("states", *p) for p in parts]
    assert sorted(names, key=statefiles._path_order) == [str(p) for p in sorted(map(Path, names))]


@pytest.mark.parametrize(("flavour", "caseless"), [(PurePosixPath, False), (PureWindowsPath, True)])
@given(parts=st.lists(st.lists(NAMES, min_size=1, max_size=4), max_size=12))
def test_each_flavour_of_path_orders_as_its_key_says(
    flavour: type[PurePosixPath] | type[PureWindowsPath], caseless: bool, parts: list[list[str]]
) -> None:
    separator = "\\" if caseless else "/"
    names = [separator.join(["states", *p]) for p in parts]
    expected = [str(p) for p in sorted(map(flavour, names))]
    assert sorted(names, key=statefiles.order_key(separator, caseless)) == expected


def test_an_empty_argument_names_no_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    copy(CASES / "valid" / "v2-100k.yaml", tmp_path / "a.yaml")
    found, problems = statefiles.discover([""])
    assert found == [] and [p.message for p in problems] == ["folder holds no state files (*.yaml, *.yml)"]
