"""Finding and loading state files: YAML, then schema, then semantic rules, for every file.

Every problem of every file is collected before anything is reported, so a user fixes a whole
repository in one pass. Nothing here talks to a server.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from reconciler import desired, schemas, validation, yamlsource
from reconciler.desired import DesiredState
from reconciler.errors import Problem, UserError
from reconciler.records import record

STATE_SUFFIXES = (".yaml", ".yml")


@record
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
            found = sorted(_state_files(str(path)), key=_path_order)
            if not found:
                problems.append(Problem(arg, None, None, "folder holds no state files (*.yaml, *.yml)"))
            files.extend(found)
        elif path.exists():
            files.append(str(path))
        else:
            problems.append(Problem(arg, None, None, "no such file or folder"))
    # A file named twice (or named and in a folder named) once, where first named; two names are
    # one file where their Paths are equal (case aside on Windows).
    unique: dict[str, str] = {}
    for file in files:
        unique.setdefault(os.path.normcase(file), file)
    return list(unique.values()), problems


def _path_order(path: str) -> str:
    # Paths compare part by part (case aside on Windows): "a/x.yaml" before "a.b.yaml". Parts
    # joined by NUL, which no name holds and which sorts before every character, compare alike.
    return os.path.normcase(path).replace(os.sep, "\0")


def _state_files(folder: str) -> Iterator[str]:
    """The state files under `folder` (as str(Path) shows it), hidden entries skipped, symbolic
    links to folders not followed (as Path.rglob does), by one directory listing a folder: a
    fleet's 10,000 files are not each asked again whether they are files."""
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            listing = os.scandir(current)
        except OSError:
            continue  # a folder we may not read holds nothing for us, as for rglob
        # What os.path.join(current, name) gives; Path("./a.yaml") shows "a.yaml".
        head = "" if current == "." else os.path.join(current, "")
        with listing:
            for entry in listing:
                name = entry.name
                if name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append(head + name)
                elif name.endswith(STATE_SUFFIXES) and entry.is_file():  # as splitext: no hidden names here
                    yield head + name


def load_one(path: str) -> tuple[StateFile | None, list[Problem]]:
    try:
        doc = yamlsource.load(path, path)
    except UserError as exc:
        return None, list(exc.problems)
    problems = schemas.check(doc, schemas.DESIRED_STATE) + validation.check(doc)
    if problems:
        return None, problems
    return StateFile(path, desired.from_document(doc.data)), []


def duplicate_problem(path: str, name: str, first_path: str) -> Problem:
    return Problem(path, None, None, f"metadata.name '{name}' is also declared in {first_path}")


def _duplicate_names(loaded: Sequence[StateFile]) -> list[Problem]:
    # Two files for one server would fight over its simulator, journal and settings.
    first: dict[str, str] = {}
    problems = []
    for item in loaded:
        if item.state.name in first:
            problems.append(duplicate_problem(item.path, item.state.name, first[item.state.name]))
        else:
            first[item.state.name] = item.path
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
