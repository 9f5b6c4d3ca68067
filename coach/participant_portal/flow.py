"""One question per screen: which instruments a check asks, its screens, and its answers.

A check is numbered 1..total across its instruments, then a review screen. The answers
given so far are kept on the server between screens (coach.participant_portal.drafts),
never in the page or the browser, so Back and reload show them again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from coach.assessments.instruments import AnswerError, Instrument, Item
from coach.assessments.schedule import PointStatus, instruments_to_ask
from coach.assessments.services import check_instrument_ids, check_instrument_list

# About 20 seconds a question (a short statement, a tap), rounded up to whole minutes.
QUESTIONS_PER_MINUTE = 3


class FlowError(ValueError):
    """A screen number, an answer or stored answers that this check cannot have."""


class NotYet(FlowError):
    """An answer to a question after one still unanswered: the check never skips ahead."""


@dataclass(frozen=True)
class Step:
    instrument: Instrument
    item: Item
    number: int  # 1-based, across the whole check


@dataclass
class Flow:
    instruments: list[Instrument]
    answers: dict[str, dict[str, int]] = field(default_factory=dict)

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
    def answered(self) -> int:
        return sum(1 for step in self.steps if self.answer_of(step) is not None)

    @property
    def complete(self) -> bool:
        return self.first_unanswered() > self.total

    def step(self, number: int) -> Step:
        """Return the question with this number; FlowError if the check has none."""
        if not 1 <= number <= self.total:
            raise FlowError(f"no question {number}")
        return self.steps[number - 1]

    def answer_of(self, step: Step) -> int | None:
        return self.answers.get(step.instrument.id, {}).get(step.item.id)

    def first_unanswered(self) -> int:
        """Return the number of the first unanswered question, or total + 1 (the review)."""
        for step in self.steps:
            if self.answer_of(step) is None and step.item.required:
                return step.number
        return self.total + 1

    def may_show(self, number: int) -> bool:
        """Say whether a screen may be shown: never one after an unanswered question."""
        return number <= self.first_unanswered()

    def instrument_ids(self) -> list[str]:
        return [instrument.id for instrument in self.instruments]

    def choose(self, number: int, raw_value: Any) -> None:
        """Record the answer to one question; FlowError if it is not one of its answers."""
        step = self.step(number)
        if not self.may_show(number):
            raise NotYet(f"question {self.first_unanswered()} comes first")
        value = _int(raw_value)
        if value not in step.item.values:
            raise FlowError("not a possible answer")
        self.answers.setdefault(step.instrument.id, {})[step.item.id] = value


def _int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise FlowError("not a whole number")
    if isinstance(raw, int):
        return raw
    text = str(raw).strip()
    # int() would also take "٣", "1_0" and thousands of digits; an answer is a few digits.
    if not (text.isascii() and text.lstrip("-").isdigit() and len(text) <= 3):
        raise FlowError("not a whole number")
    return int(text)


def new_flow(instrument_ids: list[str]) -> Flow:
    """Return an empty check of these instruments; FlowError for unknown or repeated ids."""
    try:
        return Flow(instruments=check_instrument_ids(instrument_ids))
    except AnswerError:
        raise FlowError("unknown instrument") from None


def due_instrument_ids(statuses: list[PointStatus]) -> list[str]:
    """Return the ids of the instruments a check asks now, by the schedule."""
    return instruments_to_ask(statuses, check_instrument_list())


def restore(instrument_ids: list[str], answers: Mapping[str, Any]) -> Flow:
    """Rebuild a check from stored answers, refusing any the check cannot have."""
    flow = new_flow(instrument_ids)
    if not isinstance(answers, Mapping):
        raise FlowError("answers must be a table")
    by_id = {instrument.id: instrument for instrument in flow.instruments}
    for instrument_id, given in answers.items():
        instrument = by_id.get(instrument_id)
        if instrument is None or not isinstance(given, Mapping):
            raise FlowError("answers of an instrument not in the check")
        for item_id, value in given.items():
            try:
                item = instrument.item(item_id)
            except KeyError:
                raise FlowError("unknown question") from None
            # Stored answers are whole numbers, never text: anything else was not written here.
            if isinstance(value, bool) or not isinstance(value, int) or value not in item.values:
                raise FlowError("not a possible answer")
            flow.answers.setdefault(instrument_id, {})[item_id] = value
    return flow


def minutes_for(questions: int) -> int:
    """Return about how many minutes a check of this many questions takes (at least 1)."""
    return max(1, math.ceil(questions / QUESTIONS_PER_MINUTE))
