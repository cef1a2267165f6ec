"""The models of a scan session, one module per domain: the session itself and what is written
in it (session), workshops with several tables (workshop), the present screen's codes (present),
the table members' phones (phones) and the audit log (audit)."""

from .audit import AuditAction, AuditEvent
from .phones import (
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    ActionProposal,
    JoinCode,
    JoinCodeFailure,
    ParticipantMark,
    PhoneParticipant,
    new_join_code,
)
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
    RevisionKind,
    ScanSession,
    SessionFactor,
    Status,
    UnsavedText,
)
from .workshop import Event, Reflection, ReflectionQuestion

__all__ = [
    "JOIN_CODE_ALPHABET", "JOIN_CODE_LENGTH", "ActionProposal", "JoinCode", "JoinCodeFailure",
    "ParticipantMark", "PhoneParticipant", "new_join_code",
    "FACTOR_BUDGET_SECONDS", "PRESENT_CODE_ALPHABET", "PRESENT_CODE_LENGTH",
    "QUESTIONING_SECONDS", "ActionPoint", "ActionStatus", "AuditAction", "AuditEvent", "Event",
    "FieldRevision", "Initiative", "Participant", "ParticipantRole", "PresentCode",
    "PresentCodeFailure", "Reflection", "ReflectionQuestion", "RevisionKind", "ScanSession",
    "SessionFactor", "Status", "UnsavedText", "new_present_code",
]
