"""Which machine a state file describes, and whether an observed server is that machine
(docs/targets.md#identity).

A state names its machine with `metadata.host` (a DNS name or a short name); without one, its
`metadata.name` stands for the machine where nothing else can (a single live target). Computer
names compare case-insensitively, and a short name equals the first label of a DNS name, so
`AADC01` is `aadc01.contoso.com` (docs/state-file.md, `metadata.host`).
"""

from __future__ import annotations

import re

# The directory synchronization account the wizard makes in the tenant is Sync_<computer>_<id>@<tenant>
# (https://dirteam.com/sander/2015/10/27/how-the-ids-for-azure-ad-syncs-service-accounts-are-created/;
# the real export in shared/fixtures holds Sync_CONTOSO-SYNC01_e3c03195e061@contoso.onmicrosoft.com).
_SYNC_ACCOUNT = re.compile(r"^Sync_(?P<host>[A-Za-z0-9-]{1,63})_[0-9A-Fa-f]{6,32}@", re.ASCII)


def _labels(host: str) -> list[str]:
    return host.strip().rstrip(".").lower().split(".")


def same_host(a: str, b: str) -> bool:
    """Whether two computer names name one machine: case-insensitive, and a short name equals the
    first label of a DNS name (two DNS names must be equal whole)."""
    left, right = _labels(a), _labels(b)
    if len(left) > 1 and len(right) > 1:
        return left == right
    return left[0] == right[0]


def host_of_sync_account(user_name: str) -> str | None:
    """The computer named in the AAD connector's sync account, or None when it is not one the wizard made."""
    match = _SYNC_ACCOUNT.match(user_name.strip())
    return match.group("host") if match else None


def describes(host: str | None, name: str, observed_host: str) -> bool:
    """Whether a state (its `metadata.host`, else its `metadata.name`) describes the machine observed."""
    return same_host(host if host is not None else name, observed_host)
