"""Reads of family progress data, as one reader may see them: start and closure side by side.

Only members the reader may see (``Person.objects.visible_to``) are shown; of each snapshot only the
items of sections the reader's role sees. A problem or need is shown when a section that met it is
seen. A risk score is shown only when the reader sees every section its model reads and every member
whose records it may draw on (``family_evidence``): otherwise it could carry what they may not see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from apps.people.models import Person

from .models import Case, ProgressSnapshot

ROLE_ORDER = {"parent": 0, "other_adult": 1, "child": 2}


@dataclass
class Row:
    label: str
    start: str
    close: str
    change: str


@dataclass
class Group:
    title: str
    rows: list[Row] = field(default_factory=list)


@dataclass
class MemberProgress:
    person: Person
    role: str
    groups: list[Group]
    has_start: bool
    has_close: bool


def snapshot_as_seen(data: dict, *, viewer, visible_ids: set[int]) -> dict:
    """The part of a snapshot's ``data`` this reader may see (sections, members)."""
    sees = viewer.sections
    attendance = data.get("attendance")
    return {
        "problems": [p for p in data.get("problems", []) if set(p["sections"]) & sees],
        "needs": [n for n in data.get("needs", []) if set(n["sections"]) & sees],
        "indicators": [i for i in data.get("indicators", []) if i["section"] in sees],
        "attendance": attendance if attendance and attendance["section"] in sees else None,
        "exclusions": [e for e in data.get("exclusions", []) if e["section"] in sees],
        "risk_scores": [r for r in data.get("risk_scores", [])
                        if set(r["sections"]) <= sees and set(r["family_evidence"]) <= visible_ids],
    }


def _met(items, key="code"):
    return {i[key]: i for i in items}


def _presence_rows(start: dict, close: dict, label_of) -> list[Row]:
    rows = []
    for code in [*start, *(c for c in close if c not in start)]:
        item = start.get(code) or close[code]
        was, now = code in start, code in close
        change = "Unchanged" if was == now else ("No longer met" if was else "Newly met")
        rows.append(Row(label_of(item), "Met" if was else "Not met", "Met" if now else "Not met", change))
    return rows


def _indicator_rows(start: dict, close: dict, closed: bool) -> list[Row]:
    rows = []
    for code in [*start, *(c for c in close if c not in start)]:
        item = start.get(code) or close[code]
        before, after = start.get(code), close.get(code)

        def shown(i):
            return f"{i['count']} (latest {i['latest']})" if i else "None"

        if not closed:
            change = ""
        elif before and after:
            more = after["count"] - before["count"]
            change = f"{more} new" if more > 0 else ("Fewer held" if more < 0 else "No new records")
        else:
            change = "New since the start" if after else "No longer held"
        rows.append(Row(item["name"], shown(before), shown(after) if closed else "", change))
    return rows


def _number_change(before, after, unit="") -> str:
    if before is None or after is None:
        return ""
    diff = Decimal(str(after)) - Decimal(str(before))
    if diff == 0:
        return "Unchanged"
    return f"{'Up' if diff > 0 else 'Down'} {abs(diff)}{unit}"


def _groups(start: dict | None, close: dict | None) -> list[Group]:
    closed = close is not None
    s, c = start or {}, close or {}
    groups = [
        Group("Headline problems", _presence_rows(_met(s.get("problems", [])), _met(c.get("problems", [])),
                                                  lambda i: i["name"]) if closed else
              [Row(p["name"], "Met", "", "") for p in s.get("problems", [])]),
        Group("Needs", _presence_rows(_met(s.get("needs", [])), _met(c.get("needs", [])),
                                      lambda i: f"{i['headline']}: {i['name']}") if closed else
              [Row(f"{n['headline']}: {n['name']}", "Met", "", "") for n in s.get("needs", [])]),
        Group("Records held", _indicator_rows(_met(s.get("indicators", [])), _met(c.get("indicators", [])), closed)),
    ]
    a0, a1 = s.get("attendance"), c.get("attendance")
    if a0 or a1:
        groups.append(Group("School attendance, last full term", [Row(
            "Attendance", f"{a0['percent']}% ({a0['term']})" if a0 else "Not known",
            (f"{a1['percent']}% ({a1['term']})" if a1 else "Not known") if closed else "",
            _number_change(a0 and a0["percent"], a1 and a1["percent"], " points") if closed else "")]))
    e0, e1 = s.get("exclusions", []), c.get("exclusions", [])
    if e0 or e1:
        groups.append(Group("Exclusions", [Row("Exclusions to date", str(len(e0)), str(len(e1)) if closed else "",
                                               _number_change(len(e0), len(e1)) if closed else "")]))
    r0, r1 = _met(s.get("risk_scores", [])), _met(c.get("risk_scores", []))
    rows = []
    for code in [*r0, *(k for k in r1 if k not in r0)]:
        item = r0.get(code) or r1[code]
        before, after = r0.get(code, {}).get("value"), r1.get(code, {}).get("value")
        rows.append(Row(item["name"], before or "Not flagged", (after or "Not flagged") if closed else "",
                        (_number_change(before, after) or ("Newly flagged" if after else "No longer flagged"))
                        if closed else ""))
    if rows:
        groups.append(Group("Risk scores", rows))
    return [g for g in groups if g.rows]


def case_progress(*, viewer, case: Case) -> list[MemberProgress]:
    """Each member the reader may see, with start and closure side by side and what changed."""
    snapshots = list(ProgressSnapshot.objects.filter(case=case).order_by("person_id", "stage"))
    ids = {s.person_id for s in snapshots}
    persons = {p.pk: p for p in Person.objects.visible_to(viewer).filter(pk__in=ids)}
    visible_ids = set(persons)
    by_person: dict[int, dict[str, ProgressSnapshot]] = {}
    for snap in snapshots:
        if snap.person_id in persons:
            by_person.setdefault(snap.person_id, {})[snap.stage] = snap
    members = []
    for pid, stages in by_person.items():
        start, close = stages.get("start"), stages.get("close")
        seen = {k: snapshot_as_seen(v.data, viewer=viewer, visible_ids=visible_ids) if v else None
                for k, v in (("start", start), ("close", close))}
        role = (start or close).data.get("role", "")
        members.append(MemberProgress(person=persons[pid], role=role, groups=_groups(seen["start"], seen["close"]),
                                      has_start=start is not None, has_close=close is not None))
    members.sort(key=lambda m: (ROLE_ORDER.get(m.role, 3), m.person.date_of_birth or dt.date.min, m.person.pk))
    return members


def snapshot_dates(case: Case) -> dict[str, object]:
    return dict(ProgressSnapshot.objects.filter(case=case).values_list("stage", "taken_on").distinct())
