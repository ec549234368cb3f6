"""The period and granularity a statistics view covers (UTC days, both ends included)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l

#: preset name -> number of days, ending today.
PRESETS: dict[str, int] = {"7d": 7, "30d": 30, "90d": 90, "year": 365}
PRESET_LABELS = {
    "7d": _l("Last 7 days"),
    "30d": _l("Last 30 days"),
    "90d": _l("Last 90 days"),
    "year": _l("Last 12 months"),
}
GRANULARITIES = ("day", "week", "month")
GRANULARITY_LABELS = {"day": _l("Day"), "week": _l("Week"), "month": _l("Month")}
DEFAULT_PRESET = "30d"
#: The longest period one may ask for.
MAX_DAYS = 3 * 366


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


@dataclass(frozen=True)
class Period:
    """``start`` .. ``end`` (inclusive UTC days) shown per ``granularity``."""

    start: date
    end: date
    granularity: str = "day"
    preset: str | None = None

    @property
    def start_at(self) -> datetime:
        return midnight(self.start)

    @property
    def end_at(self) -> datetime:
        """The first moment after the period."""
        return midnight(self.end + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def buckets(self) -> list[date]:
        """The first day of every bucket that overlaps the period, in order."""
        out: list[date] = []
        day = bucket_of(self.start, self.granularity)
        while day <= self.end:
            out.append(day)
            day = next_bucket(day, self.granularity)
        return out

    def query_args(self) -> dict[str, str]:
        if self.preset:
            return {"preset": self.preset, "granularity": self.granularity}
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "granularity": self.granularity,
        }

    @classmethod
    def last(cls, preset: str, today: date, granularity: str | None = None) -> Period:
        days = PRESETS[preset]
        return cls(
            today - timedelta(days=days - 1),
            today,
            granularity or default_granularity(days),
            preset,
        )


def default_granularity(days: int) -> str:
    return "day" if days <= 31 else "week" if days <= 120 else "month"


def bucket_of(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def next_bucket(day: date, granularity: str) -> date:
    if granularity == "week":
        return day + timedelta(days=7)
    if granularity == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def parse_period(args: Mapping[str, str], today: date) -> tuple[Period, dict[str, list[str]]]:
    """The period asked for in ``args``: ``preset``, else ``from``/``to``; and ``granularity``.

    Returns the period and field errors; with errors, the period is the default one.
    """
    errors: dict[str, list[str]] = {}
    granularity = (args.get("granularity") or "").strip() or None
    if granularity is not None and granularity not in GRANULARITIES:
        errors["granularity"] = [str(_l("Choose day, week or month."))]
        granularity = None
    raw_from = (args.get("from") or "").strip()
    raw_to = (args.get("to") or "").strip()
    preset = (args.get("preset") or "").strip()
    if not preset and (raw_from or raw_to):
        start = end = None
        try:
            start = date.fromisoformat(raw_from)
        except ValueError:
            errors["from"] = [str(_l("Give a date as YYYY-MM-DD."))]
        try:
            end = date.fromisoformat(raw_to) if raw_to else today
        except ValueError:
            errors["to"] = [str(_l("Give a date as YYYY-MM-DD."))]
        if start is not None and end is not None:
            if end < start:
                errors["to"] = [str(_l("The end must not be before the start."))]
            elif (end - start).days + 1 > MAX_DAYS:
                errors["to"] = [str(_l("At most %(n)s days at a time.", n=MAX_DAYS))]
        if errors or start is None or end is None:
            return Period.last(DEFAULT_PRESET, today), errors
        days = (end - start).days + 1
        return Period(start, end, granularity or default_granularity(days)), errors
    if preset and preset not in PRESETS:
        errors["preset"] = [str(_l("Choose one of the periods offered."))]
        preset = ""
    return Period.last(preset or DEFAULT_PRESET, today, granularity), errors
