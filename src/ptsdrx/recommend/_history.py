"""Treatment history as a gate: when a past course of the same treatment makes an option
"not preferred". The rule is data (``policy.yaml``, ``treatment_history``); this module
validates it and evaluates it on the record's courses. Only known facts demote: a partial
response, or a course of unknown adequacy, stays a fact to show, not a reason to demote.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ptsdrx.recommend._result import Reason
from ptsdrx.records import PriorTreatment

FAILED_RESPONSES: tuple[str, ...] = ("none", "worsened")
"""Responses that may count as a failed adequate course (partial or better never does)."""
VERIFICATION_TAGS: tuple[str, ...] = ("V", "V2", "U", "D")
_RESPONSE_WORDS = {
    "remission": "remission",
    "response": "response",
    "partial": "partial response",
    "none": "no response",
    "worsened": "symptoms worsened",
}


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


def _flag(data: dict[str, Any], where: str) -> bool:
    value = data.get("enabled")
    if not isinstance(value, bool):
        raise ValueError(f"{where}.enabled must be true or false, got {value!r}")
    return value


def _mapping(value: Any, allowed: set[str], where: str) -> dict[str, Any]:
    """``value`` as a mapping with only ``allowed`` keys (typos are errors, not ignored)."""
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a mapping, got {value!r}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ValueError(
            f"{where}: unknown field {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}"
        )
    return value


def _child(data: dict[str, Any], key: str, allowed: set[str], where: str) -> dict[str, Any]:
    if key not in data:
        raise ValueError(f"{where}: missing required field {key!r}")
    return _mapping(data[key], allowed, f"{where}.{key}")


def parse_history(data: Any, where: str) -> HistoryPolicy:
    """Validate the ``treatment_history`` section; errors name the field and what is allowed."""
    top = _mapping(
        data,
        {"adequate_nonresponse", "stopped_for_adverse_effects", "source", "verification"},
        where,
    )
    nonresponse = _child(top, "adequate_nonresponse", {"enabled", "responses"}, where)
    adverse = _child(top, "stopped_for_adverse_effects", {"enabled"}, where)
    responses = nonresponse.get("responses")
    field = f"{where}.adequate_nonresponse.responses"
    if not isinstance(responses, list) or not responses:
        raise ValueError(f"{field} must be a non-empty list of {list(FAILED_RESPONSES)}")
    for r in responses:
        if r not in FAILED_RESPONSES:
            raise ValueError(
                f"{field}: {r!r} is not allowed; allowed: {', '.join(FAILED_RESPONSES)} "
                "(a partial response or better is not a failed course)"
            )
    source = top.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"{where}.source must be a non-empty text naming where the rule is from")
    tag = top.get("verification")
    if tag not in VERIFICATION_TAGS:
        raise ValueError(
            f"{where}.verification must be one of {', '.join(VERIFICATION_TAGS)}, got {tag!r}"
        )
    return HistoryPolicy(
        adequate_nonresponse=_flag(nonresponse, f"{where}.adequate_nonresponse"),
        failed_responses=frozenset(responses),
        adverse_effects=_flag(adverse, f"{where}.stopped_for_adverse_effects"),
        source=source.strip(),
        verification=str(tag),
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
