"""The golden records: persons, addresses, households and families.

Pages read people and families through ``Person.objects.visible_to(viewer)`` /
``Family.objects.visible_to(viewer)`` (``apps.people.visibility``), or the selectors
built on them, never through the bare managers: restricted records are filtered there.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from guardian.models import UserObjectPermissionBase

from apps.common.dates import age_on

from .visibility import FamilyQuerySet, PersonQuerySet


class Area(models.TextChoices):
    NORTH = "north", "North"
    EAST_CENTRAL = "east_central", "East Central"
    SOUTH = "south", "South"


class Person(models.Model):
    """A golden record. Its id is issued once and never reused or changed."""

    objects = PersonQuerySet.as_manager()

    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        UNKNOWN = "U", "Not known"

    forename = models.CharField(max_length=100)
    middle_names = models.CharField(max_length=200, blank=True)
    surname = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    ethnicity = models.CharField(max_length=60, blank=True)
    nhs_number = models.CharField(max_length=10, blank=True)
    upn = models.CharField(max_length=13, blank=True)
    ni_number = models.CharField(max_length=9, blank=True)
    # search keys, kept by the projection: upper-case, accents and punctuation removed
    search_forename = models.CharField(max_length=100, blank=True, db_index=True)
    search_surname = models.CharField(max_length=100, blank=True, db_index=True)
    forename_phonetic = models.CharField(max_length=12, blank=True, db_index=True)
    surname_phonetic = models.CharField(max_length=12, blank=True, db_index=True)
    current_address = models.ForeignKey(
        "Address", null=True, blank=True, on_delete=models.SET_NULL, related_name="current_residents"
    )
    is_restricted = models.BooleanField(default=False, help_text="Staff, relatives of staff, high-profile cases")
    restriction_reason = models.CharField(max_length=200, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from",
        help_text="Set when a match run merged this person into another; the id is kept, never reused",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [("view_restricted_person", "Named on a restricted person")]
        indexes = [
            models.Index(fields=["search_surname", "search_forename"]),
            models.Index(fields=["date_of_birth"]),
            models.Index(fields=["nhs_number"]),
            models.Index(fields=["upn"]),
            models.Index(fields=["ni_number"]),
            # the few restricted people: the visibility rule's "not restricted" test on a person id (visibility.py)
            models.Index(fields=["id"], condition=models.Q(is_restricted=True), name="person_restricted_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.forename} {self.surname}"

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.forename, self.middle_names, self.surname) if p)

    def age_on(self, day: date) -> int | None:
        return age_on(self.date_of_birth, day)


class PersonAlias(models.Model):
    """A name or date of birth under which a source knows this person."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="aliases")
    forename = models.CharField(max_length=100)
    surname = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    dataset = models.ForeignKey("sources.Dataset", on_delete=models.PROTECT)

    class Meta:
        indexes = [models.Index(fields=["surname", "forename"])]


class Address(models.Model):
    """A BS7666-style address."""

    sub_building = models.CharField(max_length=100, blank=True, help_text="Flat 4A")
    building_name = models.CharField(max_length=100, blank=True)
    building_number = models.CharField(max_length=20, blank=True)
    street = models.CharField(max_length=150, blank=True)
    locality = models.CharField(max_length=100, blank=True)
    town = models.CharField(max_length=100, default="Bristol")
    postcode = models.CharField(max_length=8, db_index=True)
    uprn = models.CharField(max_length=12, blank=True, db_index=True)
    area = models.CharField(max_length=20, choices=Area.choices, blank=True)
    address_key = models.CharField(max_length=200, unique=True, help_text="Normalised key: UPRN or parsed parts")

    class Meta:
        verbose_name_plural = "addresses"

    def __str__(self) -> str:
        return self.one_line

    @property
    def one_line(self) -> str:
        number_street = " ".join(p for p in (self.building_number, self.street) if p)
        parts = [self.sub_building, self.building_name, number_street, self.locality, self.town, self.postcode]
        return ", ".join(p for p in parts if p)


