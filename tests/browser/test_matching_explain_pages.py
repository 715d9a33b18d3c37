"""The run page's weights, m/u and accuracy tables with the thresholds form, and a grey-zone pair's waterfall on the
review page, in headless Chromium as the data quality officer: axe-clean, no sideways scroll at 320 px, no CSP
violation (the bars are server-drawn SVG with classes, no inline style or script)."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.audit.models import AuditEvent
from apps.matching import services, splink_model
from apps.matching.models import ClericalPair, MatchRun, ReviewDecision, ThresholdSetting
from apps.sources.models import Dataset, ImportBatch, SourceRecord
from tests.browser.checks import check_page
from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANNA = dict(forename="ANNA", surname="NOWAK", sex="F", date_of_birth=dt.date(1988, 9, 14), postcode="BS4 2AB",
            address="3 ELM ROAD")
PEOPLE = [
    ANNA,
    ANNA | {"forename": "ANA", "date_of_birth": dt.date(1988, 9, 15), "address": "3 ELM RD"},
    dict(forename="PIOTR", surname="ZIELINSKI", sex="M", date_of_birth=dt.date(1961, 2, 3), postcode="BS16 9ZZ",
         address="90 OAK LANE"),
    dict(forename="PETER", surname="ZIELINSKI", sex="M", date_of_birth=dt.date(1961, 3, 2), postcode="BS16 9ZZ",
         address="90 OAK LANE"),
]


def _records():
    dataset = Dataset.objects.get(code="bcc-council-tax")
    batch = ImportBatch.objects.create(dataset=dataset, filename="people.csv", checksum="7" * 64,
                                       status=ImportBatch.Status.LOADED, is_current=True)
    rows = []
    for i, person in enumerate(PEOPLE, start=1):
        person = dict(person)
        address = person.pop("address")
        rows.append(SourceRecord(dataset=dataset, batch=batch, source_key=f"CT{i}", row_number=i,
                                 raw={"address": address}, address_key=address, fact_type="residence",
                                 fact_date=dt.date(2020, 1, 1), fact={}, **person))
    SourceRecord.objects.bulk_create(rows)
    return list(SourceRecord.objects.filter(batch=batch).order_by("pk"))


def test_run_and_review_pages_explain_the_model(browser_page, live_server, make_user):
    records = _records()
    model = splink_model.settings_dict(prior=0.001)
    services.match_run_start(model=model)
    officer = make_user("data-quality-officer")
    ReviewDecision.objects.create(low_dataset_id="bcc-council-tax", low_source_key="CT1", high_dataset_id="bcc-council-tax",
                                  high_source_key="CT3", outcome="not_match", score_shown=False, decided_by=officer,
                                  record_low=records[0], record_high=records[2])
    run = services.match_run_start(model=model)
    assert run.status == MatchRun.Status.COMPLETED, run.failure_reason
    assert run.accuracy["labels"] == 1
    pair = ClericalPair.objects.order_by("-match_probability").first()
    assert pair is not None and pair.explanation
    page = browser_page
    login(page, live_server, "data_quality_officer", PASSWORD)

    page.goto(f"{live_server.url}/matching/runs/{run.pk}/")
    page.wait_for_selector("h1:has-text('Match run')")
    assert page.locator("table.matching-weights svg.tf-bar").count() > 0
    assert "Too few labels to trust" in page.locator("main").inner_text()
    check_page(page, "23-match-run-accuracy")

    page.fill("#id_match_threshold", "0.95")
    page.fill("#id_review_threshold", "0.99")
    page.fill("#id_reason", "Testing the form")
    page.click("button:has-text('Use these thresholds')")
    page.wait_for_selector(".govuk-error-summary")
    assert "must not be above the match threshold" in page.locator(".govuk-error-summary").inner_text()
    check_page(page)
    assert not ThresholdSetting.objects.exists()

    page.fill("#id_review_threshold", "0.6")
    page.click("button:has-text('Use these thresholds')")
    page.wait_for_selector(".govuk-notification-banner")
    assert ThresholdSetting.objects.get().match_threshold == 0.95
    assert AuditEvent.objects.filter(action=AuditEvent.Action.MATCH_THRESHOLDS).count() == 1
    assert "Testing the form" in page.locator("main").inner_text()
    check_page(page)

    page.goto(f"{live_server.url}/matching/review/?show_score=1")
    page.goto(f"{live_server.url}/matching/review/{pair.pk}/")
    page.wait_for_selector("h2:has-text('Why the model scored this pair')")
    assert page.locator("#explanation ~ .tf-table-scroll tbody tr").count() >= 3
    check_page(page, "24-review-pair-explanation")
