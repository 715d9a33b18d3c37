"""Writes: import a gazetteer (all or nothing), resolve the addresses sent, record the officer's decisions.

Each service takes keyword arguments only and runs in one transaction.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.db.models.fields.json import KT
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.common.bulk import bulk_insert, bulk_update
from apps.common.identifiers import uprn_normalise
from apps.sources.models import SourceRecord
from apps.sources.problems import ProblemLog

from .importing import gazetteer_read
from .keys import gazetteer_line, parts_of
from .matcher import UNRESOLVED_BELOW, Entry, Matcher
from .models import AddressResolution, GazetteerAddress, GazetteerVersion

Status, Method = AddressResolution.Status, AddressResolution.Method


class GazetteerRefused(Exception):
    """The file had problems: nothing was written. ``problems`` lists row, column and reason."""

    def __init__(self, problems: ProblemLog):
        self.problems = problems
        super().__init__(f"the gazetteer was refused: {problems.total} problem(s), nothing imported")


class DecisionError(Exception):
    pass


def match_threshold() -> float:
    """Scores below this go to the data quality officer (setting ``ADDRESS_MATCH_THRESHOLD``)."""
    return float(getattr(settings, "ADDRESS_MATCH_THRESHOLD", 0.85))


def gazetteer_import(*, path_or_file, filename: str = "", user=None, request=None, progress=None) -> GazetteerVersion:
    """Check the whole file, then in one transaction write it as the new current version and drop the old one's rows.

    Raises ``GazetteerRefused`` (nothing written) when any row has a problem; the current file again is
    left as it is. ``progress(stage, n)``
    is called with "checked" while reading and "written" once the rows are in. Addresses already
    resolved against the old version are resolved again at the next projection (officers'
    decisions are kept while their UPRN is still in the gazetteer).
    """
    if isinstance(path_or_file, str | Path):
        filename = filename or Path(path_or_file).name
        with open(path_or_file, "rb") as handle:
            parsed = gazetteer_read(handle, progress=progress)
    else:
        parsed = gazetteer_read(path_or_file, progress=progress)
    if parsed.problems:
        raise GazetteerRefused(parsed.problems)
    current = GazetteerVersion.objects.filter(is_current=True).first()
    if current is not None and current.checksum == parsed.checksum:
        return current  # the same file again: nothing changes
    with transaction.atomic():
        old = list(GazetteerVersion.objects.select_for_update().filter(is_current=True))
        GazetteerVersion.objects.filter(pk__in=[v.pk for v in old]).update(is_current=False)
        version = GazetteerVersion.objects.create(filename=filename[:255], checksum=parsed.checksum,
                                                  rows=len(parsed.rows), is_current=True,
                                                  imported_by=user if getattr(user, "is_authenticated", False) else None)
        fields = [f for f in ("uprn", "parent_uprn", "sub_building", "building_name", "building_number", "street",
                              "locality", "town", "postcode", "easting", "northing")]
        bulk_insert(GazetteerAddress, [GazetteerAddress(version=version, **{f: r[f] for f in fields}) for r in parsed.rows])
        GazetteerAddress.objects.exclude(version=version).delete()
        if progress:
            progress("written", len(parsed.rows))
        audit_record(action=AuditEvent.Action.IMPORT, request=request, user=user, subject_type="gazetteer",
                     subject_id=version.pk, details={"filename": version.filename, "rows": version.rows,
                                                     "replaced": [v.pk for v in old]})
    return version


def matcher_current() -> tuple[GazetteerVersion | None, Matcher | None]:
    version = GazetteerVersion.objects.filter(is_current=True).first()
    if version is None:
        return None, None
    entries = []
    for uprn, parent, *spelling, postcode in GazetteerAddress.objects.filter(version=version).values_list(
            "uprn", "parent_uprn", "sub_building", "building_name", "building_number", "street", "locality", "town",
            "postcode").iterator(chunk_size=20_000):
        line = gazetteer_line(sub_building=spelling[0], building_name=spelling[1], building_number=spelling[2],
                              street=spelling[3], locality=spelling[4], town=spelling[5])
        entries.append(Entry(uprn, parent, parts_of(line, postcode)))
    return version, Matcher(entries)


def addresses_resolve(*, progress=None) -> dict[str, int]:
    """Give every distinct address sent (``SourceRecord.address_key``) a UPRN and a score, or mark it unresolved.

    Only addresses not yet resolved against the current gazetteer are looked at; an officer's
    decision stands while its UPRN is in the gazetteer. With no gazetteer imported nothing is
    done (addresses stay as sent). Returns counts by status of the addresses resolved now.
    """
    version, matcher = matcher_current()
    if version is None:
        return {}
    threshold = match_threshold()
    known = {key: (pk, status, uprn, version_id) for key, pk, status, uprn, version_id in
             AddressResolution.objects.values_list("address_key", "pk", "status", "uprn", "version_id").iterator(chunk_size=20_000)}
    sent = (SourceRecord.objects.exclude(address_key="").order_by().values("address_key")
            .annotate(line=Min(KT("raw__address")), code=Min("postcode")).values_list("address_key", "line", "code"))
    new, changed, counts = [], [], {}
    for key, line, code in sent.iterator(chunk_size=20_000):
        previous = known.get(key)
        if previous is not None:
            pk, status, uprn, version_id = previous
            if version_id == version.pk or (status in AddressResolution.DECIDED and (not uprn or uprn in matcher.entries)):
                continue
        match = matcher.match(parts_of(line or "", code or ""))
        if match.exact:
            status, method = Status.RESOLVED, Method.EXACT
        elif not match.uprn or match.score < UNRESOLVED_BELOW:
            status, method = Status.UNRESOLVED, Method.FUZZY if match.uprn else Method.NONE
        else:
            status, method = (Status.RESOLVED if match.score >= threshold else Status.REVIEW), Method.FUZZY
        resolution = AddressResolution(
            address_key=key, address_line=(line or "")[:300], postcode=code or "", uprn=match.uprn, score=match.score,
            method=method, status=status, candidates=[{"uprn": u, "score": s} for u, s in match.candidates],
            version_id=version.pk, resolved_at=timezone.now(), decided_by=None, decided_at=None)
        if previous is None:
            new.append(resolution)
        else:
            resolution.pk = previous[0]
            changed.append(resolution)
        counts[status] = counts.get(status, 0) + 1
        if progress and (len(new) + len(changed)) % 50_000 == 0:
            progress("resolved", len(new) + len(changed))
    bulk_insert(AddressResolution, new)
    bulk_update(AddressResolution, changed, ["address_line", "postcode", "uprn", "score", "method", "status",
                                             "candidates", "version", "resolved_at", "decided_by", "decided_at"])
    return counts


DECISIONS = ("accept", "choose", "unresolvable")


def resolution_decide(*, resolution: AddressResolution, decision: str, user, uprn: str = "",
                      request=None) -> AddressResolution:
    """The data quality officer's decision on one address: accept the suggested UPRN, choose another, or mark it
    unresolvable (it is then kept as sent). Audited; households follow it from the next match run."""
    if decision not in DECISIONS:
        raise DecisionError("Choose what to do with this address.")
    with transaction.atomic():
        resolution = AddressResolution.objects.select_for_update().get(pk=resolution.pk)
        if decision == "accept":
            if not resolution.uprn:
                raise DecisionError("There is no suggested UPRN to accept: choose one or mark the address unresolvable.")
            resolution.status = Status.ACCEPTED
        elif decision == "choose":
            try:
                uprn = uprn_normalise(uprn or "")
            except ValueError:
                raise DecisionError("Enter the UPRN of the property, 1 to 12 digits.") from None
            if not GazetteerAddress.objects.filter(version__is_current=True, uprn=uprn).exists():
                raise DecisionError("That UPRN is not in the gazetteer.")
            resolution.uprn, resolution.status = uprn, Status.CORRECTED
        else:
            resolution.uprn, resolution.status = "", Status.UNRESOLVABLE
        resolution.method = Method.OFFICER if decision != "unresolvable" else resolution.method
        resolution.decided_by, resolution.decided_at = user, timezone.now()
        resolution.save()
        audit_record(action=AuditEvent.Action.MATCH_DECISION, request=request, user=user, subject_type="address",
                     subject_id=resolution.pk, details={"decision": decision, "uprn": resolution.uprn},
                     purpose="address resolution")
    return resolution