class AddressHistory(models.Model):
    """One spell of a person at an address, as one source reported it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="address_history")
    address = models.ForeignKey(Address, on_delete=models.PROTECT, related_name="spells")
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    dataset = models.ForeignKey("sources.Dataset", on_delete=models.PROTECT)
    source_record = models.ForeignKey("sources.SourceRecord", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name_plural = "address history"
        indexes = [models.Index(fields=["person", "date_from"]), models.Index(fields=["address", "date_from"])]


class Household(models.Model):
    """People at one address over one period."""

    address = models.ForeignKey(Address, on_delete=models.PROTECT, related_name="households")
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)


class Family(models.Model):
    """A household with at least one dependent child."""

    objects = FamilyQuerySet.as_manager()

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    reference = models.CharField(max_length=20, unique=True, help_text="Family reference, e.g. F000123")
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="families")
    lead_professional = models.CharField(
        max_length=200, blank=True,
        help_text="Projected: the lead professional of the most recent open early-help episode of an unrestricted "
        "member. Pages must show apps.caseview.selectors.family_lead_professional (the reader's sections and "
        "restrictions), not this field.",
    )
    lead_professionals = models.JSONField(
        default=list, blank=True,
        help_text="Projected: every open early-help episode of a member, most recent first: "
        "{name, person, since, section, record}",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    is_restricted = models.BooleanField(default=False)
    restriction_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "families"
        permissions = [("view_restricted_family", "Named on a restricted family")]

    def __str__(self) -> str:
        return self.reference


class FamilyMembership(models.Model):
    class Role(models.TextChoices):
        PARENT = "parent", "Parent or carer"
        CHILD = "child", "Child"
        OTHER_ADULT = "other_adult", "Other adult"

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=12, choices=Role.choices)
    relationship = models.CharField(max_length=60, blank=True, help_text="To the family's lead adult")
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["family", "person", "date_from"], name="unique_membership_spell")]
        indexes = [
            models.Index(fields=["person"]),
            # "a family is visible only with a child the reader may see" (visibility.py), read from the index alone
            models.Index(fields=["family"], include=["person"], condition=models.Q(role="child"),
                         name="membership_child_idx"),
        ]


class Relationship(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relationships")
    related_person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40, help_text="mother, father, child, sibling, partner, ...")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "related_person", "kind"], name="unique_relationship")
        ]


# --- facts about a person, projected from source rows ------------------------------------------
class ProjectedFact(models.Model):
    """One source row's fact about a person, written by the projection (``apps.matching.projection.facts``).

    The indicator refresh and the risk models read these tables, never the rows' JSON. A fact
    goes with its source row (CASCADE): when a newer extract replaces the row, its fact is gone
    at once, and the projection writes the new row's fact once matching has linked it to a person.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE)
    dataset = models.ForeignKey("sources.Dataset", on_delete=models.PROTECT, related_name="+")
    source_record = models.ForeignKey("sources.SourceRecord", on_delete=models.CASCADE)

    class Meta:
        abstract = True


class ChildBirth(ProjectedFact):
    """A child born to this person, the parent (``birth-of-child``, births to young parents)."""

    born_on = models.DateField()

    class Meta:
        verbose_name = "birth of a child"


class NeetStatus(ProjectedFact):
    """A young person's activity at one NEET-tracking contact (``neet-status``)."""

    class Activity(models.TextChoices):
        EET = "EET", "In education, employment or training"
        NEET = "NEET", "Not in education, employment or training"
        NOT_KNOWN = "NOT-KNOWN", "Not known"

    recorded_on = models.DateField()
    activity = models.CharField(max_length=10, choices=Activity.choices, blank=True)

    class Meta:
        verbose_name = "NEET status"
        verbose_name_plural = "NEET statuses"
        indexes = [models.Index(fields=["person", "recorded_on"])]


class CustodySpell(ProjectedFact):
    """A spell in prison custody (``custody``): its start, the expected release and the establishment."""

    started_on = models.DateField()
    expected_release = models.DateField(null=True, blank=True)
    establishment = models.TextField(blank=True)


class ExploitationFlag(ProjectedFact):
    """A police intelligence flag of exploitation on this person."""

    class Kind(models.TextChoices):
        CSE = "cse-flag", "Child sexual exploitation"
        CCE = "cce-flag", "Child criminal exploitation"
        COUNTY_LINES = "county-lines-link", "Linked to County Lines"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    flagged_on = models.DateField()


# --- restricted records -----------------------------------------------------------
class PersonUserObjectPermission(UserObjectPermissionBase):
    """django-guardian direct foreign key: users the custodian named on a restricted person."""

    content_object = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="named_users")


class FamilyUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="named_users")


class BreakGlass(models.Model):
    """A case-role user opened a restricted record, giving a reason. Raised to reviewers."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glasses")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="break_glasses")
    family = models.ForeignKey(Family, null=True, blank=True, on_delete=models.CASCADE, related_name="break_glasses")
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                name="break_glass_names_one_record",
                condition=models.Q(person__isnull=False, family__isnull=True)
                | models.Q(person__isnull=True, family__isnull=False),
            )
        ]


class PostcodeArea(models.Model):
    """The council's areas by postcode district (BS5 -> East Central): reference data, configured per council."""

    district = models.CharField(max_length=4, unique=True, help_text="Outward code, e.g. BS5")
    area = models.CharField(max_length=20, choices=Area.choices)

    class Meta:
        ordering = ["district"]

    def __str__(self) -> str:
        return f"{self.district}: {self.get_area_display()}"
