"""Casework models, one module per thing: cases and consent (``cases``), assessment, outcome plan and
claims (``plans``), the team around the family (``team``), family progress snapshots (``progress``), incident
notifications (``notifications``), police marker requests (``markers``). Import from ``apps.casework.models``."""

from .cases import Case, CaseTransition, Consent
from .markers import MarkerRequest
from .notifications import Notification
from .plans import CaseNeed, Claim
from .progress import ProgressSnapshot
from .team import TeamMember

__all__ = [
    "Case", "CaseNeed", "CaseTransition", "Claim", "Consent", "MarkerRequest", "Notification", "ProgressSnapshot",
    "TeamMember",
]
