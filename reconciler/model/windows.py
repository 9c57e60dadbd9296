"""Sync windows (`spec.windows`, docs/state-file.md#windows): when unattended runs may change a server.

After Argo CD's sync windows: each window is `allow` or `deny`, opens on a cron schedule (minute
hour day-of-month month day-of-week, in UTC, the local time of the machine running the tool, or an
IANA time zone) and stays open for a duration. With no windows a server may always be changed; with
any `allow` window, only inside one; inside any `deny` window never (deny wins).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from reconciler.errors import UserError

ALLOW, DENY = "allow", "deny"
UTC_ZONE, LOCAL_ZONE = "UTC", "local"
# A window lasts at most a week: a longer one is every day's, said with a schedule instead.
LONGEST = timedelta(days=7)
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
# (lowest, highest) of each cron field; day of week 7 is Sunday, as 0.
_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))
# The most days each month has (February's 29th comes in leap years), for a schedule that never occurs.
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True, slots=True)
class Window:
    kind: str  # allow | deny
    schedule: str  # cron: minute hour day-of-month month day-of-week
    duration: str  # e.g. 1h, 90m, 1d12h
    time_zone: str = UTC_ZONE  # UTC | local | an IANA name such as Europe/Berlin

    def as_document(self) -> dict[str, str]:
        document = {"kind": self.kind, "schedule": self.schedule, "duration": self.duration}
        return document if self.time_zone == UTC_ZONE else document | {"timeZone": self.time_zone}

    def __str__(self) -> str:
        return f"{self.kind} '{self.schedule}' for {self.duration} ({self.time_zone})"


def duration_of(text: str) -> timedelta:
    found = _DURATION.match(text.strip())
    if not text.strip() or found is None:
        raise UserError(f"window duration {text!r}: expected e.g. 30m, 1h, 1h30m or 2d")
    days, hours, minutes = (int(part or 0) for part in found.groups())
    span = timedelta(days=days, hours=hours, minutes=minutes)
    if not timedelta(minutes=1) <= span <= LONGEST:
        raise UserError(f"window duration {text!r}: between 1 minute and 7 days")
    return span


def _values(field: str, name: str, low: int, high: int) -> frozenset[int]:
    found: set[int] = set()
    for part in field.split(","):
        spread, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise UserError(f"cron {name} {field!r}: a step is a positive number")
        if spread == "*":
            first, last = low, high
        elif re.fullmatch(r"\d+(-\d+)?", spread):
            first_text, _, last_text = spread.partition("-")
            first, last = int(first_text), int(last_text or (high if step else first_text))
        else:
            raise UserError(f"cron {name} {field!r}: expected *, a number, a range a-b, a list or a step /n")
        if not low <= first <= last <= high:
            raise UserError(f"cron {name} {field!r}: values are {low} to {high}")
        found.update(range(first, last + 1, step or 1))
    return frozenset(7 if name == "day of week" and v == 0 else v for v in found)


@dataclass(frozen=True, slots=True)
class _Cron:
    fields: tuple[frozenset[int], ...]
    any_day: bool  # day of month is *
    any_weekday: bool  # day of week is *

    def matches(self, moment: datetime) -> bool:
        minute, hour, day, month, weekday = self.fields
        if moment.minute not in minute or moment.hour not in hour or moment.month not in month:
            return False
        on_day, on_weekday = moment.day in day, moment.isoweekday() in weekday
        # As cron: with both days restricted, either one will do.
        if self.any_day or self.any_weekday:
            return on_day and on_weekday
        return on_day or on_weekday

    def occurs(self) -> bool:
        """Some minute matches: only a day of month no month named has (31 February) never comes."""
        _, _, days, months, _ = self.fields
        if not self.any_weekday:  # every month has every day of the week
            return True
        return any(day <= _MONTH_DAYS[month - 1] for month in months for day in days)


@functools.lru_cache(maxsize=64)
def cron(schedule: str) -> _Cron:
    parts = schedule.split()
    if len(parts) != len(_FIELDS):
        raise UserError(f"window schedule {schedule!r}: five fields, minute hour day-of-month month day-of-week")
    fields = tuple(_values(part, name, low, high) for part, (name, low, high) in zip(parts, _FIELDS, strict=True))
    found = _Cron(fields, parts[2] == "*", parts[4] == "*")
    if not found.occurs():
        raise UserError(f"window schedule {schedule!r}: never occurs (no month named has that day of month)")
    return found


def zone(name: str) -> tzinfo:
    if name == UTC_ZONE:
        return UTC
    if name == LOCAL_ZONE:
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # noqa: PLC0415 - only for a window in a named zone

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        known = "UTC, local, or e.g. Europe/Berlin"
        raise UserError(f"window time zone {name!r}: not a time zone this machine knows ({known})") from None


def problems(document: Mapping[str, object]) -> Iterator[tuple[str, str]]:
    """Why runs would refuse one window's document (an item of spec.windows), as (its key, reason), by
    the readers that open the window; a key missing or not text is left to the schema."""
    readers: tuple[tuple[str, Callable[[str], object]], ...] = (
        ("schedule", cron),
        ("duration", duration_of),
        ("timeZone", zone),
    )
    for key, read in readers:
        text = document.get(key)
        if isinstance(text, str):
            try:
                read(text)
            except UserError as exc:
                yield key, exc.problems[0].message


def is_open(window: Window, now: datetime) -> bool:
    """Inside the window at `now` (aware): a start on its schedule less than its duration ago."""
    schedule, span = cron(window.schedule), duration_of(window.duration)
    here = now.astimezone(zone(window.time_zone)).replace(second=0, microsecond=0)
    minutes = int(span.total_seconds() // 60)
    return any(schedule.matches(here - timedelta(minutes=back)) for back in range(minutes))


@dataclass(frozen=True, slots=True)
class Verdict:
    open: bool
    reason: str


def verdict(windows: tuple[Window, ...], now: datetime) -> Verdict:
    """Whether an unattended run may act at `now`, and why, in words."""
    if not windows:
        return Verdict(True, "no sync windows")
    denied = [w for w in windows if w.kind == DENY and is_open(w, now)]
    if denied:
        return Verdict(False, f"inside the deny window {denied[0]}")
    allows = [w for w in windows if w.kind == ALLOW]
    inside = [w for w in allows if is_open(w, now)]
    if allows and not inside:
        return Verdict(False, "outside every allow window" + _next_opening(allows, now))
    return Verdict(True, f"inside the allow window {inside[0]}" if inside else "outside every deny window")


def _next_opening(allows: list[Window], now: datetime) -> str:
    """`; the next opens at …` within a week, in UTC."""
    start = now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    for minute in range(int(LONGEST.total_seconds() // 60) + 1):
        moment = start + timedelta(minutes=minute)
        for window in allows:
            if cron(window.schedule).matches(moment.astimezone(zone(window.time_zone))):
                return f"; the next opens at {moment.isoformat().replace('+00:00', 'Z')} ({window})"
    return ""
