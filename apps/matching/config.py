"""A match run's tunables: the ``MATCHING_*`` settings (declared in ``thinkfamily/settings.py`` from the environment)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.conf import settings

from . import splink_model


@dataclass(frozen=True)
class MatchingConfig:
    match_threshold: float  # pairs at or above are linked
    review_threshold: float  # pairs from here up to the match threshold go to clerical review
    memory_limit: str  # DuckDB's memory_limit, e.g. "2GB"
    threads: int  # DuckDB's threads
    review_queue_cap: int  # grey-zone pairs queued at most
    caps: splink_model.TrainingCaps = field(default_factory=splink_model.TrainingCaps)

    @classmethod
    def from_settings(cls) -> MatchingConfig:
        return cls(
            match_threshold=settings.MATCHING_MATCH_THRESHOLD,
            review_threshold=settings.MATCHING_REVIEW_THRESHOLD,
            memory_limit=settings.MATCHING_DUCKDB_MEMORY_LIMIT,
            threads=settings.MATCHING_DUCKDB_THREADS,
            review_queue_cap=settings.MATCHING_REVIEW_QUEUE_CAP,
        )

    @classmethod
    def for_next_run(cls) -> MatchingConfig:
        """The settings, with the thresholds last chosen in the product (``ThresholdSetting``) when there are any."""
        from .models import ThresholdSetting

        config = cls.from_settings()
        chosen = ThresholdSetting.objects.order_by("-set_at", "-pk").first()
        if chosen is None:
            return config
        return replace(config, match_threshold=chosen.match_threshold, review_threshold=chosen.review_threshold)

    @classmethod
    def for_run(cls, run) -> MatchingConfig:
        """The settings with the thresholds ``run`` was created with (its page shows them)."""
        return replace(cls.from_settings(), match_threshold=run.match_threshold, review_threshold=run.review_threshold)
