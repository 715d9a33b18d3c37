"""Splink's explanation of grey-zone pairs, accuracy from reviewers' labels, and thresholds chosen from it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.matching import explain
from apps.matching.config import MatchingConfig
from apps.matching.models import ClericalPair, MatchRun, ReviewDecision, ThresholdSetting

from .test_pages import ANNA

NEAR_ANNA = ANNA | {"forename": "ANA", "date_of_birth": "1988-09-15", "address": "3 ELM RD"}
STRANGER = dict(forename="PIOTR", surname="ZIELINSKI", sex="M", date_of_birth="1961-02-03", postcode="BS16 9ZZ",
                address="90 OAK LANE")


def test_the_waterfall_ends_at_the_pairs_stored_probability(extract, run_match):
    extract("bcc-council-tax", [ANNA, NEAR_ANNA, STRANGER])
    run_match()
    pair = ClericalPair.objects.get()
    rows = explain.waterfall(pair.explanation)
    assert rows[0].kind == "prior" and rows[-1].kind == "final"
    assert rows[-1].cumulative_probability == pytest.approx(pair.match_probability, abs=1e-6)
    assert rows[-2].cumulative_probability == pytest.approx(pair.match_probability, abs=1e-6)  # the steps add up
    by_comparison = {r.comparison: r for r in rows}
    assert by_comparison["forename"].level != "Exact"
    assert by_comparison["surname"].level == "Exact" and by_comparison["surname"].weight > 0
    assert by_comparison["date_of_birth"].level == "One digit different"
    # weights only: nothing from the records is stored with the explanation
    stored = repr(pair.explanation)
    assert "NOWAK" not in stored and "1988" not in stored and "ELM" not in stored


def test_the_review_page_shows_the_explanation_with_the_score(client_as, extract, run_match):
    extract("bcc-council-tax", [ANNA, NEAR_ANNA])
    run_match()
    pair = ClericalPair.objects.get()
    client = client_as("data-quality-officer")
    url = reverse("matching:review_pair", args=[pair.pk])
    hidden = client.get(url).content.decode()
    assert "Why the model scored this pair" not in hidden  # blind review: no score, so no explanation either
    client.get(reverse("matching:review_queue"), {"show_score": "1"})
    before = AuditEvent.objects.count()
    shown = client.get(url).content.decode()
    assert AuditEvent.objects.count() == before + 1
    assert "Why the model scored this pair" in shown and "One digit different" in shown
    assert 'style="' not in shown


def labelled(label, p, found=True, guard=True):
    return explain.LabelledPair(label=label, probability=p, found_by_blocking=found, passes_guard=guard)


def test_truth_table_counts_a_hand_made_labelled_set():
    pairs = [
        labelled(True, 0.999), labelled(True, 0.95), labelled(True, 0.6),
        labelled(True, 0.999, found=False),  # blocked out: a predicted non-match at any threshold
        labelled(True, 0.999, guard=False),  # dropped by the family guard: likewise
        labelled(False, 0.97), labelled(False, 0.5), labelled(False, 0.1),
    ]
    rows = {r["threshold"]: r for r in explain.truth_table(pairs, [0.5, 0.9, 0.99])}
    assert (rows[0.5]["tp"], rows[0.5]["fp"], rows[0.5]["fn"], rows[0.5]["tn"]) == (3, 2, 2, 1)
    assert (rows[0.9]["tp"], rows[0.9]["fp"], rows[0.9]["fn"], rows[0.9]["tn"]) == (2, 1, 3, 2)
    assert (rows[0.99]["tp"], rows[0.99]["fp"], rows[0.99]["fn"], rows[0.99]["tn"]) == (1, 0, 4, 3)
    assert rows[0.9]["precision"] == pytest.approx(2 / 3) and rows[0.9]["recall"] == pytest.approx(2 / 5)
    assert rows[0.99]["precision"] == 1.0 and rows[0.99]["recall"] == pytest.approx(1 / 5)


def test_a_run_measures_its_model_against_reviewers_labels(client_as, users, extract, run_match):
    anna, near, stranger = extract("bcc-council-tax", [ANNA, NEAR_ANNA, STRANGER])
    first = run_match()
    assert first.accuracy["labels"] == 0
    decide = dict(low_dataset_id="bcc-council-tax", high_dataset_id="bcc-council-tax", score_shown=False,
                  decided_by=users["data-quality-officer"])
    ReviewDecision.objects.create(low_source_key=anna.source_key, high_source_key=near.source_key, outcome="match", **decide)
    ReviewDecision.objects.create(low_source_key=near.source_key, high_source_key=stranger.source_key,
                                  outcome="not_match", **decide)
    run = run_match()
    accuracy = run.accuracy
    assert (accuracy["labels"], accuracy["positives"], accuracy["negatives"]) == (2, 1, 1)
    assert accuracy["blocked_out"] == 1  # the stranger shares nothing a blocking rule compares
    by_threshold = {r["threshold"]: r for r in accuracy["rows"]}
    queued_p = first.clerical_pairs.values_list("match_probability", flat=True).first() if first.clerical_pairs.exists() \
        else None
    # ANNA / ANA scored in the grey zone: a match at a threshold below it, a miss above it; the stranger never matches
    low, high = by_threshold[0.1], by_threshold[0.9999]
    assert (low["tp"], low["fp"], low["fn"], low["tn"]) == (1, 0, 0, 1)
    assert (high["tp"], high["fp"], high["fn"], high["tn"]) == (0, 0, 1, 1)
    assert queued_p is None or queued_p < 0.9999
    page = client_as("data-quality-officer").get(reverse("matching:run", args=[run.pk])).content.decode()
    assert "Too few labels to trust" in page and "Precision" in page


def test_a_threshold_change_is_audited_kept_and_used_by_the_next_run(client_as, users, extract, run_match, settings):
    extract("bcc-council-tax", [ANNA, NEAR_ANNA])
    run = run_match()
    assert ClericalPair.objects.count() == 1
    p = ClericalPair.objects.get().match_probability
    client = client_as("data-quality-officer")
    url = reverse("matching:thresholds_set", args=[run.pk])
    refused = client.post(url, {"match_threshold": "0.5", "review_threshold": "0.9", "reason": "try"})
    assert refused.status_code == 400 and "must not be above the match threshold" in refused.content.decode()
    assert not ThresholdSetting.objects.exists()
    response = client.post(url, {"match_threshold": f"{p / 2:.4f}", "review_threshold": f"{p / 4:.4f}",
                                 "reason": "Precision 1.0 and recall 1.0 on the labels at this threshold"})
    assert response.status_code == 302
    setting = ThresholdSetting.objects.get()
    assert (setting.set_by, setting.based_on_run) == (users["data-quality-officer"], run)
    event = AuditEvent.objects.get(action=AuditEvent.Action.MATCH_THRESHOLDS)
    assert event.details["match_threshold"] == setting.match_threshold
    assert event.details["previous"] == {"match_threshold": settings.MATCHING_MATCH_THRESHOLD,
                                         "review_threshold": settings.MATCHING_REVIEW_THRESHOLD}
    assert MatchingConfig.for_next_run().match_threshold == setting.match_threshold
    run.refresh_from_db()
    assert run.match_threshold == settings.MATCHING_MATCH_THRESHOLD  # a finished run keeps what it used
    second = run_match()
    assert (second.match_threshold, second.review_threshold) == (setting.match_threshold, setting.review_threshold)
    assert second.counts["pairs_linked"] == 1 and not ClericalPair.objects.exists()  # now linked, not queued
    assert "Precision 1.0 and recall 1.0" in client.get(reverse("matching:run", args=[second.pk])).content.decode()


def test_only_the_matching_capability_may_set_thresholds(client_as, extract, run_match):
    extract("bcc-council-tax", [ANNA])
    run = run_match()
    url = reverse("matching:thresholds_set", args=[run.pk])
    assert client_as("data-custodian").post(url, {"match_threshold": "0.9", "review_threshold": "0.5",
                                                  "reason": "x"}).status_code == 404
    assert not ThresholdSetting.objects.exists()
    assert MatchRun.objects.count() == 1
