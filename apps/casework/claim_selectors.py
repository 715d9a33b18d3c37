"""Reads for results claims and the quarterly return, already filtered for the viewer.

* ``claim_list(viewer)``: cases in ``outcome_checked`` the viewer may read (``Case.objects.visible_to``),
  split into claimable (every identified need met, ``CaseNeed.is_met``) and not claimable (with the
  needs that are not met and why);
* ``evidence_pack(case)``: the full pack of one case (every need: entry evidence, rule, window,
  records, decision, who or what made it, override), as stored in ``Claim.evidence`` when submitted;
  ``pack_as_seen(viewer, pack)``: that pack with every member and record the viewer may not see
  taken out (restricted members by ``person_q``, records of datasets or indicators outside the
  role's sections), as if they were not there;
* ``claims_in_quarter(viewer, quarter)``: the submitted claims of a quarter as the CSV's rows (no
  names, dates of birth or addresses);
* ``quarterly_return(viewer)``: per quarter, families identified, consented, allocated, closed,
  outcomes achieved and claimed, counted over the cases of families the viewer may see;
* ``override_list(viewer)``: for a manager, their cases in ``outcome_checked`` with needs not met.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Min, Prefetch
from django.utils import timezone

from apps.people.visibility import family_q, visible_dataset_ids

from .models import Case, CaseNeed, Claim, Consent

S = Case.State
QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")


# --- quarters -----------------------------------------------------------------------------------


def quarter_of(day: dt.date) -> str:
    """The calendar quarter a day falls in, as the return names it: ``2026-Q3`` is July to September 2026."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_valid(quarter: str) -> bool:
    return bool(QUARTER_RE.match(quarter or ""))


def current_quarter() -> str:
    return quarter_of(timezone.localdate())


# --- why a need is or is not met ------------------------------------------------------------------


def need_state(case_need: CaseNeed) -> str:
    """The decision on one need in words: met (and how), or why it is not met."""
    if case_need.override_reason:
        return "Met by a manager's discretionary override"
    status, sustained = case_need.outcome_status, case_need.sustained
    if status == CaseNeed.Outcome.ACHIEVED and sustained is True:
        return "Met: achieved and sustained"
    if status == CaseNeed.Outcome.ACHIEVED and sustained is False:
        return "Not met: achieved, but not sustained after closure"
    if status == CaseNeed.Outcome.ACHIEVED:
        return "Not met: achieved, not yet decided whether sustained"
    if status == CaseNeed.Outcome.NOT_MET:
        return "Not met: the outcome was not achieved"
    if status == CaseNeed.Outcome.PROGRESSING:
        return "Not met: still being met, not yet decided"
    return "Not met: not yet measured"


# --- the claim list -----------------------------------------------------------------------------


@dataclass
class ClaimRow:
    case: Case
    needs: list = field(default_factory=list)
    unmet: list = field(default_factory=list)  # (CaseNeed, why)

    @property
    def claimable(self) -> bool:
        return bool(self.needs) and not self.unmet

    @property
    def overridden(self) -> int:
        return sum(1 for n in self.needs if n.override_reason)


def _needs_prefetch():
    return Prefetch("needs", queryset=CaseNeed.objects.select_related("need__headline", "override_by"))


def _rows(cases) -> list[ClaimRow]:
    rows = []
    for case in cases:
        needs = list(case.needs.all())
        rows.append(ClaimRow(case=case, needs=needs,
                             unmet=[(n, need_state(n)) for n in needs if not n.is_met]))
    return rows


def claim_list(viewer) -> tuple[list[ClaimRow], list[ClaimRow]]:
    """(claimable, not claimable): the viewer's cases whose sustained outcomes have been checked."""
    cases = (Case.objects.visible_to(viewer).filter(state=S.OUTCOME_CHECKED)
             .select_related("family", "framework").prefetch_related(_needs_prefetch())
             .order_by("outcome_checked_on", "reference"))
    rows = _rows(cases)
    return [r for r in rows if r.claimable], [r for r in rows if not r.claimable]


def override_list(viewer) -> list[ClaimRow]:
    """The manager's checked cases (their teams', by the case rule) with at least one need not met."""
    cases = (Case.objects.visible_to(viewer).filter(state=S.OUTCOME_CHECKED)
             .select_related("family", "framework").prefetch_related(_needs_prefetch())
             .order_by("outcome_checked_on", "reference"))
    return [r for r in _rows(cases) if r.unmet]


