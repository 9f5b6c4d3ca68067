"""One question per screen: the answers so far travel in the form, never in the database.

Each screen's form carries the chosen instruments, the step and every answer given
so far as hidden fields, so the flow works without JavaScript and nothing is
stored until the participant confirms on the last screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from coach.assessments.instruments import Instrument, Item
from coach.assessments.services import check_instrument_ids, check_instrument_list

ANSWER_PREFIX = "a:"


class FlowError(ValueError):
    """The form was not made by the flow (edited or damaged)."""


@dataclass(frozen=True)
class Step:
    instrument: Instrument
    item: Item
    number: int  # 1-based, across the whole check


@dataclass
class Flow:
    instruments: list[Instrument]
    answers: dict[str, dict[str, int]] = field(default_factory=dict)
    step: int = 0  # index into steps; len(steps) is the confirmation screen

    @property
    def steps(self) -> list[Step]:
        steps = []
        for instrument in self.instruments:
            for item in instrument.items:
                steps.append(Step(instrument, item, len(steps) + 1))
        return steps

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def confirming(self) -> bool:
        return self.step >= self.total

    @property
    def current(self) -> Step | None:
        return None if self.confirming else self.steps[self.step]

    def answer_of(self, step: Step) -> int | None:
        return self.answers.get(step.instrument.id, {}).get(step.item.id)

    def first_unanswered(self) -> int:
        for index, step in enumerate(self.steps):
            if self.answer_of(step) is None and step.item.required:
                return index
        return self.total

    def instrument_ids(self) -> str:
        return ",".join(instrument.id for instrument in self.instruments)

    def hidden_fields(self) -> list[tuple[str, str]]:
        """Return (name, value) of the hidden inputs that carry the flow to the next screen."""
        fields = [("instruments", self.instrument_ids()), ("step", str(self.step))]
        for instrument in self.instruments:
            for item_id, value in self.answers.get(instrument.id, {}).items():
                fields.append((f"{ANSWER_PREFIX}{instrument.id}:{item_id}", str(value)))
        return fields

    def choose(self, raw_value: str) -> None:
        """Record the answer to the current question and move to the next."""
        step = self.current
        if step is None:
            raise FlowError("no question to answer")
        value = _int(raw_value)
        if value not in step.item.values:
            raise FlowError("not a possible answer")
        self.answers.setdefault(step.instrument.id, {})[step.item.id] = value
        self.step += 1

    def back(self) -> None:
        self.step = max(0, self.step - 1)


def _int(raw: Any) -> int:
    try:
        return int(str(raw).strip())
    except ValueError:
        raise FlowError("not a whole number") from None


def start(only: str | None = None) -> Flow:
    """Return a new flow: the full check, or one instrument."""
    ids = [only] if only else check_instrument_list()
    try:
        return Flow(instruments=check_instrument_ids(ids))
    except ValueError:
        raise FlowError("unknown instrument") from None


def from_form(form: Mapping[str, Any]) -> Flow:
    """Rebuild the flow from a submitted screen, refusing anything the flow did not write."""
    ids = [name for name in str(form.get("instruments") or "").split(",") if name]
    try:
        flow = Flow(instruments=check_instrument_ids(ids))
    except ValueError:
        raise FlowError("unknown instrument") from None
    by_id = {instrument.id: instrument for instrument in flow.instruments}
    for name in form:
        if not name.startswith(ANSWER_PREFIX):
            continue
        instrument_id, _sep, item_id = name[len(ANSWER_PREFIX) :].partition(":")
        instrument = by_id.get(instrument_id)
        if instrument is None or item_id not in {item.id for item in instrument.items}:
            raise FlowError("unknown question")
        value = _int(form.get(name))
        if value not in instrument.item(item_id).values:
            raise FlowError("not a possible answer")
        flow.answers.setdefault(instrument_id, {})[item_id] = value
    # Never skip ahead of an unanswered question, whatever the step field says.
    flow.step = min(max(_int(form.get("step") or 0), 0), flow.first_unanswered())
    return flow
