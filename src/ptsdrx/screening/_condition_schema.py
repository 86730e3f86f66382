"""The condition language as a schema: pydantic models of each condition, compiled to nodes.

A condition is YAML data with exactly one head key. Combinators: ``any: [...]``,
``all: [...]``, ``not: {...}``. Predicates (each reads one part of the record):

``diagnosis: {condition: bipolar_i | [..], status: [current, past], onset_within_days: 365}``
    the vocabulary's reading of the diagnoses (codes and narrower kinds count); ``status``
    defaults to ``[current]``; ``onset_within_days`` asks for a recent onset.
``field: demographics.pregnant, eq: true``
    a whitelisted field with one comparison; ``vitals.*`` reads the latest reading of that
    measure taken within the ``vitals_max_age_days`` parameter.
``medication: {class: maoi | [..], name: .. | [..], within_days: 14, except: [..]}``
    taken now or stopped within the last ``within_days`` days (default 0: taking it now);
    names and classes are checked against the drug vocabulary when the rules load.
``instrument: {id: phq9, item: 9 | total: true | detail: risk_level, within_days: 30, ge: 1}``
    the latest administration (within the window), scored by ``ptsdrx.instruments``.
``assessed: {instrument: cssrs, on_or_after_latest: phq9}``
    an administration dated on or after the latest one of another instrument.
``prior_treatment: {treatment: prazosin | [..]}``
``genetics: {gene: CYP2D6, phenotype: [poor]}``
    the metaboliser phenotype, for CYP2D6 after phenoconversion by a strong inhibitor.

Comparisons: ``eq ne lt le gt ge in not_in between``; a number may be ``{param: name}``, a
site-adjustable parameter. The models validate (errors name the place and what is allowed),
publish a JSON Schema, and ``compile()`` to the three-valued nodes of
:mod:`ptsdrx.screening._logic` and :mod:`ptsdrx.screening._predicates`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ptsdrx.records import Condition
from ptsdrx.screening._errors import RuleFileError
from ptsdrx.screening._logic import OPS, AllOf, AnyOf, Comparison, Node, Not, Param
from ptsdrx.screening._predicates import (
    FIELDS,
    AssessedAfter,
    DiagnosisIs,
    FieldCompare,
    InstrumentValue,
    MedicationTaken,
    MetaboliserIs,
    PriorTreatment,
)
from ptsdrx.vocabulary import DrugClass, drug_classes, drug_for_name

HEADS = (
    "any",
    "all",
    "not",
    "diagnosis",
    "field",
    "medication",
    "instrument",
    "assessed",
    "prior_treatment",
    "genetics",
)
STATUSES = ("current", "past", "absent")
GENES = ("CYP2D6", "CYP2C19", "CYP2B6", "CYP3A4")
PHENOTYPES = ("poor", "intermediate", "normal", "rapid", "ultrarapid")


# ------------------------------------------------------------------- value validators


def _param_or(raw: Any) -> Any:
    """``{param: NAME}`` becomes a :class:`ParamRef`; any other mapping is refused."""
    if isinstance(raw, Mapping):
        if set(raw) != {"param"} or not isinstance(raw["param"], str):
            raise ValueError("a parameter reference is written {param: NAME}")
        return ParamRef(param=raw["param"])
    return raw


def _number(raw: Any) -> Any:
    raw = _param_or(raw)
    if not isinstance(raw, ParamRef) and (
        isinstance(raw, bool) or not isinstance(raw, int | float)
    ):
        raise ValueError(f"needs a number or {{param: NAME}}, got {raw!r}")
    return raw


def _scalar(raw: Any) -> Any:
    raw = _param_or(raw)
    if not isinstance(raw, ParamRef | bool | int | float | str):
        raise ValueError(f"needs a number, string or boolean, got {raw!r}")
    return raw


def _list(raw: Any) -> Any:
    if not isinstance(raw, list):
        raise ValueError(f"needs a list, got {raw!r}")
    return [_scalar(x) for x in raw]


def _pair(raw: Any) -> Any:
    if not isinstance(raw, list) or len(raw) != 2:
        raise ValueError(f"needs a [low, high] pair, got {raw!r}")
    return [_number(x) for x in raw]


def _days(raw: Any) -> Any:
    raw = _number(raw)
    if not isinstance(raw, ParamRef) and (
        (isinstance(raw, float) and not raw.is_integer()) or raw < 0
    ):
        raise ValueError(f"needs a whole number of days >= 0, got {raw!r}")
    return raw if isinstance(raw, ParamRef) else int(raw)


def _names(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(x, str) and x for x in items):
        raise ValueError(f"needs a name or a list of names, got {raw!r}")
    return items


def _conditions(raw: Any) -> list[Condition]:
    out = []
    for name in _names(raw):
        try:
            out.append(Condition(name))
        except ValueError:
            allowed = ", ".join(c.value for c in Condition)
            raise ValueError(f"unknown condition {name!r}; allowed: {allowed}") from None
    return out


def _statuses(raw: Any) -> list[str]:
    items = _names(raw)
    bad = [s for s in items if s not in STATUSES]
    if bad:
        raise ValueError(f"{bad} not allowed; allowed: {', '.join(STATUSES)}")
    return items


class ParamRef(BaseModel):
    """``{param: NAME}``: a site-adjustable parameter of the rules file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    param: str

    def compile(self) -> Param:
        """The evaluator's parameter reference."""
        return Param(self.param)


