from django.apps import AppConfig


class CaseviewConfig(AppConfig):
    """The case-worker's view of people and families: search, person, family, school and address pages, and
    the JSON API over them. It composes the master data (people, schools) with the derived data (indicators)
    through the visibility rule and the audit path; no other app imports it."""

    name = "apps.caseview"
    label = "caseview"