def overridable_need(viewer, pk: int) -> CaseNeed | None:
    """A need not met of a checked case the viewer may read, or None."""
    need = (CaseNeed.objects.select_related("case", "need").filter(
        pk=pk, case__in=Case.objects.visible_to(viewer).filter(state=S.OUTCOME_CHECKED)).first())
    return need if need is not None and not need.is_met else None


# --- the evidence pack --------------------------------------------------------------------------

def _iso(value) -> str:
    if value is None or value == "":
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _detail(raw: dict) -> str:
    """What the record says, in words: the indicator, the exclusion, the sessions attended, the practitioner's note."""
    if raw.get("kind") == "attendance" and raw.get("possible") is not None:
        return f"{raw.get('attended')} of {raw.get('possible')} sessions attended"
    if raw.get("kind") == "practitioner":
        return str(raw.get("note") or "")
    return str(raw.get("indicator_name") or raw.get("indicator") or raw.get("exclusion") or raw.get("detail") or "")


def _record(raw, source_keys: dict) -> dict:
    """One record in the pack's shape: person (id), dataset (code), section, indicator (code), date, what it says,
    and its identifiers: the source keys of the partner's rows it came from (what an auditor looks up in the
    extract), or the product's own record id when it has none."""
    raw = raw if isinstance(raw, dict) else {"id": raw}
    ids = [source_keys.get(pk, f"source record {pk}") for pk in raw.get("source_records") or []]
    ids += [str(v) for v in raw.get("ids") or []]
    if not ids and raw.get("id") not in (None, ""):
        ids = [f"{raw.get('kind') or 'record'} {raw['id']}"]
    person = raw.get("person")
    return {
        "person": int(person) if str(person or "").isdigit() else None,
        "dataset": str(raw.get("dataset") or ""), "section": str(raw.get("section") or ""),
        "indicator": str(raw.get("indicator") or ""), "date": str(raw.get("date") or ""),
        "detail": _detail(raw), "ids": ids,
    }


def _window(value) -> str:
    if isinstance(value, dict):
        return f"{value.get('from') or '…'} to {value.get('to') or '…'}"
    return str(value or "")


def _verdict(label: str, verdict: dict, source_keys: dict) -> dict:
    achieved = verdict.get("achieved")
    return {
        "label": label, "rule": str(verdict.get("rule") or ""), "window": _window(verdict.get("window")),
        "result": {True: "Met", False: "Not met"}.get(achieved, "Not measurable"),
        "reason": str(verdict.get("reason") or ""),
        "records": [_record(r, source_keys) for r in verdict.get("records") or []],
    }


def _verdicts(evidence: dict, source_keys: dict) -> list[dict]:
    """The outcome check's verdicts: achieved by closure, and sustained after it (``apps.casework.outcomes``)."""
    if isinstance(evidence.get("achieved"), dict) or isinstance(evidence.get("sustained"), dict):
        months = evidence.get("sustain_months")
        found = []
        if isinstance(evidence.get("achieved"), dict):
            found.append(_verdict("Achieved by closure", evidence["achieved"], source_keys))
        if isinstance(evidence.get("sustained"), dict):
            found.append(_verdict(f"Sustained {months} months after closure" if months else "Sustained after closure",
                                  evidence["sustained"], source_keys))
        return found
    if evidence.get("progress"):
        return [_verdict("Progress while open", evidence["progress"], source_keys)]
    return [_verdict("Outcome", evidence, source_keys)] if evidence else []


