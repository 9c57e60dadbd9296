"""`reconciler export`: write the desired state that matches a server now."""

from __future__ import annotations

import sys
from pathlib import Path

from reconciler import adopt, desired, schemas, validation, yamlsource
from reconciler.errors import EXIT_OK, UserError
from reconciler.servers import targets

# As in the examples: a state file in states/ beside the published schemas/ folder.
MODELINE = desired.SCHEMA_MODELINE.format("../schemas/desired-state.schema.json")


def export(target: str | None, name: str | None, out: str | None) -> int:
    observed = targets.parse(target).observe_existing(name)
    result = adopt.desired_from(observed)
    header = MODELINE + f"# Exported by `reconciler export` from {observed.server.name} ({observed.server.version}).\n"
    header += "".join(f"# Note: {note}\n" for note in result.notes)
    text = yamlsource.dump(desired.to_document(result.state), header=header)
    # What export writes must pass validate: a server name from a folder may not be a valid one.
    written = yamlsource.parse(text, out or "(export)")
    problems = schemas.check(written, schemas.DESIRED_STATE) + validation.check(written)
    if problems:
        raise UserError([*problems, *UserError("give --name with a valid metadata.name").problems])
    if out is None:
        sys.stdout.write(text)
    else:
        path = Path(out)
        if path.exists():
            raise UserError(f"{out}: exists already; export never overwrites a state file")
        path.write_text(text, encoding="utf-8")
        print(f"{out}: written")
    for note in result.notes:
        print(f"{observed.server.name}: {note}", file=sys.stderr)
    return EXIT_OK
