"""Transaction processes as validated data.

A process is a mapping (from Python or TOML)::

    {
        "name": "purchase",
        "version": 1,
        "description": "Pay into escrow, deliver, accept, payout.",
        "states": ["pending_payment", "paid", "delivered", "completed", "cancelled"],
        "final_states": ["completed", "cancelled"],       # optional; default: states without exits
        "success_states": ["completed"],    # optional; orders here count as completed (reviews,
        "cancelled_states": ["cancelled"],  # reputation); default: none. Cancelled likewise.
        "transitions": [
            {"name": "place", "from": [], "to": "pending_payment", "actors": ["customer"],
             "actions": [{"name": "reserve_stock"}, {"name": "calculate_price"}]},
            {"name": "auto_accept", "from": ["delivered"], "to": "completed",
             "timer": {"after": "7d"},
             "actions": [{"name": "release_escrow"}],
             "notify": [{"to": ["customer", "provider"], "template": "order_completed"}]},
            ...
        ],
    }

Exactly one transition has an empty ``from``: the *initial* transition, taken
when the order is placed. ``actors`` are roles: ``customer``, ``provider``,
``operator``, ``system``. A ``timer`` makes the transition fire by itself
(as ``system``): ``{"after": "7d"}`` counts from entering the from-state,
``{"at": "booking_end", "offset": "-1h"}`` uses a time stored on the order.
Actions run in order inside one database transaction; each names an action
registered through ``mk_register_actions`` and gets its ``params`` (checked
against the action's schema at startup).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from marshmallow import RAISE, Schema, fields, validate, validates_schema
from marshmallow import ValidationError as MMValidationError

from ...errors import PluginError

ROLES = ("customer", "provider", "operator", "system")
TIMER_FIELDS = ("booking_start", "booking_end", "created_at")
NAME = validate.Regexp(r"^[a-z][a-z0-9_]{0,62}$", error="must be lower_snake_case")
DURATION_RE = re.compile(r"^(-)?(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """``"7d"`` / ``"12h"`` / ``"30m"`` / ``"-1h"`` -> timedelta."""
    match = DURATION_RE.match(text or "")
    if not match:
        raise ValueError(f"{text!r} is not a duration like 30m, 12h, 7d or 2w")
    sign = -1 if match.group(1) else 1
    return sign * timedelta(**{_UNITS[match.group(3)]: int(match.group(2))})


def _duration(value: str) -> bool:
    try:
        parse_duration(value)
    except ValueError as exc:
        raise MMValidationError(str(exc)) from None
    return True


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ActionRefSchema(_Strict):
    name = fields.String(required=True, validate=NAME)
    params = fields.Dict(keys=fields.String(), load_default=dict)


class NotifySchema(_Strict):
    to = fields.List(
        fields.String(validate=validate.OneOf(["customer", "provider", "operator"])),
        required=True,
        validate=validate.Length(min=1),
    )
    template = fields.String(required=True, validate=NAME)


class TimerSchema(_Strict):
    after = fields.String(load_default=None, allow_none=True, validate=_duration)
    at = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(TIMER_FIELDS))
    offset = fields.String(load_default="0s", validate=_duration)

    @validates_schema
    def _one(self, data: dict[str, Any], **_: Any) -> None:
        if (data.get("after") is None) == (data.get("at") is None):
            raise MMValidationError("give exactly one of 'after' or 'at'")


class TransitionSchema(_Strict):
    name = fields.String(required=True, validate=NAME)
    from_ = fields.List(fields.String(), data_key="from", required=True)
    to = fields.String(required=True)
    actors = fields.List(fields.String(validate=validate.OneOf(ROLES)), load_default=list)
    timer = fields.Nested(TimerSchema, load_default=None, allow_none=True)
    actions = fields.List(fields.Nested(ActionRefSchema), load_default=list)
    notify = fields.List(fields.Nested(NotifySchema), load_default=list)
    label = fields.String(load_default=None, allow_none=True)

    @validates_schema
    def _who(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("actors") and not data.get("timer"):
            raise MMValidationError("a transition needs actors or a timer", "actors")


class ProcessSchema(_Strict):
    name = fields.String(required=True, validate=NAME)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    description = fields.String(load_default="")
    states = fields.List(fields.String(validate=NAME), required=True, validate=validate.Length(1))
    state_labels = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    final_states = fields.List(fields.String(), load_default=None, allow_none=True)
    success_states = fields.List(fields.String(), load_default=list)
    cancelled_states = fields.List(fields.String(), load_default=list)
    transitions = fields.List(
        fields.Nested(TransitionSchema), required=True, validate=validate.Length(1)
    )


@dataclass(frozen=True)
class ActionRef:
    name: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Notify:
    to: tuple[str, ...]
    template: str


@dataclass(frozen=True)
class Timer:
    after: timedelta | None
    at: str | None
    offset: timedelta


@dataclass(frozen=True)
class Transition:
    name: str
    from_states: tuple[str, ...]
    to: str
    actors: tuple[str, ...]
    timer: Timer | None
    actions: tuple[ActionRef, ...]
    notify: tuple[Notify, ...]
    label: str | None = None

    @property
    def is_initial(self) -> bool:
        return not self.from_states


@dataclass(frozen=True)
class Process:
    name: str
    version: int
    description: str
    states: tuple[str, ...]
    final_states: tuple[str, ...]
    transitions: dict[str, Transition]
    initial: Transition
    source: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)
    state_labels: dict[str, str] = field(compare=False, default_factory=dict)
    #: States in which an order counts as completed successfully (it can be reviewed,
    #: it counts towards reputation) or as cancelled; declared by the process.
    success_states: tuple[str, ...] = ()
    cancelled_states: tuple[str, ...] = ()

    def state_label(self, state: str) -> str:
        """The untranslated label of ``state`` (pages pass it through gettext)."""
        return self.state_labels.get(state) or state.replace("_", " ").capitalize()

    def transition_label(self, name: str) -> str:
        """The untranslated label of transition ``name`` (pages pass it through gettext)."""
        t = self.transitions.get(name)
        return (t.label if t is not None else None) or name.replace("_", " ").capitalize()

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"

    def transition(self, name: str) -> Transition | None:
        return self.transitions.get(name)

    def exits(self, state: str) -> list[Transition]:
        return [t for t in self.transitions.values() if state in t.from_states]

    def timed_exits(self, state: str) -> list[Transition]:
        return [t for t in self.exits(state) if t.timer is not None]


def _problem(name: str, version: Any, message: str) -> PluginError:
    return PluginError(f"process {name}@{version}: {message}")


def build_process(raw: dict[str, Any], actions: dict[str, Any], plugin: str = "?") -> Process:
    """Validate a process mapping against the schema and the registered actions.

    Raises :class:`~marketplace_kit.errors.PluginError` naming the process
    (and the plugin) on any problem: schema errors, unknown states, unreachable
    states, no or several initial transitions, unknown actions, bad action
    parameters, timers on the initial transition.
    """
    label = f"{raw.get('name', '?')}@{raw.get('version', '?')}" if isinstance(raw, dict) else "?"
    try:
        data = ProcessSchema().load(raw)
    except MMValidationError as exc:
        raise PluginError(
            f"process {label} (plugin {plugin!r}) is invalid: {exc.messages}"
        ) from None
    name, version = data["name"], data["version"]

    def fail(message: str) -> PluginError:
        return _problem(name, version, f"{message} (plugin {plugin!r})")

    states = tuple(data["states"])
    if len(set(states)) != len(states):
        raise fail("states are listed twice")
    unknown_labels = sorted(set(data["state_labels"]) - set(states))
    if unknown_labels:
        raise fail(f"state_labels name unknown state(s): {', '.join(unknown_labels)}")
    transitions: dict[str, Transition] = {}
    for t in data["transitions"]:
        if t["name"] in transitions:
            raise fail(f"transition {t['name']!r} is defined twice")
        for s in [*t["from_"], t["to"]]:
            if s not in states:
                raise fail(f"transition {t['name']!r} uses unknown state {s!r}")
        refs = []
        for ref in t["actions"]:
            action = actions.get(ref["name"])
            if action is None:
                raise fail(
                    f"transition {t['name']!r} uses unknown action {ref['name']!r}; "
                    f"registered: {', '.join(sorted(actions))}"
                )
            try:
                params = action.load_params(ref["params"])
            except MMValidationError as exc:
                raise fail(
                    f"transition {t['name']!r}: bad parameters for action {ref['name']!r}: "
                    f"{exc.messages}"
                ) from None
            refs.append(ActionRef(ref["name"], params))
        timer = None
        if t["timer"]:
            if not t["from_"]:
                raise fail(f"the initial transition {t['name']!r} cannot have a timer")
            timer = Timer(
                after=parse_duration(t["timer"]["after"]) if t["timer"]["after"] else None,
                at=t["timer"]["at"],
                offset=parse_duration(t["timer"]["offset"]),
            )
        transitions[t["name"]] = Transition(
            name=t["name"],
            from_states=tuple(t["from_"]),
            to=t["to"],
            actors=tuple(t["actors"]) or ("system",),
            timer=timer,
            actions=tuple(refs),
            notify=tuple(Notify(tuple(n["to"]), n["template"]) for n in t["notify"]),
            label=t["label"],
        )
    initials = [t for t in transitions.values() if t.is_initial]
    if len(initials) != 1:
        raise fail(f"needs exactly one initial transition (empty 'from'), found {len(initials)}")
    initial = initials[0]
    reachable = {initial.to}
    frontier = [initial.to]
    while frontier:
        state = frontier.pop()
        for t in transitions.values():
            if state in t.from_states and t.to not in reachable:
                reachable.add(t.to)
                frontier.append(t.to)
    unreachable = [s for s in states if s not in reachable]
    if unreachable:
        raise fail(f"unreachable state(s): {', '.join(unreachable)}")
    if data["final_states"] is None:
        final = tuple(
            s for s in states if not any(s in t.from_states for t in transitions.values())
        )
    else:
        unknown = [s for s in data["final_states"] if s not in states]
        if unknown:
            raise fail(f"unknown final state(s): {', '.join(unknown)}")
        final = tuple(data["final_states"])
    for key in ("success_states", "cancelled_states"):
        unknown = [s for s in data[key] if s not in states]
        if unknown:
            raise fail(f"unknown {key.replace('_', ' ')}: {', '.join(unknown)}")
    overlap = sorted(set(data["success_states"]) & set(data["cancelled_states"]))
    if overlap:
        raise fail(f"state(s) both successful and cancelled: {', '.join(overlap)}")
    return Process(
        name=name,
        version=version,
        description=data["description"],
        states=states,
        final_states=final,
        transitions=transitions,
        initial=initial,
        source=raw,
        state_labels=dict(data["state_labels"]),
        success_states=tuple(data["success_states"]),
        cancelled_states=tuple(data["cancelled_states"]),
    )
