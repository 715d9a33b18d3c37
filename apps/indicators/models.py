"""The indicator catalogue (seed 001), headline problems, badges and person indicators."""

from __future__ import annotations

from django.db import models


class HeadlineProblem(models.Model):
    """One of the six headline problems of the Troubled Families programme."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=120)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.name


class Badge(models.Model):
    """A criteria badge shown against people and families: SUPPORT, SCHOOL, INCOME, CRIME, ASB, MISSING, HEALTH, DA."""

    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=60)
    headline_problem = models.ForeignKey(HeadlineProblem, on_delete=models.PROTECT, related_name="badges")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.code


class IndicatorCategory(models.Model):
    """A heading of seed 001's indicator table; the unit of section visibility."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    badge = models.ForeignKey(Badge, null=True, blank=True, on_delete=models.PROTECT, related_name="categories")
    section = models.ForeignKey("accounts.Section", on_delete=models.PROTECT, related_name="categories")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        verbose_name_plural = "indicator categories"

    def __str__(self) -> str:
        return self.name


class IndicatorDefinition(models.Model):
    class Kind(models.TextChoices):
        EVENT = "event", "Projected from source events"
        DERIVED = "derived", "Derived by the refresh"
        RISK = "risk", "Risk model score"

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    category = models.ForeignKey(IndicatorCategory, on_delete=models.PROTECT, related_name="indicators")
    source = models.CharField(max_length=40, help_text="Providers as in seed 001, e.g. 'BCC & ASC'")
    providers = models.ManyToManyField("sources.Organisation", blank=True, related_name="indicators")
    gateways = models.ManyToManyField("sources.LegalGateway", blank=True, related_name="indicators")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.EVENT)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["category__order", "order"]

    def __str__(self) -> str:
        return self.name


class PersonIndicator(models.Model):
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="indicators")
    definition = models.ForeignKey(IndicatorDefinition, on_delete=models.PROTECT, related_name="person_indicators")
    indicator_date = models.DateField()
    value = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    notes = models.TextField(blank=True)
    dataset = models.ForeignKey("sources.Dataset", null=True, blank=True, on_delete=models.PROTECT)
    source_records = models.ManyToManyField("sources.SourceRecord", blank=True, related_name="indicators")

    class Meta:
        indexes = [models.Index(fields=["person", "definition"]), models.Index(fields=["definition", "indicator_date"])]
