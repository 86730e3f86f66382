"""Registry errors: each message says what is wrong and what to do."""

from __future__ import annotations


class RegistryError(Exception):
    """A registry operation was refused (nothing of it was kept)."""


class PatientNotFoundError(RegistryError):
    """No patient with this internal id."""

    def __init__(self, patient_id: str) -> None:
        self.patient_id = patient_id
        super().__init__(f"no patient with id {patient_id!r} in the registry")


class RecordFieldError(RegistryError):
    """A record (or its identifiers) refused because of one field; ``field`` is its path."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class SafetyHoldError(RegistryError):
    """A dosing session refused: the patient's record raises a flag that holds treatment."""

    def __init__(self, patient_id: str, flags: list[str]) -> None:
        self.patient_id = patient_id
        self.flags = flags
        super().__init__(
            f"urgent safety flag ({', '.join(flags)}): no dosing session can be opened until "
            "an urgent risk assessment is recorded (a newer assessment without the flag); "
            "preparation and integration sessions remain possible"
        )
