"""Demo casework (the last step of ``demo_setup``): a team, and cases for some of the demo's eligible families at
each step of the journey, so the demo's casework pages have something to show.

* the team "Early help North": the demo early-help manager manages it; the demo key worker and social worker
  are its practitioners;
* one case each: identified, seeking consent, allocated, plan agreed, closed last month; two closed long enough
  ago for the outcome check (every need met, so the results claim list is not empty) and one of those claimed
  on a third.

Every write goes through the casework services (each transition a ``CaseTransition`` and an audit event), as the
pages would make it. Dates are counted back from the data's date (``--as-of``: the extract's date, by default the
latest full refresh's), so the closed cases are due for the outcome check, which is then run (the nightly check
of ``apps.casework.outcomes``) for that date. The families are chosen by ``--seed`` from the eligible list, the
closed ones only where the data shows their needs met over the windows the check reads. A second run adds
nothing: a family already with a case keeps it.
"""

from __future__ import annotations

import datetime as dt
import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.accounts.access import Viewer
from apps.accounts.services import demo_team_create
from apps.casework import assessment, claim_services, outcomes, services
from apps.casework.assessment_selectors import current_members, data_evidence
from apps.casework.measures import PRACTITIONER, Question, add_months, evaluate, months_of, window_after, window_before
from apps.casework.models import Case
from apps.indicators.models import FrameworkNeed, RefreshRun
from apps.indicators.selectors import eligible_families_by_priority
from apps.people.models import Family
from apps.sources.models import Organisation

TEAM = {"code": "eh-north", "name": "Early help North", "email": "eh.north@example.gov.uk", "phone": "0117 903 1234"}
PARTNERS = ("BCC", "ASC", "DFE")  # the council, the police and schools
# (scene, the state it ends in); the outcome-checked scenes need families whose needs the data shows met
SCENES = (
    ("identified", Case.State.IDENTIFIED),
    ("consent sought", Case.State.CONSENT),
    ("allocated", Case.State.ALLOCATED),
    ("plan agreed", Case.State.PLAN_AGREED),
    ("closed last month", Case.State.CLOSED),
    ("closed, outcomes met", Case.State.OUTCOME_CHECKED),
    ("closed, outcomes met", Case.State.OUTCOME_CHECKED),
    ("closed, outcomes met, claimed", Case.State.CLAIMED),
)
CHECKED = (Case.State.OUTCOME_CHECKED, Case.State.CLAIMED)
MAX_NEEDS = 3


def _user(username: str):
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise CommandError(f"No user {username!r}: run demo_users first") from None


