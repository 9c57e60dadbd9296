"""`reconciler export`: adopt a server, writing the desired state that matches it now.

Called `adopt` inside the code: "export" there means only the API direction (docs/README.md#words)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from reconciler.errors import EXIT_OK, UserError, printable
from reconciler.formats import schemas, yamlsource
from reconciler.model import desired, validation
from reconciler.planning.adopt import desired_from
from reconciler.servers import targets

# Where a state repository keeps the schema (`reconciler schema desired-state > …`), from its root.
SCHEMA_FILE = Path("schemas") / "desired-state.schema.json"


def _modeline(out: str | None) -> str:
    """Editors check the file against the repository's own copy of the schema, when it has one."""
    if not SCHEMA_FILE.is_file():
        schema = SCHEMA_FILE.as_posix()
        return f"# Editors check this file once the repository has `reconciler schema desired-state > {schema}`.\n"
    folder = Path(out).resolve().parent if out is not None else Path.cwd()
    relative = os.path.relpath(SCHEMA_FILE.resolve(), folder)
    return desired.SCHEMA_MODELINE.format(Path(relative).as_posix())


def adopt(target: str | None, name: str | None, out: str | None) -> int:
    observed = targets.parse(target).observe_existing(name)
    result = desired_from(observed)
    source = f"{observed.server.name} ({observed.server.version})"
    # Comments end at a line break: the server's text in them is escaped, never a line of YAML.
    header = _modeline(out) + printable(f"# Exported by `reconciler export` from {source}.") + "\n"
    header += "".join(printable(f"# Note: {note}") + "\n" for note in result.notes)
    text = yamlsource.dump(desired.to_document(result.state), header=header)
    # What export writes must pass validate: a server name from a folder may not be a valid one.
    written = yamlsource.parse(text, out or "(export)")
    problems = schemas.check(written, schemas.DESIRED_STATE) + validation.check(written)
    if problems:
        raise UserError([*problems, *UserError("give --name with a valid metadata.name").problems])
    if out is None:
        sys.stdout.write(text)
    else:
        try:
            # Made new or not at all: never over a file, nor through a symlink (even one to nothing).
            descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
        except FileExistsError:
            if os.path.islink(out):
                raise UserError(f"{out}: is a symlink; export writes a new file only, never through one") from None
            raise UserError(f"{out}: exists already; export never overwrites a state file") from None
        with open(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"{out}: written")
    for note in result.notes:
        print(printable(f"{observed.server.name}: {note}"), file=sys.stderr)
    return EXIT_OK
