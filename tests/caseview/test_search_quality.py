"""Search quality over the synthetic population, loaded through the real pipeline
(generate -> import -> match): 50+ queries of the kinds practitioners type, each with the
person it should find in the top 3."""

from datetime import date

import pytest
from django.core.management import call_command

from apps.accounts.access import Viewer
from apps.caseview.evaluation import QUERY_KINDS, build_cases, evaluate
from apps.caseview.query import parse_query
from apps.caseview.search import person_search

pytestmark = pytest.mark.django_db


def test_search_finds_the_right_person_in_the_top_three(tmp_path, make_user, capsys):
    out = tmp_path / "extract"
    call_command("synth", scale="small", seed=42, out=str(out))
    call_command("import_all", str(out))
    call_command("match")
    user = make_user("key-worker")
    viewer = Viewer.for_user(user)
    today = date(2025, 7, 31)  # the extract's as-of date: ages and partial dates as a user then would type them

    def search(text):
        result = person_search(viewer=viewer, query=parse_query(text, today=today), today=today)
        return result.person_ids

    cases = build_cases(out / "ground_truth", per_kind=8)
    assert len(cases) >= 50
    assert {c.kind for c in cases} >= set(QUERY_KINDS) - {"double_barrelled"}
    report = evaluate(cases, search, top=3)
    with capsys.disabled():
        print(f"\nsearch quality: {report.hits}/{report.cases} in top 3 ({report.hit_rate:.1%})")
        for kind, (hit, total) in sorted(report.by_kind.items()):
            print(f"  {kind:<20} {hit}/{total}")
        for case, found in report.misses:
            print(f"  miss [{case.kind}] {case.query!r}: expected {case.person_id}, got {found}")
    assert report.hit_rate >= 0.9
