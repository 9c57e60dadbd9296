"""Finding and loading state files: YAML, then schema, then semantic rules, for every file.

Every problem of every file is collected before anything is reported, so a user fixes a whole
repository in one pass. Nothing here talks to a server.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import Problem, UserError
from reconciler.formats import schemas, yamlsource
from reconciler.model import desired, validation
from reconciler.model.desired import DesiredState

STATE_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class StateFile:
    path: str
    state: DesiredState


def discover(arguments: Iterable[str]) -> tuple[list[str], list[Problem]]:
    """The state files named, folders expanded (recursively, sorted, hidden entries skipped).

    Each as `str(Path(...))` shows it and in the order `sorted` puts Paths in, without making a
    Path of each: a fleet's parent lists 10,000 files before any worker starts (Path objects cost
    three quarters of that), and the workers are sent plain strings."""
    files: list[str] = []
    problems: list[Problem] = []
    for arg in arguments:
        path = Path(arg)
        if path.is_dir():
            found = sorted(_state_files(arg, str(path)), key=_path_order)
            if not found:
                problems.append(Problem(arg, None, None, "folder holds no state files (*.yaml, *.yml)"))
            files.extend(found)
        elif path.exists():
            files.append(str(path))
        else:
            problems.append(Problem(arg, None, None, "no such file or folder"))
    # A file named twice (or named and in a folder named) once, where first named; two names are
    # one file where their Paths are equal.
    unique: dict[str, str] = {}
    for file in files:
        unique.setdefault(_case(file), file)
    return list(unique.values()), problems


def order_key(separator: str, caseless: bool) -> Callable[[str], str]:
    """How Paths of a flavour order their strings: part by part ("a/x.yaml" before "a.b.yaml"),
    Windows' with str.lower (pathlib's own folding, 3.10-3.13; not os.path.normcase, which folds
    some characters otherwise). Parts joined by NUL, which no name holds and which sorts before
    every character, compare as the lists of parts do."""
    if caseless:
        return lambda path: path.lower().replace(separator, "\0")
    return lambda path: path.replace(separator, "\0")


_CASELESS = os.name == "nt"
_path_order = order_key(os.sep, _CASELESS)
_case: Callable[[str], str] = str.lower if _CASELESS else str


def _state_files(folder: str, shown: str) -> Iterator[str]:
    """The state files under `folder` as str(Path) shows them (`shown`: str(Path(folder))),
    hidden entries skipped, symbolic links to folders not followed (as Path.rglob does), by one
    directory listing a folder: a fleet's 10,000 files are not each asked again whether they are
    files. `folder` is listed as given (an empty one names none, as it never did)."""
    pending = [(folder, shown)]
    while pending:
        current, display = pending.pop()
        try:
            listing = os.scandir(current)
        except OSError:
            continue  # a folder we may not read holds nothing for us, as for rglob
        # What os.path.join(display, name) gives; Path("./a.yaml") shows "a.yaml".
        head = "" if display == "." else os.path.join(display, "")
        with listing:
            for entry in listing:
                name = entry.name
                if name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append((head + name, head + name))
                elif name.endswith(STATE_SUFFIXES) and _is_file(entry):  # as splitext: no hidden names here
                    yield head + name


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:  # a symlink loop: that file's problem, said when it is read; the others still run
        return True


def load_one(path: str) -> tuple[StateFile | None, list[Problem]]:
    try:
        doc = yamlsource.load(path, path)
    except UserError as exc:
        return None, list(exc.problems)
    problems = schemas.check(doc, schemas.DESIRED_STATE) + validation.check(doc)
    if problems:
        return None, problems
    return StateFile(path, desired.from_document(doc.data)), []


def same_server(name: str) -> str:
    """What two names of one server share: Windows names files without regard to case, so `srv1` and
    `SRV1` would share one journal and one simulator file there."""
    return name.lower()


def duplicate_problem(path: str, name: str, first_path: str, first_name: str | None = None) -> Problem:
    if first_name is not None and first_name != name:
        return Problem(
            path,
            None,
            None,
            f"metadata.name '{name}' differs only in case from '{first_name}' in {first_path}; "
            "on Windows both would share one journal and one simulator file",
        )
    return Problem(path, None, None, f"metadata.name '{name}' is also declared in {first_path}")


def _duplicate_names(loaded: Sequence[StateFile]) -> list[Problem]:
    # Two files for one server would fight over its simulator, journal and settings.
    first: dict[str, StateFile] = {}
    problems = []
    for item in loaded:
        earlier = first.setdefault(same_server(item.state.name), item)
        if earlier is not item:
            problems.append(duplicate_problem(item.path, item.state.name, earlier.path, earlier.state.name))
    return problems


def load_all(arguments: Iterable[str]) -> list[StateFile]:
    """Every state file named, loaded; raises UserError with every problem of every file."""
    paths, problems = discover(arguments)
    loaded: list[StateFile] = []
    for path in paths:
        item, found = load_one(path)
        problems.extend(found)
        if item is not None:
            loaded.append(item)
    problems.extend(_duplicate_names(loaded))
    if problems:
        raise UserError(sorted(problems, key=Problem.sort_key))
    return loaded