Number = Annotated[int | float | ParamRef, BeforeValidator(_number)]
Value = Annotated[bool | int | float | str | ParamRef, BeforeValidator(_scalar)]
Values = Annotated[list[bool | int | float | str | ParamRef], BeforeValidator(_list)]
Pair = Annotated[list[int | float | ParamRef], BeforeValidator(_pair)]
Days = Annotated[int | ParamRef, BeforeValidator(_days), Field(description="Whole days >= 0.")]
Names = Annotated[list[str], BeforeValidator(_names)]
Conditions = Annotated[list[Condition], BeforeValidator(_conditions)]


def _compile_value(v: Any) -> Any:
    if isinstance(v, ParamRef):
        return v.compile()
    if isinstance(v, list):
        return tuple(_compile_value(x) for x in v)
    return v


# ---------------------------------------------------------------------------- models


class _Spec(BaseModel):
    """Base of every condition model: unknown keys are refused and named."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, raw: Any) -> Any:
        if isinstance(raw, Mapping):
            allowed = [f.alias or n for n, f in cls.model_fields.items()]
            unknown = [str(k) for k in raw if k not in allowed]
            if unknown:
                raise ValueError(
                    f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"
                )
        return raw


class _Compared(_Spec):
    """Exactly one comparison of a value with an operand."""

    eq: Value | None = None
    ne: Value | None = None
    lt: Number | None = None
    le: Number | None = None
    gt: Number | None = None
    ge: Number | None = None
    in_: Values | None = Field(None, alias="in")
    not_in: Values | None = None
    between: Pair | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> _Compared:
        if len(self._ops()) != 1:
            raise ValueError(
                f"needs exactly one comparison, one of {', '.join(OPS)}; "
                f"got {self._ops() or 'none'}"
            )
        return self

    def _ops(self) -> list[str]:
        return [op for op in OPS if getattr(self, _attr(op)) is not None]

    def comparison(self) -> Comparison:
        """The comparison this model holds, with parameters as references."""
        op = self._ops()[0]
        return Comparison(op, _compile_value(getattr(self, _attr(op))))


def _attr(op: str) -> str:
    return "in_" if op == "in" else op


class AnySpec(_Spec):
    """True if any child is true (Kleene)."""

    any: list[ConditionSpec]

    @field_validator("any", mode="before")
    @classmethod
    def _non_empty(cls, v: Any) -> Any:
        if not isinstance(v, list) or not v:
            raise ValueError("needs a non-empty list of conditions")
        return v

    def compile(self) -> Node:
        """``AnyOf`` of the compiled children."""
        return AnyOf(tuple(c.compile() for c in self.any))


class AllSpec(_Spec):
    """True if every child is true (Kleene)."""

    all: list[ConditionSpec]

    @field_validator("all", mode="before")
    @classmethod
    def _non_empty(cls, v: Any) -> Any:
        if not isinstance(v, list) or not v:
            raise ValueError("needs a non-empty list of conditions")
        return v

    def compile(self) -> Node:
        """``AllOf`` of the compiled children."""
        return AllOf(tuple(c.compile() for c in self.all))


class NotSpec(_Spec):
    """Negation; unknown stays unknown."""

    not_: ConditionSpec = Field(alias="not")

    def compile(self) -> Node:
        """``Not`` of the compiled child."""
        return Not(self.not_.compile())


class DiagnosisBody(_Spec):
    """Which conditions, in which statuses, optionally with a recent onset."""

    condition: Conditions
    status: Annotated[list[str], BeforeValidator(_statuses)] = ["current"]
    onset_within_days: Days | None = None


class DiagnosisSpec(_Spec):
    """A diagnosis is current, past or absent (kinds and codes count)."""

    diagnosis: DiagnosisBody

    def compile(self) -> Node:
        """A ``DiagnosisIs`` predicate."""
        d = self.diagnosis
        return DiagnosisIs(
            tuple(d.condition), frozenset(d.status), _compile_value(d.onset_within_days)
        )


class FieldSpec(_Compared):
    """A whitelisted record field with one comparison."""

    field: str

    @field_validator("field")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in FIELDS:
            raise ValueError(f"unknown field {v!r}; allowed: {', '.join(sorted(FIELDS))}")
        return v

    @model_validator(mode="after")
    def _types_fit(self) -> FieldSpec:
        kinds = FIELDS[self.field]
        operand = getattr(self, _attr(self._ops()[0]))
        for x in operand if isinstance(operand, list) else [operand]:
            if not _fits(x, kinds):
                need = "number" if float in kinds else kinds[0].__name__
                raise ValueError(f"{self.field} is compared with {x!r}; it needs a {need}")
        return self

    def compile(self) -> Node:
        """A ``FieldCompare`` predicate."""
        return FieldCompare(self.field, self.comparison())


def _fits(x: Any, kinds: tuple[type, ...]) -> bool:
    if isinstance(x, bool):
        return bool in kinds
    if isinstance(x, ParamRef | int | float):
        return float in kinds
    return isinstance(x, kinds)


def _class_table(info: ValidationInfo) -> Mapping[str, DrugClass]:
    context = info.context or {}
    return context.get("drugs") or drug_classes()


class MedicationBody(_Spec):
    """Drugs by class and/or name, taken now or within a window, with exceptions."""

    class_: Names | None = Field(None, alias="class")
    name: Names | None = None
    within_days: Days = 0
    except_: Names | None = Field(None, alias="except")

    @field_validator("class_")
    @classmethod
    def _known_classes(cls, v: list[str] | None, info: ValidationInfo) -> list[str] | None:
        table = _class_table(info)
        for cid in v or []:
            if cid not in table:
                raise ValueError(f"unknown drug class {cid!r}; allowed: {', '.join(sorted(table))}")
        return v

    @field_validator("name", "except_")
    @classmethod
    def _known_drugs(cls, v: list[str] | None) -> list[str] | None:
        for name in v or []:
            if drug_for_name(name) is None:
                raise ValueError(f"{name!r} is not in the drug vocabulary (drugs.yaml)")
        return v

    @model_validator(mode="after")
    def _something(self) -> MedicationBody:
        if self.class_ is None and self.name is None:
            raise ValueError("needs 'class' and/or 'name'")
        return self


class MedicationSpec(_Spec):
    """A medication is taken now or was stopped within a window."""

    medication: MedicationBody

    def compile(self) -> Node:
        """A ``MedicationTaken`` predicate over drug ids."""
        m = self.medication
        table = drug_classes()
        ids: set[str] = set()
        for cid in m.class_ or []:
            ids |= table[cid].members
        ids |= {str(drug_for_name(n)) for n in m.name or []}
        excluded = frozenset(str(drug_for_name(n)) for n in m.except_ or [])
        return MedicationTaken(frozenset(ids), _compile_value(m.within_days), excluded)


class InstrumentBody(_Compared):
    """An item, the total or a scored detail of the latest administration."""

    id: str = Field(min_length=1)
    item: int | None = None
    total: bool | None = None
    detail: str | None = None
    within_days: Days | None = None

    @field_validator("item", mode="before")
    @classmethod
    def _item(cls, v: Any) -> Any:
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ValueError(f"needs an item number >= 1, got {v!r}")
        return v

    @model_validator(mode="after")
    def _one_selector(self) -> InstrumentBody:
        chosen = [k for k in ("item", "total", "detail") if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError("needs exactly one of item, total, detail")
        if self.total is False:
            raise ValueError("write 'total: true'")
        if self.detail == "":
            raise ValueError("detail needs a detail name")
        return self


class InstrumentSpec(_Spec):
    """A value of an instrument's latest administration, compared."""

    instrument: InstrumentBody

    def compile(self) -> Node:
        """An ``InstrumentValue`` predicate."""
        i = self.instrument
        selector: tuple[str, int | str]
        if i.item is not None:
            selector = ("item", i.item)
        elif i.detail is not None:
            selector = ("detail", i.detail)
        else:
            selector = ("total", "")
        return InstrumentValue(i.id, selector, i.comparison(), _compile_value(i.within_days))


