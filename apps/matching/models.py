"""Match runs, the clerical review queue and the history of person ids."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class MatchRun(models.Model):
    """One linkage of source records into golden persons, with its model, figures and charts."""

    class Kind(models.TextChoices):
        FULL = "full", "Full run (train, predict, cluster, project)"
        INCREMENTAL = "incremental", "Incremental (one dataset's new extract)"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to start"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.FULL)
    dataset = models.ForeignKey(
        "sources.Dataset", null=True, blank=True, on_delete=models.PROTECT, help_text="Incremental runs: the extract's dataset"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    stage = models.CharField(max_length=60, blank=True, help_text="What the run is doing now")
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    match_threshold = models.FloatField(help_text="Pairs at or above this probability are linked")
    review_threshold = models.FloatField(help_text="Pairs from here up to the match threshold go to clerical review")
    model = models.JSONField(default=dict, blank=True, help_text="Splink's model JSON (settings and trained m/u)")
    parameters = models.JSONField(default=list, blank=True, help_text="m, u and match weight of each comparison level")
    charts = models.JSONField(default=dict, blank=True, help_text="Splink chart specs (Vega-Lite)")
    counts = models.JSONField(default=dict, blank=True, help_text="Records, profiles, pairs, clusters, persons, merges, splits")
    accuracy = models.JSONField(
        default=dict, db_default=models.Value({}, output_field=models.JSONField()), blank=True,
        help_text="Precision and recall against reviewers' labels at a range of thresholds (explain.accuracy_from_labels)",
    )
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds per stage")
    failure_reason = models.TextField(blank=True)
    worker = models.CharField(
        max_length=120, blank=True,
        help_text="host:pid of the process that took the run; blank while it waits in the task queue",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Match run {self.pk} ({self.get_kind_display()}, {self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.FAILED)


class ClericalPair(models.Model):
    """Two source records the model was unsure about (grey zone), waiting for a reviewer.

    ``record_low`` has the smaller id, so a pair exists once whichever way round it was scored.
    """

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="clerical_pairs")
    # Named reverse relations (not "+"): the importer finds what references the rows it replaces through them.
    record_low = models.ForeignKey("sources.SourceRecord", on_delete=models.CASCADE, related_name="clerical_pairs_low")
    record_high = models.ForeignKey("sources.SourceRecord", on_delete=models.CASCADE, related_name="clerical_pairs_high")
    match_probability = models.FloatField()
    explanation = models.JSONField(
        default=list, db_default=models.Value([], output_field=models.JSONField()), blank=True,
        help_text="Splink's waterfall data for the pair: prior, each comparison's level and weight, final score (no values)",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-match_probability", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["record_low", "record_high"], name="one_clerical_pair_per_record_pair"),
            models.CheckConstraint(name="clerical_pair_ordered", condition=models.Q(record_low__lt=models.F("record_high"))),
        ]


class ReviewDecision(models.Model):
    """A reviewer's label for two records. Match and not-a-match bind every later run.

    A decision is about two agencies' records of a person, so it is keyed by their
    stable identity, dataset code and source key, not by the rows' ids: a newer
    extract of a dataset replaces its rows (new ids), and the decision still binds
    the rows with the same source keys. ``low`` is the smaller (dataset code,
    source key), so a pair is decided once whichever way round it was queued.
    ``record_low``/``record_high`` are the rows the reviewer compared, kept while
    their extract is current (null once it is replaced).
    """

    class Outcome(models.TextChoices):
        MATCH = "match", "The same person"
        NOT_MATCH = "not_match", "Not the same person"
        NOT_SURE = "not_sure", "Not sure"

    low_dataset = models.ForeignKey(
        "sources.Dataset", to_field="code", on_delete=models.PROTECT, related_name="+", db_column="low_dataset_code"
    )
    low_source_key = models.CharField(max_length=80)
    high_dataset = models.ForeignKey(
        "sources.Dataset", to_field="code", on_delete=models.PROTECT, related_name="+", db_column="high_dataset_code"
    )
    high_source_key = models.CharField(max_length=80)
    record_low = models.ForeignKey(
        "sources.SourceRecord", null=True, blank=True, on_delete=models.SET_NULL, related_name="review_decisions_low",
        help_text="The row the reviewer saw for the low side, while its extract is current",
    )
    record_high = models.ForeignKey(
        "sources.SourceRecord", null=True, blank=True, on_delete=models.SET_NULL, related_name="review_decisions_high",
        help_text="The row the reviewer saw for the high side, while its extract is current",
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    score_shown = models.BooleanField(help_text="Whether the reviewer saw the model's probability")
    match_probability = models.FloatField(null=True, blank=True, help_text="The model's probability when queued")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="match_decisions")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["low_dataset", "low_source_key", "high_dataset", "high_source_key"],
                name="one_decision_per_source_key_pair",
            ),
            models.CheckConstraint(
                name="decision_source_keys_ordered",
                condition=models.Q(low_dataset__lt=models.F("high_dataset"))
                | models.Q(low_dataset=models.F("high_dataset"), low_source_key__lt=models.F("high_source_key")),
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.low_dataset_id}:{self.low_source_key} / {self.high_dataset_id}:{self.high_source_key}: "
            f"{self.get_outcome_display()}"
        )



class PersonIdEvent(models.Model):
    """A change of person id: a merge (two persons became one) or a split (one became several).

    ``from_person`` keeps its id; a merged person also gets ``Person.merged_into``.
    A saved link to ``from_person`` can follow ``to_person`` to where the records went.
    """

    class Kind(models.TextChoices):
        MERGE = "merge", "Merged into another person"
        SPLIT = "split", "Records split off to a new person"

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="person_id_events")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    from_person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="id_events_from")
    to_person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="id_events_to")
    record_count = models.PositiveIntegerField(help_text="Source records that moved")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        indexes = [models.Index(fields=["from_person"]), models.Index(fields=["to_person"])]


class ThresholdSetting(models.Model):
    """The match and review thresholds chosen in the product; the latest one binds the next run.

    Without any, the ``MATCHING_*_THRESHOLD`` settings apply (``config.MatchingConfig.from_settings``).
    Rows are never changed: each change is a new row, so the history is the table.
    """

    match_threshold = models.FloatField(help_text="Pairs at or above this probability are linked")
    review_threshold = models.FloatField(help_text="Pairs from here up to the match threshold go to clerical review")
    reason = models.TextField(help_text="Why, e.g. the precision and recall measured")
    based_on_run = models.ForeignKey(
        MatchRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The run whose accuracy table the choice was made from",
    )
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-set_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="threshold_setting_ordered",
                condition=models.Q(review_threshold__gt=0) & models.Q(review_threshold__lte=models.F("match_threshold"))
                & models.Q(match_threshold__lte=1),
            ),
        ]

    def __str__(self) -> str:
        return f"Match {self.match_threshold}, review {self.review_threshold} ({self.set_at:%Y-%m-%d})"
