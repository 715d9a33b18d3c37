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


class Framework(models.Model):
    """A programme framework: its headlines, each headline's needs, and when a family is eligible.

    Loaded from ``fixtures/frameworks/*.json`` once (never overwritten by a migration); exactly one is
    active, chosen by the programme manager, and family criteria are computed for it.
    """

    class CountOf(models.TextChoices):
        HEADLINES = "headlines", "Headline problems"
        NEEDS = "needs", "Needs"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True, help_text="The guidance it follows")
    count_of = models.CharField(max_length=10, choices=CountOf.choices)
    eligible_min = models.PositiveSmallIntegerField(help_text="Eligible with at least this many headlines or needs")
    allows_expectant_parent = models.BooleanField(
        default=False, help_text="An expectant parent counts as a dependent child for eligibility")
    expectant_parent_indicators = models.JSONField(
        default=list, blank=True,
        help_text="Codes of indicators that say a member is an expectant parent (counted once the catalogue has them)")
    is_active = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=models.Q(is_active=True), name="one_active_framework")
        ]

    def __str__(self) -> str:
        return self.name


class FrameworkHeadline(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="headlines")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["framework", "order"]
        constraints = [models.UniqueConstraint(fields=["framework", "code"], name="unique_framework_headline")]

    def __str__(self) -> str:
        return self.name


class FrameworkNeed(models.Model):
    """One need under a headline: the indicators that evidence it, and the outcome measure that shows it met."""

    headline = models.ForeignKey(FrameworkHeadline, on_delete=models.CASCADE, related_name="needs")
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    indicators = models.ManyToManyField("IndicatorDefinition", blank=True, related_name="framework_needs")
    outcome_measure = models.SlugField(
        max_length=40, help_text="A measure of apps.casework.measures (e.g. attendance, no-offence) or 'practitioner'")
    outcome_params = models.JSONField(default=dict, blank=True, help_text="The measure's parameters, e.g. threshold")
    outcome_text = models.CharField(max_length=300, help_text="The outcome in words, e.g. 'Attends at least 90%'")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["headline", "order"]
        constraints = [models.UniqueConstraint(fields=["headline", "code"], name="unique_framework_need")]

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


# --- risk models, unit costs, family criteria, refresh runs ---------------------------
class RiskModel(models.Model):
    """An explainable risk score: 100 * logistic(intercept + sum of the weights of the factors a person meets).

    Loaded from ``fixtures/risk_models.json``. A ``learned`` model's weights are
    re-estimated from the historical cohort by ``risk.neet_model_train``; the
    others keep the weights written in the fixture.
    """

    class Method(models.TextChoices):
        WEIGHTED = "weighted", "Weights set by analysts"
        LEARNED = "learned", "Weights learned from a historical cohort"

    indicator = models.OneToOneField(
        IndicatorDefinition, on_delete=models.PROTECT, related_name="risk_model", limit_choices_to={"kind": "risk"}
    )
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.WEIGHTED)
    intercept = models.FloatField(help_text="Log-odds of a person who meets no factor")
    threshold = models.DecimalField(max_digits=5, decimal_places=2, help_text="Flag at or above this score (0-100)")
    min_factors = models.PositiveSmallIntegerField(default=1, help_text="Flag only people meeting at least this many")
    min_age = models.PositiveSmallIntegerField(default=0)
    max_age = models.PositiveSmallIntegerField(default=120)
    lead_text = models.CharField(max_length=300, help_text="Opening of the notes, e.g. 'This person has been flagged at risk'")
    description = models.TextField(blank=True)
    trained_at = models.DateTimeField(null=True, blank=True)
    training = models.JSONField(default=dict, blank=True, help_text="Cohort size, outcome rate, held-out AUC")

    def __str__(self) -> str:
        return self.indicator.name