class AssessedBody(_Spec):
    """An instrument given on or after the latest administration of another."""

    instrument: str = Field(min_length=1)
    on_or_after_latest: str = Field(min_length=1)


class AssessedSpec(_Spec):
    """An assessment was done after another one."""

    assessed: AssessedBody

    def compile(self) -> Node:
        """An ``AssessedAfter`` predicate."""
        return AssessedAfter(self.assessed.instrument, self.assessed.on_or_after_latest)


class PriorTreatmentBody(_Spec):
    """Treatment ids."""

    treatment: Names


class PriorTreatmentSpec(_Spec):
    """A past course of a treatment is recorded."""

    prior_treatment: PriorTreatmentBody

    def compile(self) -> Node:
        """A ``PriorTreatment`` predicate."""
        return PriorTreatment(frozenset(self.prior_treatment.treatment))


class GeneticsBody(_Spec):
    """A gene and the metaboliser phenotypes that match."""

    gene: Literal["CYP2D6", "CYP2C19", "CYP2B6", "CYP3A4"]
    phenotype: Annotated[
        list[Literal["poor", "intermediate", "normal", "rapid", "ultrarapid"]], Field(min_length=1)
    ]
    phenoconversion: bool = Field(
        True, description="CYP2D6: a normal/intermediate metaboliser on a strong inhibitor is poor."
    )


