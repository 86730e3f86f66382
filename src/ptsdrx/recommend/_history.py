"""Treatment history as a gate.

When a past course of the same treatment makes an option "not preferred". The rule is data
(``policy.yaml``, ``treatment_history``, validated as :class:`HistorySection`); this module
evaluates it on the record's courses. Only known facts demote: a partial response, or a course of
unknown adequacy, stays a fact to show.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import StrictBool, field_validator

from ptsdrx._datafiles import Frozen, Sourced
from ptsdrx.recommend._result import Reason
from ptsdrx.records import PriorTreatment

FAILED_RESPONSES: tuple[str, ...] = ("none", "worsened")
"""Responses that may count as a failed adequate course (partial or better never does)."""
_RESPONSE_WORDS = {
    "remission": "remission",
    "response": "response",
    "partial": "partial response",
    "none": "no response",
    "worsened": "symptoms worsened",
}


class _Switch(Frozen):
    enabled: StrictBool


class _Nonresponse(_Switch):
    responses: tuple[str, ...]

    @field_validator("responses")
    @classmethod
    def _failures_only(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError(f"must be a non-empty list of {list(FAILED_RESPONSES)}")
        for r in value:
            if r not in FAILED_RESPONSES:
                raise ValueError(
                    f"{r!r} is not allowed; allowed: {', '.join(FAILED_RESPONSES)} "
                    "(a partial response or better is not a failed course)"
                )
        return value


class HistorySection(Sourced):
    """The ``treatment_history`` section of ``policy.yaml`` as written."""

    adequate_nonresponse: _Nonresponse
    stopped_for_adverse_effects: _Switch

    @field_validator("source")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must be a non-empty text naming where the rule is from")
        return value.strip()


@dataclass(frozen=True)
class HistoryPolicy:
    """Which past courses of the same treatment make an option "not preferred"."""

    adequate_nonresponse: bool
    """An adequate course whose response is in ``failed_responses`` demotes."""
    failed_responses: frozenset[str]
    adverse_effects: bool
    """A course stopped for adverse effects demotes (whatever its adequacy)."""
    source: str
    verification: str

    @classmethod
    def from_section(cls, section: HistorySection) -> HistoryPolicy:
        """The evaluated policy from its validated file section."""
        return cls(
            adequate_nonresponse=section.adequate_nonresponse.enabled,
            failed_responses=frozenset(section.adequate_nonresponse.responses),
            adverse_effects=section.stopped_for_adverse_effects.enabled,
            source=section.source,
            verification=section.verification,
        )


def describe_course(course: PriorTreatment) -> str:
    """The course in plain words: dates, adequacy, response, adverse effects (lower case)."""
    when = f" ({course.start} to {course.stop or 'now'})" if course.start else ""
    adequacy = {True: "adequate", False: "not adequate", None: "adequacy unknown"}[course.adequate]
    response = _RESPONSE_WORDS[course.response] if course.response else "response unknown"
    text = f"tried before{when}: {adequacy} course, {response}"
    if course.stopped_for_adverse_effects:
        text += "; stopped for adverse effects"
    return text


def demotion_grounds(course: PriorTreatment, policy: HistoryPolicy) -> tuple[str, ...]:
    """Why this course makes its treatment "not preferred" under the policy (empty: it does not).

    ``None`` (unknown) adequacy, response or stopping reason never demotes.
    """
    grounds: list[str] = []
    if (
        policy.adequate_nonresponse
        and course.adequate is True
        and course.response in policy.failed_responses
    ):
        grounds.append("an adequate course failed")
    if policy.adverse_effects and course.stopped_for_adverse_effects is True:
        grounds.append("it was stopped for adverse effects")
    return tuple(grounds)


def history_reasons(
    treatment: str, courses: Iterable[PriorTreatment], policy: HistoryPolicy
) -> tuple[Reason, ...]:
    """One "not preferred" reason per past course of ``treatment`` that demotes it."""
    tag = (
        "U: not verified here; a site can turn this off"
        if policy.verification == "U"
        else policy.verification
    )
    out: list[Reason] = []
    for course in courses:
        if course.treatment != treatment:
            continue
        grounds = demotion_grounds(course, policy)
        if grounds:
            out.append(
                Reason(
                    kind="history",
                    text=f"Not preferred, {describe_course(course)} ({' and '.join(grounds)}). "
                    f"Switching rather than repeating it is common practice [{tag}].",
                    source=f"{policy.source} [{policy.verification}]",
                )
            )
    return tuple(out)
