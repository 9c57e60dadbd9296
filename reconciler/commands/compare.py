"""`reconciler compare LEFT RIGHT`: two servers side by side (docs/compare.md)."""

from __future__ import annotations

import sys

from reconciler.errors import EXIT_CHANGES, EXIT_OK, UserError
from reconciler.model import limitrules, statefiles
from reconciler.planning.compare import compare as compared
from reconciler.reports import compare as shown
from reconciler.servers import targets


def _clone_names(state_path: str | None) -> dict[str, str] | None:
    """The managed clones' names a state file gives (ruleName, writeupRuleName); None: the defaults."""
    if state_path is None:
        return None
    loaded = statefiles.load_all([state_path])
    if len(loaded) != 1:
        raise UserError(f"{state_path}: --state takes one state file, not a folder of {len(loaded)}")
    state = loaded[0].state
    return {rule.key: state.clone_name(rule) for rule in limitrules.CATALOGUE}


def compare(
    left: str, right: str, names: tuple[str | None, str | None], output: str, state_path: str | None = None
) -> int:
    """Exit 2 when the two differ in a managed setting, 0 when only in other ways or not at all."""
    clone_names = _clone_names(state_path)
    observed = []
    for spec, name in zip((left, right), names, strict=True):
        target = targets.parse(spec)
        observed.append(target.observe_existing(name))
    comparison = compared(observed[0], observed[1], clone_names)
    sys.stdout.write(shown.FORMATS[output](comparison, left, right))
    return EXIT_CHANGES if comparison.differs else EXIT_OK
