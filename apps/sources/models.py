"""Who provides data, under which legal gateway, and what was loaded."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class Organisation(models.Model):
    code = models.SlugField(max_length=20, unique=True, help_text="BCC, ASC, EHM, DWP, DFE")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class LegalGateway(models.Model):
    """A statute that allows sharing. Numbered as in seed 001's list."""

    number = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=300)
    named_in_source = models.BooleanField(
        default=True, help_text="False when the indicator table cites a number the gateway list does not name"
    )

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class Dataset(models.Model):
    """One source dataset: its definition is ``descriptor`` (``apps/sources/descriptors.py``).

    The other columns mirror the descriptor for queries and joins; both are written together, only by
    ``dataset_services`` (the datasets page). ``history`` keeps every version, with who changed it.
    """

    class Cadence(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        TERMLY = "termly", "Termly"
        ADHOC = "adhoc", "Ad hoc"

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="datasets")
    gateways = models.ManyToManyField(LegalGateway, blank=True, related_name="datasets")
    category = models.CharField(max_length=60, help_text="Indicator category this dataset mainly feeds")
    section = models.ForeignKey(
        "accounts.Section", on_delete=models.PROTECT, related_name="datasets", help_text="Who may see its facts"
    )
    retention_days = models.PositiveIntegerField(default=6 * 365)
    validated = models.BooleanField(default=True, help_text='False for feeds such as "XVault live feed, not validated"')
    cadence = models.CharField(max_length=10, choices=Cadence.choices, default=Cadence.MONTHLY)
    trust_rank = models.PositiveSmallIntegerField(
        default=50, help_text="Lower is more trusted when choosing a person's golden fields"
    )
    description = models.TextField(blank=True)
    descriptor = models.JSONField(
        default=dict, blank=True, help_text="The dataset's definition: columns, codes, event types, formats (a descriptor)"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ImportBatch(models.Model):
    """One extract file of one dataset, loaded all-or-nothing."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        VALIDATING = "validating", "Validating"
        LOADING = "loading", "Loading"
        LOADED = "loaded", "Loaded"
        FAILED = "failed", "Failed"
        DUPLICATE = "duplicate", "Duplicate of an earlier file"

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="batches")
    filename = models.CharField(max_length=300)
    checksum = models.CharField(max_length=64, db_index=True, help_text="SHA-256 of the file")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_validated = models.PositiveIntegerField(default=0)
    rows_loaded = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rows_quarantined = models.PositiveIntegerField(
        default=0, help_text="Bad rows kept aside when the good rows loaded (datasets that quarantine bad rows)"
    )
    errors = models.JSONField(default=list, blank=True, help_text="First 1,000 problems: row, column, reason")
    warnings = models.JSONField(
        default=list, blank=True,
        help_text="What the data quality officer should check though nothing was refused for it: column, reason "
        "(e.g. dates that read the same day-first and month-first)",
    )
    error_counts = models.JSONField(default=dict, blank=True)
    failure_reason = models.TextField(blank=True)
    quality = models.JSONField(default=dict, blank=True, help_text="Missing-identifier rates and other figures")
    is_current = models.BooleanField(default=False, help_text="The dataset's rows come from this batch")
    replaced_persons = models.JSONField(
        default=list, blank=True,
        help_text="Persons linked to the rows this extract replaced: the incremental match after the load "
        "projects them again, so nothing projected from a row that is gone stays on their record",
    )
    worker = models.CharField(
        max_length=120, blank=True, help_text="host:pid of the process validating or loading it, to tell a stopped load"
    )
    reinstates = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The earlier batch of the same file that this load makes the dataset's current extract again",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset"], condition=models.Q(is_current=True), name="one_current_batch_per_dataset"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dataset.code} {self.filename} ({self.status})"


class SourceRecord(models.Model):
    """One row of one dataset: identity fields (raw and normalised) and the fact it carries."""

    # Bulk-load speed (docs/importing.md, "Speed"): every index and every checked foreign key costs
    # each of the million-odd rows a full extract brings.
    # - No single-column indexes on dataset and batch: the (dataset, source_key) index and the
    #   (batch, row_number) constraint lead with them.
    # - No database foreign-key constraints on dataset and batch (db_constraint=False): PostgreSQL
    #   checks one per row inserted, which cost more than the rest of the load together. The loader
    #   is the only writer of these columns and sets them from the batch it has just created, in the
    #   same transaction; Django still applies on_delete (PROTECT, CASCADE) and joins as usual.
    dataset = models.ForeignKey(
        Dataset, on_delete=models.PROTECT, related_name="records", db_index=False, db_constraint=False
    )
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, related_name="records", db_index=False, db_constraint=False
    )
    source_key = models.CharField(max_length=80)
    row_number = models.PositiveIntegerField()
    # identity, raw as sent
    raw = models.JSONField(default=dict, help_text="The row as received")
    # identity, normalised for matching and search
    forename = models.CharField(max_length=100, blank=True)
    surname = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    address_key = models.CharField(max_length=200, blank=True, help_text="Normalised BS7666-style address key")
    uprn = models.CharField(max_length=12, blank=True)
    nhs_number = models.CharField(max_length=10, blank=True)
    upn = models.CharField(max_length=13, blank=True)
    ni_number = models.CharField(max_length=9, blank=True)
    # the fact it carries
    fact_type = models.CharField(max_length=40, blank=True)
    fact_date = models.DateField(null=True, blank=True)
    fact = models.JSONField(default=dict, blank=True)
    # linkage
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="source_records"
    )
    match_probability = models.FloatField(null=True, blank=True)

    class Meta:
        # Only what readers use: a person's records (the person index), a search by an agency's
        # key (dataset, source_key), by postcode, and a batch's rows (replacing it, its page).
        # Searches by name or date of birth read Person and PersonAlias, matching reads every row.
        constraints = [models.UniqueConstraint(fields=["batch", "row_number"], name="unique_row_number_in_batch")]
        indexes = [
            models.Index(fields=["dataset", "source_key"]),
            models.Index(fields=["postcode"]),
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id}:{self.source_key}"


from .quarantine.models import QuarantinedRow  # noqa: E402, F401 - a model of this app, in its own module