class Command(BaseCommand):
    help = "Create the demo's casework: a team and cases at each step, through the services (demo only)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None,
                            help="The data's date (default: the latest full refresh's)")

    def handle(self, *args, seed, as_of, **options):
        as_of = as_of or self._data_date()
        self.manager, self.lead = _user("early_help_manager"), _user("key_worker")
        self.pm = _user("programme_manager")
        self.team = demo_team_create(**TEAM, manager=self.manager, members=[self.lead, _user("social_worker")])
        self.stdout.write(f"Team {self.team.name}: {self.manager.get_full_name()} (manager), "
                          f"{', '.join(m.user.get_full_name() for m in self.team.memberships.filter(is_manager=False))}")
        self.viewer, self.as_of = Viewer.for_user(self.lead), as_of
        self.months = settings.CASEWORK_SUSTAIN_MONTHS
        self.partners = list(Organisation.objects.filter(code__in=PARTNERS).order_by("code"))
        self.needs = list(FrameworkNeed.objects.filter(headline__framework__is_active=True)
                          .prefetch_related("indicators").order_by("headline__order", "order"))
        made = 0
        for index, (family, (scene, state)) in enumerate(self._assign(seed)):
            existing = Case.objects.filter(family=family).order_by("-opened_on", "-pk").first()
            if existing is not None:
                self.stdout.write(f"  {scene:30} {existing.reference} (family {family.reference}): already there, "
                                  f"{existing.get_state_display().lower()}")
                continue
            case = self._build(family, state, index)
            made += 1
            self.stdout.write(f"  {scene:30} {case.reference} (family {family.reference})")
        checked = outcomes.outcomes_check(as_of=as_of)
        self.stdout.write(f"Outcome check as of {as_of}: {checked['outcome_cases_checked']} closed case(s) decided")
        claimed = self._claim()
        self.stdout.write(self.style.SUCCESS(f"Casework: {made} case(s) made, {claimed} claimed "
                                             f"({Case.objects.count()} cases in all)"))

    # --- choosing families ------------------------------------------------------------------------

    def _data_date(self) -> dt.date:
        run = (RefreshRun.objects.filter(scope=RefreshRun.Scope.FULL, status=RefreshRun.Status.SUCCEEDED)
               .order_by("-as_of").first())
        if run is None:
            raise CommandError("No full refresh has run: give --as-of, or run refresh_indicators first")
        return run.as_of

    def _assign(self, seed: int) -> list[tuple[Family, tuple]]:
        """Each scene's family, the same on every run with the same data: the eligible families both demo users may
        see, in an order shuffled by ``seed``; an outcome-checked scene takes the next family whose needs are met."""
        manager = Viewer.for_user(self.manager)
        seen = Family.objects.visible_to(manager).filter(pk__in=Family.objects.visible_to(self.viewer).values("pk"))
        families = sorted((c.family for c in eligible_families_by_priority(families=seen)), key=lambda f: f.reference)
        random.Random(seed).shuffle(families)  # noqa: S311 - a reproducible demo choice, not a secret
        pool, assigned = list(families), []
        for index, scene in enumerate(SCENES):
            wanted = self._met_needs if scene[1] in CHECKED else self._evidenced_needs
            for family in pool:
                if wanted(family, index):
                    assigned.append((family, scene))
                    pool.remove(family)
                    break
            else:
                self.stdout.write(self.style.WARNING(f"  {scene[0]:30} no eligible family fits: skipped"))
        return assigned

    def _evidence(self, family: Family) -> list[tuple[FrameworkNeed, list[int], list]]:
        """The active framework's needs the data evidences for the family's current members, as the lead sees them."""
        probe = Case(family=family)
        members = [p.pk for p in current_members(self.viewer, probe)]
        found = data_evidence(self.viewer, probe, members, self.needs)
        return [(need, sorted({r["person"] for r in found[need.pk]}), found[need.pk])
                for need in self.needs if found[need.pk]]

    def _evidenced_needs(self, family: Family, index: int) -> list:
        return self._evidence(family)[:MAX_NEEDS]

    def _met_needs(self, family: Family, index: int) -> list:
        """Evidenced needs the outcome check will find met, if the case closes on this scene's date: a data
        measure met before closure and over the sustain period; a practitioner measure (recorded as met)."""
        closed_on = self._dates(index)["closed"]
        chosen = []
        for need, persons, records in self._evidence(family):
            if need.outcome_measure == PRACTITIONER:
                chosen.append((need, persons, records))
                continue
            params = need.outcome_params
            verdicts = evaluate([
                Question(key="achieved", measure=need.outcome_measure, params=params, person_ids=tuple(persons),
                         window=window_before(closed_on, months_of(params))),
                Question(key="sustained", measure=need.outcome_measure, params=params, person_ids=tuple(persons),
                         window=window_after(closed_on, self.months))])
            if verdicts["achieved"].achieved is True and verdicts["sustained"].achieved is True:
                chosen.append((need, persons, records))
        has_data_measure = any(n.outcome_measure != PRACTITIONER for n, _p, _r in chosen)
        return chosen[:MAX_NEEDS] if len(chosen) >= 2 and has_data_measure else []

    # --- making the cases -------------------------------------------------------------------------

    def _dates(self, index: int) -> dict:
        """The scene's dates, counted back from the data's date; the outcome-checked ones closed a week apart, the
        last of them exactly the sustain period before the data's date (so due for the check on it)."""
        if SCENES[index][1] in CHECKED:
            closed = add_months(self.as_of, -self.months) - dt.timedelta(days=7 * (len(SCENES) - 1 - index))
        else:
            closed = self.as_of - dt.timedelta(days=30)
        opened = {0: self.as_of - dt.timedelta(days=5), 1: self.as_of - dt.timedelta(days=21),
                  2: self.as_of - dt.timedelta(days=60), 3: self.as_of - dt.timedelta(days=120)}.get(
                      index, closed - dt.timedelta(days=200))
        return {"opened": opened, "consent": opened + dt.timedelta(days=10), "allocated": opened + dt.timedelta(days=14),
                "plan": opened + dt.timedelta(days=40), "outcome": closed - dt.timedelta(days=14), "closed": closed}

    def _build(self, family: Family, state: str, index: int) -> Case:
        S, dates, by = Case.State, self._dates(index), self.manager
        case = services.case_identify(family=family, by=by, on=dates["opened"])
        if state == S.IDENTIFIED:
            return case
        case = services.case_triage(case=case, decision="accept", by=by)
        case = services.case_seek_consent(case=case, by=by)
        adults = services.adult_members(case)
        if state == S.CONSENT:
            for adult in adults[:1] if len(adults) > 1 else ():  # one of two adults has given consent so far
                services.consent_record(case=case, person=adult, status="given", recorded_on=dates["consent"], by=by,
                                        partners=self.partners)
            return case
        for adult in adults:
            services.consent_record(case=case, person=adult, status="given", recorded_on=dates["consent"], by=by,
                                    partners=self.partners)
        case = services.case_allocate(case=case, lead=self.lead, team=self.team, by=by, on=dates["allocated"])
        if state == S.ALLOCATED:
            return case
        lead = self.lead
        needs = self._met_needs(family, index) if state in CHECKED else self._evidenced_needs(family, index)
        for need, persons, _records in needs:
            assessment.need_confirm(case=case, need=need, viewer=self.viewer, person_ids=persons, source="data")
        case = assessment.assessment_complete(case=case, by=lead)
        review = max(self.as_of, timezone.localdate()) + dt.timedelta(days=28)
        case = assessment.plan_agree(case=case, by=lead, next_review_on=review, on=dates["plan"])
        if state == S.PLAN_AGREED:
            return case
        for case_need in case.needs.filter(outcome_measure=PRACTITIONER).select_related("need"):
            assessment.outcome_record(case=case, case_need=case_need, by=lead, on=dates["outcome"],
                                      note=f"Seen at the closing review: {case_need.need.outcome_text.lower()}")
        return services.case_close(case=case, reason=Case.CloseReason.OUTCOMES_MET, by=lead, on=dates["closed"],
                                   note="Plan completed with the family")

    def _claim(self) -> int:
        """Submit the claim of the scene that ends claimed, once its outcomes are checked (through the claim service)."""
        claimed = 0
        for case in Case.objects.filter(state=Case.State.OUTCOME_CHECKED, team=self.team).order_by("-closed_on", "pk")[:1]:
            if Case.objects.filter(team=self.team, state=Case.State.CLAIMED).exists():
                break
            if all(n.is_met for n in case.needs.all()):
                claim = claim_services.claim_submit(case=case, by=self.pm, on=self.as_of)
                self.stdout.write(f"  claimed                        {case.reference} (quarter {claim.quarter})")
                claimed += 1
        return claimed