class GeneticsSpec(_Spec):
    """The (effective) metaboliser phenotype is one of the phenotypes."""

    genetics: GeneticsBody

    def compile(self) -> Node:
        """A ``MetaboliserIs`` predicate."""
        g = self.genetics
        return MetaboliserIs(g.gene, frozenset(g.phenotype), g.phenoconversion)


def _head(raw: Any) -> str | None:
    if isinstance(raw, Mapping):
        heads = [k for k in raw if k in HEADS]
        return heads[0] if len(heads) == 1 else None
    for name, model in _MODELS.items():
        if isinstance(raw, model):
            return name
    return None


ConditionSpec = Annotated[
    Union[  # noqa: UP007 (a tagged union needs the explicit form)
        Annotated[AnySpec, Tag("any")],
        Annotated[AllSpec, Tag("all")],
        Annotated[NotSpec, Tag("not")],
        Annotated[DiagnosisSpec, Tag("diagnosis")],
        Annotated[FieldSpec, Tag("field")],
        Annotated[MedicationSpec, Tag("medication")],
        Annotated[InstrumentSpec, Tag("instrument")],
        Annotated[AssessedSpec, Tag("assessed")],
        Annotated[PriorTreatmentSpec, Tag("prior_treatment")],
        Annotated[GeneticsSpec, Tag("genetics")],
    ],
    Discriminator(
        _head,
        custom_error_type="condition_head",
        custom_error_message=f"a condition needs exactly one of {', '.join(HEADS)}",
    ),
]
_MODELS: dict[str, type[BaseModel]] = {
    "any": AnySpec,
    "all": AllSpec,
    "not": NotSpec,
    "diagnosis": DiagnosisSpec,
    "field": FieldSpec,
    "medication": MedicationSpec,
    "instrument": InstrumentSpec,
    "assessed": AssessedSpec,
    "prior_treatment": PriorTreatmentSpec,
    "genetics": GeneticsSpec,
}
for _model in (AnySpec, AllSpec, NotSpec):
    _model.model_rebuild()
_ADAPTER: TypeAdapter[Any] = TypeAdapter(ConditionSpec)


def describe_condition_error(exc: ValidationError) -> str:
    """One line per error: the place (union tags folded in) and the message."""
    lines = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        folded = [p for i, p in enumerate(loc) if i + 1 >= len(loc) or loc[i + 1] != p]
        msg = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"{'.'.join(folded) or '(condition)'}: {msg}")
    return "\n".join(lines)


def parse(raw: Any, where: str, drugs: Mapping[str, DrugClass] | None = None) -> Node:
    """Validate a condition written as YAML data and compile it; errors name ``where``."""
    try:
        spec = _ADAPTER.validate_python(raw, context={"drugs": drugs or None})
    except ValidationError as exc:
        raise RuleFileError(f"{where}: {describe_condition_error(exc)}") from exc
    node: Node = spec.compile()
    return node


def condition_schema() -> dict[str, Any]:
    """The JSON Schema of one condition (the ``when`` of a rule)."""
    return _ADAPTER.json_schema()
