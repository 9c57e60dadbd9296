"""Plans as people and programs read them, one module per output format.

Each reporter is a function from a run's results (sorted by server) to text; the CLI offers
exactly the formats registered here (docs/plan.md#outputs). A format's module is imported only
when it is used: start-up time is most of a plan's time.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.running.results import ServerResult

Reporter = Callable[[Sequence["ServerResult"]], str]

# The format's name on the command line, and the module of this package that writes it.
FORMATS = {"text": "text", "json": "jsonreport", "markdown": "markdown", "powershell": "powershell"}


def reporter(name: str) -> Reporter:
    module = importlib.import_module(f"{__name__}.{FORMATS[name]}")
    found: Reporter = module.report
    return found
