"""Casework models, one module per thing: cases and consent (``cases``), assessment, outcome plan and
claims (``plans``), the team around the family (``team``). Import from ``apps.casework.models``."""

from .cases import Case, CaseTransition, Consent
from .plans import CaseNeed, Claim
from .team import TeamMember

__all__ = ["Case", "CaseNeed", "CaseTransition", "Claim", "Consent", "TeamMember"]
