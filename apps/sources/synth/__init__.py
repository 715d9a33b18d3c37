"""Deterministic synthetic Bristol population and its 35 source extracts (see docs/synthetic-data.md)."""

from .generate import DEFAULT_AS_OF, GROUND_TRUTH_DIR, generate
from .noise import NoiseRates
from .population import SCALES

__all__ = ["DEFAULT_AS_OF", "GROUND_TRUTH_DIR", "SCALES", "NoiseRates", "generate"]
