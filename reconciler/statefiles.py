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


def discover(arguments: Iterable[str]) -> tuple[list[Path], list[Problem]]:
    """The state files named, folders expanded (recursively, sorted, hidden entries skipped)."""
    files: list[Path] = []
    problems: list[Problem] = []
    for arg in arguments:
        path = Path(arg)
        if path.is_dir():
            found = sorted(map(Path, _state_files(arg)))
            if not found:
                problems.append(Problem(arg, None, None, "folder holds no state files (*.yaml, *.yml)"))
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            problems.append(Problem(arg, None, None, "no such file or folder"))
    unique = list(dict.fromkeys(files))
    return unique, problems


def _state_files(folder: str) -> Iterator[str]:
    """The state files under `folder`, hidden entries skipped, symbolic links to folders not
    followed (as Path.rglob does), by one directory listing a folder: a fleet's 10,000 files
    are not each asked again whether they are files."""
    pending = [folder]
    while pending:
        try:
            listing = os.scandir(pending.pop())
        except OSError:
            continue  # a folder we may not read holds nothing for us, as for rglob
        with listing:
            for entry in listing:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif os.path.splitext(entry.name)[1] in STATE_SUFFIXES and entry.is_file():
                    yield entry.path


def load_one(path: Path) -> tuple[StateFile | None, list[Problem]]:
    display = str(path)
    try:
        doc = yamlsource.load(path, display)
    except UserError as exc:
        return None, list(exc.problems)
    problems = schemas.check(doc, schemas.DESIRED_STATE) + validation.check(doc)
    if problems:
        return None, problems
    return StateFile(display, desired.from_document(doc.data)), []


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
