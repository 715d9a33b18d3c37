"""Deterministic synthetic Bristol population and one source extract per dataset descriptor (see docs/synthetic-data.md)."""

from .generate import DEFAULT_AS_OF, GROUND_TRUTH_DIR, generate
from .noise import NoiseRates
from .population import SCALES

__all__ = ["DEFAULT_AS_OF", "GROUND_TRUTH_DIR", "SCALES", "NoiseRates", "generate"]
