"""Writes for dataset definitions: define a dataset, change it, each a new version with its author and an audit event.

A dataset's definition is its descriptor (``descriptors.py``); the ``Dataset``
row's other columns and its gateways mirror it and are written here only,
together with it, so the two never disagree. ``Dataset.history``
(django-simple-history) keeps every version with who made it and why; every
change through the page is also written to the audit log (``dataset_change``).
"""

from __future__ import annotations

from django.apps import apps
from django.db import transaction

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from .descriptors import FACT_EVENT_TYPES, DescriptorError, Known, descriptor_changes, descriptor_check
from .models import Dataset, ImportBatch, LegalGateway, Organisation


def known_references() -> Known:
    """What a descriptor may refer to in this database: organisations, sections, gateways, event indicators."""
    section_model = apps.get_model("accounts", "Section")
    indicator_model = apps.get_model("indicators", "IndicatorDefinition")
    return Known(
        providers=frozenset(Organisation.objects.values_list("code", flat=True)),
        sections=frozenset(section_model.objects.values_list("code", flat=True)),
        gateways=frozenset(LegalGateway.objects.values_list("number", flat=True)),
        indicators=frozenset(indicator_model.objects.filter(kind="event").values_list("code", flat=True))
        | frozenset(FACT_EVENT_TYPES),
    )


def dataset_row_write(*, dataset: Dataset, descriptor: dict, user=None, reason: str = "") -> Dataset:
    """Write ``descriptor`` and the columns that mirror it to ``dataset`` (one history version). No checks: callers check."""
    section_model = apps.get_model("accounts", "Section")
    dataset.descriptor = descriptor
    dataset.name = descriptor["name"]
    dataset.description = descriptor.get("description", "")
    dataset.provider = Organisation.objects.get(code=descriptor["provider"])
    dataset.category = descriptor["category"]
    dataset.section = section_model.objects.get(code=descriptor["section"])
    dataset.retention_days = descriptor.get("retention_days", 6 * 365)
    dataset.validated = descriptor.get("validated", True)
    dataset.cadence = descriptor.get("cadence", Dataset.Cadence.MONTHLY)
    dataset.trust_rank = descriptor.get("trust_rank", 50)
    dataset._history_user = user if getattr(user, "is_authenticated", False) else None
    dataset._change_reason = reason[:100]
    dataset.save()
    dataset.gateways.set(LegalGateway.objects.filter(number__in=descriptor["gateways"]))
    return dataset


@transaction.atomic
def dataset_create(*, descriptor: dict, user, request=None) -> Dataset:
    """Define a new dataset from ``descriptor`` (version 1). ``DescriptorError`` lists what is wrong."""
    descriptor = descriptor_check(dict(descriptor, version=1), known=known_references())
    if Dataset.objects.filter(code=descriptor["code"]).exists():
        raise DescriptorError([f"code: a dataset {descriptor['code']!r} exists already (change it instead)"])
    dataset = dataset_row_write(dataset=Dataset(code=descriptor["code"]), descriptor=descriptor, user=user,
                                reason="defined")
    _audit(dataset, request=request, user=user, changes=["defined"])
    return dataset


@transaction.atomic
def dataset_update(*, dataset: Dataset, descriptor: dict, user, request=None) -> list[str]:
    """Make ``descriptor`` the definition of ``dataset`` as its next version; returns what changed ([]: nothing).

    The code names the dataset and does not change; the fact kind does not change once an extract is loaded
    (the rows already loaded are read by it).
    """
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    old = dataset.descriptor or {}
    problems = []
    if descriptor.get("code") != dataset.code:
        problems.append(f"code: this is the definition of {dataset.code!r}; a dataset's code does not change")
    if (old.get("fact_kind") and descriptor.get("fact_kind") != old["fact_kind"]
            and ImportBatch.objects.filter(dataset=dataset, status=ImportBatch.Status.LOADED).exists()):
        problems.append(f"fact_kind: extracts of this dataset are loaded as {old['fact_kind']!r}; "
                        "the fact kind cannot change")
    if problems:
        raise DescriptorError(problems)
    descriptor = descriptor_check(dict(descriptor, version=old.get("version", 0) + 1), known=known_references())
    changes = descriptor_changes(old, descriptor)
    if not changes:
        return []
    dataset_row_write(dataset=dataset, descriptor=descriptor, user=user, reason="; ".join(changes))
    _audit(dataset, request=request, user=user, changes=changes)
    return changes


def dataset_export_audit(*, dataset: Dataset, request) -> None:
    """A descriptor downloaded: recorded as an export of the dataset's definition."""
    audit_record(action=AuditEvent.Action.EXPORT, request=request, subject_type="dataset", subject_id=dataset.code,
                 details={"what": "descriptor", "version": (dataset.descriptor or {}).get("version")})


def _audit(dataset: Dataset, *, request, user, changes: list[str]) -> None:
    audit_record(action=AuditEvent.Action.DATASET_CHANGE, request=request, user=user, subject_type="dataset",
                 subject_id=dataset.code,
                 details={"version": dataset.descriptor["version"], "changes": changes[:50]})