class RiskFactor(models.Model):
    """One factor of a risk model: a kind of evidence about the person (or their family) and its weight."""

    class Kind(models.TextChoices):
        INDICATOR = "indicator", "Person has an indicator"
        EVENT = "event", "Person has a source event"
        FAMILY_INDICATOR = "family_indicator", "Someone in the person's current family has an indicator"
        EXCLUSION = "exclusion", "Person has school exclusions"
        PRU = "pru", "Person has been placed in a pupil referral unit"
        SEN = "sen", "Person has had a special educational needs status"

    model = models.ForeignKey(RiskModel, on_delete=models.CASCADE, related_name="factors")
    code = models.SlugField(max_length=60)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    codes = models.JSONField(default=list, blank=True, help_text="Indicator codes, event types, exclusion kinds or SEN codes")
    min_count = models.PositiveSmallIntegerField(default=1, help_text="Pieces of evidence needed")
    weight = models.FloatField(help_text="Log-odds added when the factor is met")
    phrase = models.CharField(max_length=200, help_text="Completes 'they ...' in the notes, e.g. 'have gone missing 3 or more times'")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["model", "order"]
        constraints = [models.UniqueConstraint(fields=["model", "code"], name="unique_risk_factor_code")]

    def __str__(self) -> str:
        return f"{self.model}: {self.code}"


class IndicatorUnitCost(models.Model):
    """Estimated yearly public cost of one person with an indicator; used to order eligible families."""

    indicator = models.OneToOneField(IndicatorDefinition, on_delete=models.CASCADE, related_name="unit_cost")
    annual_cost = models.DecimalField(max_digits=10, decimal_places=2)
    basis = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.indicator.code}: {self.annual_cost}"


class RefreshRun(models.Model):
    """One refresh of derived indicators, risk scores and family criteria: when, how long, what changed."""

    class Scope(models.TextChoices):
        FULL = "full", "All people and families"
        FAMILY = "family", "One family"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed (nothing changed)"

    scope = models.CharField(max_length=10, choices=Scope.choices)
    family_reference = models.CharField(max_length=20, blank=True)
    as_of = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    added = models.JSONField(default=dict, blank=True, help_text="Indicators added, per category code")
    removed = models.JSONField(default=dict, blank=True, help_text="Indicators removed, per category code")
    newly_eligible = models.JSONField(default=list, blank=True, help_text="References of families newly eligible")
    no_longer_eligible = models.JSONField(default=list, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    worker = models.CharField(max_length=120, blank=True, help_text="host:pid of the process running the refresh")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.scope} refresh {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class FamilyCriteria(models.Model):
    """A family's badges, headline problems, eligibility and priority as of the last refresh.

    ``reasons`` is structured (one entry per indicator category met, with its
    section) so pages can show only what the reader's sections allow;
    ``reasons_text`` is the same for readers of every section. Computed for the framework active at
    the refresh (``framework``): its headlines met (``problems``), its needs met (``needs``).
    """

    family = models.OneToOneField("people.Family", on_delete=models.CASCADE, related_name="criteria")
    badges = models.JSONField(default=list, help_text="Badge codes in badge order")
    framework = models.ForeignKey(Framework, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  help_text="The framework active when these criteria were computed")
    problems = models.JSONField(default=list, help_text="The framework's headline codes met, in order")
    problem_count = models.PositiveSmallIntegerField(default=0)
    needs = models.JSONField(default=list, blank=True, help_text="The framework's need codes met, in order")
    need_count = models.PositiveSmallIntegerField(default=0)
    expectant_parents = models.PositiveSmallIntegerField(
        default=0, help_text="Current members with an expectant-parent indicator of the framework")
    is_eligible = models.BooleanField(
        default=False, help_text="The framework's rule: enough headlines or needs, and a dependent child (or an "
                                 "expectant parent where the framework allows)")
    max_risk = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    estimated_cost = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    dependent_children = models.PositiveSmallIntegerField(default=0)
    reasons = models.JSONField(default=list, blank=True)
    reasons_text = models.TextField(blank=True)
    as_of = models.DateField()
    refresh_run = models.ForeignKey(RefreshRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name_plural = "family criteria"
        indexes = [
            models.Index(
                fields=["is_eligible", "-problem_count", "-max_risk", "-estimated_cost"], name="family_priority_idx"
            ),
            models.Index(
                fields=["is_eligible", "-need_count", "-problem_count", "-max_risk", "-estimated_cost"],
                name="family_need_priority_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.family_id}: {self.problem_count} problems"
