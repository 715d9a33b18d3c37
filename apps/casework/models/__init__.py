"""Casework models, one module per thing: cases and consent (``cases``), assessment, outcome plan and
claims (``plans``), family progress snapshots (``progress``). Import from ``apps.casework.models``."""

from .cases import Case, CaseTransition, Consent
from .plans import CaseNeed, Claim
from .progress import ProgressSnapshot

__all__ = ["Case", "CaseNeed", "CaseTransition", "Claim", "Consent", "ProgressSnapshot"]