def _source_keys(needs) -> dict:
    """Source record id -> its source key, for every record the needs' evidence names."""
    from apps.sources.models import SourceRecord

    def walk(value):
        if isinstance(value, dict):
            yield from (value.get("source_records") or []) if isinstance(value.get("source_records"), list) else []
            for inner in value.values():
                yield from walk(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from walk(inner)

    wanted = {pk for cn in needs for pk in walk([cn.evidence, cn.outcome_evidence]) if isinstance(pk, int)}
    return {pk: f"{dataset} {key}" for pk, key, dataset in
            SourceRecord.objects.filter(pk__in=wanted).values_list("pk", "source_key", "dataset__code")}


def _name_indicators(needs: list[dict]) -> None:
    """Say what an indicator record is by the indicator's name where the record gave only its code."""
    from apps.indicators.models import IndicatorDefinition

    records = [r for need in needs for r in _all_records(need) if r["indicator"] and r["detail"] == r["indicator"]]
    names = dict(IndicatorDefinition.objects.filter(code__in={r["indicator"] for r in records})
                 .values_list("code", "name"))
    for record in records:
        record["detail"] = names.get(record["indicator"], record["detail"])


def _decided_by(case_need: CaseNeed, evidence: dict) -> str:
    if case_need.outcome_checked_at is None:
        return ""
    if case_need.outcome_measure == "practitioner":
        return "The nightly outcome check, on the lead practitioner's evidence"
    return f"The nightly outcome check, by the measure {case_need.outcome_measure}"


def evidence_pack(case: Case) -> dict:
    """The whole pack, unfiltered: what ``Claim.evidence`` keeps. Members are ids (never names)."""
    case_needs = list(case.needs.select_related("need__headline", "confirmed_by", "override_by")
                      .prefetch_related("persons").order_by("need__headline__order", "need__order"))
    source_keys = _source_keys(case_needs)
    needs = []
    for cn in case_needs:
        oe = cn.outcome_evidence if isinstance(cn.outcome_evidence, dict) else {}
        needs.append({
            "id": cn.pk,
            "need": cn.need.code, "name": cn.need.name, "headline": cn.need.headline.name,
            "persons": sorted(p.pk for p in cn.persons.all()),
            "entry": {
                "source": cn.evidence_source, "records": [_record(r, source_keys) for r in (cn.evidence or [])],
                "note": cn.evidence_note, "date": _iso(cn.evidence_date),
                "confirmed_by": cn.confirmed_by.get_username(), "confirmed_at": _iso(cn.confirmed_at),
            },
            "outcome": {
                "measure": cn.outcome_measure, "params": cn.outcome_params, "text": cn.outcome_text,
                "rule": str(oe.get("sustained_rule") or oe.get("rule") or cn.outcome_text),
                "verdicts": _verdicts(oe, source_keys),
                "status": cn.outcome_status, "sustained": cn.sustained, "note": cn.outcome_note,
                "date": _iso(cn.outcome_date), "checked_at": _iso(cn.outcome_checked_at),
                "decided_by": _decided_by(cn, oe),
            },
            "decision": need_state(cn),
            "override": ({"reason": cn.override_reason, "by": cn.override_by.get_username() if cn.override_by else "",
                          "at": _iso(cn.override_at)} if cn.override_reason else None),
            "met": cn.is_met,
        })
    _name_indicators(needs)
    return {
        "case": case.reference, "family": case.family.reference,
        "framework": case.framework.name if case.framework_id else "",
        "opened_on": _iso(case.opened_on), "allocated_on": _iso(case.allocated_on), "closed_on": _iso(case.closed_on),
        "close_reason": case.close_reason, "outcome_checked_on": _iso(case.outcome_checked_on),
        "needs": needs,
    }


def _all_records(need: dict):
    yield from need["entry"]["records"]
    for verdict in need["outcome"]["verdicts"]:
        yield from verdict["records"]


def pack_as_seen(viewer, pack: dict) -> dict:
    """``pack`` with what the viewer may not see taken out: members hidden from them (restricted, or known only
    to datasets outside their sections), and records of such members, of datasets or of indicators outside
    their sections. Nothing says that anything was taken out. Members come back as visible ``Person`` rows."""
    from apps.indicators.models import IndicatorDefinition
    from apps.people.models import Person
    from apps.sources.models import Dataset

    person_ids = set()
    for need in pack.get("needs", []):
        person_ids |= set(need.get("persons", []))
        person_ids |= {r["person"] for r in _all_records(need) if r.get("person")}
    visible = {p.pk: p for p in Person.objects.visible_to(viewer).filter(pk__in=person_ids)}
    datasets = set(Dataset.objects.filter(pk__in=visible_dataset_ids(viewer)).values_list("code", flat=True))
    indicators = set(IndicatorDefinition.objects.filter(category__section__code__in=sorted(viewer.sections))
                     .values_list("code", flat=True))

    def shown(record: dict) -> bool:
        return ((record.get("person") is None or record["person"] in visible)
                and (not record.get("dataset") or record["dataset"] in datasets)
                and (not record.get("section") or record["section"] in viewer.sections)
                and (not record.get("indicator") or record["indicator"] in indicators))

    needs = []
    for need in pack.get("needs", []):
        if need.get("persons") and not any(pk in visible for pk in need["persons"]):
            continue  # a need about members the viewer may not see only is, for them, no need (``case_need_q``)
        needs.append({
            **need,
            "members": [visible[pk] for pk in need.get("persons", []) if pk in visible],
            "entry": {**need["entry"], "records": [r for r in need["entry"]["records"] if shown(r)]},
            "outcome": {**need["outcome"], "verdicts": [
                {**v, "records": [r for r in v["records"] if shown(r)]} for v in need["outcome"]["verdicts"]]},
        })
    return {**pack, "needs": needs}


def evidence_for_page(viewer, case: Case) -> dict:
    """The pack the page shows: as submitted for a claimed case, as it stands otherwise; filtered for the viewer."""
    claim = Claim.objects.filter(case=case).select_related("submitted_by").first()
    pack = claim.evidence if claim is not None else evidence_pack(case)
    return {"pack": pack_as_seen(viewer, pack), "claim": claim,
            "claimable": case.state == S.OUTCOME_CHECKED and bool(pack["needs"]) and all(n["met"] for n in pack["needs"])}


# --- the claim CSV ------------------------------------------------------------------------------

CLAIM_CSV_COLUMNS = (
    "case_reference", "family_reference", "quarter", "framework", "needs_identified", "needs_met",
    "headlines_met", "opened_on", "allocated_on", "closed_on", "outcome_checked_on", "claimed_on",
    "submitted_on", "override",
)


def _claims_of(viewer, quarter: str):
    return Claim.objects.filter(quarter=quarter, case__in=Case.objects.visible_to(viewer))


def claim_family_ids(viewer, quarter: str) -> list[int]:
    """The families of the claims ``claims_in_quarter`` exports (what its audit event names)."""
    return sorted(set(_claims_of(viewer, quarter).values_list("case__family_id", flat=True)))


def claims_in_quarter(viewer, quarter: str) -> list[tuple]:
    """The submitted claims of ``quarter`` the viewer may read, one row each in ``CLAIM_CSV_COLUMNS`` order."""
    claims = _claims_of(viewer, quarter).select_related("case__family", "case__framework").order_by("submitted_at", "pk")
    rows = []
    for claim in claims:
        case, needs = claim.case, claim.evidence.get("needs", [])
        rows.append((
            case.reference, case.family.reference, claim.quarter, case.framework.code if case.framework_id else "",
            len(needs), sum(1 for n in needs if n.get("met")),
            "; ".join(sorted({n["headline"] for n in needs if n.get("met")})),
            _iso(case.opened_on), _iso(case.allocated_on), _iso(case.closed_on), _iso(case.outcome_checked_on),
            _iso(case.claimed_on), _iso(timezone.localtime(claim.submitted_at).date()),
            "yes" if any(n.get("override") for n in needs) else "no",
        ))
    return rows


def claim_quarters(viewer) -> list[str]:
    """Quarters with a claim the viewer may read, newest first, and the current quarter."""
    quarters = set(Claim.objects.filter(case__in=Case.objects.visible_to(viewer)).values_list("quarter", flat=True))
    return sorted(quarters | {current_quarter()}, reverse=True)


# --- the quarterly return -----------------------------------------------------------------------

RETURN_COLUMNS = (
    ("identified", "Families identified"), ("consented", "Families consented"),
    ("allocated", "Families allocated"), ("closed", "Families closed"),
    ("achieved", "Outcomes achieved"), ("claimed", "Families claimed"),
)


def quarterly_return(viewer) -> list[dict]:
    """Per quarter (newest first), the number of distinct families at each step, counted from the dates on the
    cases (opened, allocated, closed, outcome checked), consents (first given) and claims (the claim's quarter).

    Counted over every case of a family the viewer may see by the one rule (``family_q``): these are
    figures, not cases, and a restricted family the viewer may not see is not in any of them.
    """
    cases = Case.objects.filter(family_q(viewer, via="family__"))
    families = defaultdict(lambda: defaultdict(set))  # quarter -> column -> family ids
    for column, date_field in (("identified", "opened_on"), ("allocated", "allocated_on"), ("closed", "closed_on")):
        for family_id, day in cases.filter(**{f"{date_field}__isnull": False}).values_list("family_id", date_field):
            families[quarter_of(day)][column].add(family_id)
    consented = (Consent.objects.filter(case__in=cases, status=Consent.Status.GIVEN).values("case__family_id", "case")
                 .annotate(first=Min("recorded_on")))
    for row in consented:
        families[quarter_of(row["first"])]["consented"].add(row["case__family_id"])
    checked = (cases.filter(state__in=(S.OUTCOME_CHECKED, S.CLAIMED), outcome_checked_on__isnull=False)
               .prefetch_related(_needs_prefetch()))
    for case in checked:
        needs = list(case.needs.all())
        if needs and all(n.is_met for n in needs):
            families[quarter_of(case.outcome_checked_on)]["achieved"].add(case.family_id)
    for family_id, quarter in Claim.objects.filter(case__in=cases).values_list("case__family_id", "quarter"):
        families[quarter]["claimed"].add(family_id)
    return [{"quarter": q, **{c: len(families[q][c]) for c, _label in RETURN_COLUMNS}}
            for q in sorted(families, reverse=True)]
