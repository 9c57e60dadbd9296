from __future__ import annotations

import sys

from reconciler.errors import EXIT_OK
from reconciler.model import statefiles


def validate(paths: list[str]) -> int:
    """Schema and semantic checks of state files; raises UserError listing every problem."""
    loaded = statefiles.load_all(paths)
    noun = "state file" if len(loaded) == 1 else "state files"
    print(f"{len(loaded)} {noun} valid", file=sys.stdout)
    return EXIT_OK
