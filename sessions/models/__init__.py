"""The models of a scan session, one module per domain: the session itself and what is written
in it (session), workshops with several tables (workshop), the present screen's codes (present)
and the audit log (audit)."""

from .audit import AuditAction, AuditEvent
from .present import (
    PRESENT_CODE_ALPHABET,
    PRESENT_CODE_LENGTH,
    PresentCode,
    PresentCodeFailure,
    new_present_code,
)
from .session import (
    FACTOR_BUDGET_SECONDS,
    QUESTIONING_SECONDS,
    ActionPoint,
    ActionStatus,
    FieldRevision,
    Initiative,
    Participant,
    ParticipantRole,
    ScanSession,
    SessionFactor,
    Status,
)
from .workshop import Event, Reflection, ReflectionQuestion

__all__ = [
    "FACTOR_BUDGET_SECONDS", "PRESENT_CODE_ALPHABET", "PRESENT_CODE_LENGTH",
    "QUESTIONING_SECONDS", "ActionPoint", "ActionStatus", "AuditAction", "AuditEvent", "Event",
    "FieldRevision", "Initiative", "Participant", "ParticipantRole", "PresentCode",
    "PresentCodeFailure", "Reflection", "ReflectionQuestion", "ScanSession", "SessionFactor",
    "Status", "new_present_code",
]
