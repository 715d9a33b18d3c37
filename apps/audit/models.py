"""The audit log: append-only and hash-chained.

Rows are only ever inserted, through ``apps.audit.services.audit_record``.
Each row has a position in the chain (``seq``: 1, 2, 3, ... with no gaps) and
its ``hash`` covers its own fields, its position and the previous row's hash,
so any edit or deletion is found at that position. Database triggers (see the
``0004`` migration) refuse UPDATE and DELETE; on PostgreSQL only the retention
function, owned by a separate role, may delete, and it records where the
retained chain now starts (``RetentionCheckpoint``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        SEARCH = "search", "Search"
        VIEW_PERSON = "view_person", "View person"
        VIEW_FAMILY = "view_family", "View family"
        VIEW_ATTENDANCE = "view_attendance", "View school attendance"
        VIEW_ADDRESSES = "view_addresses", "View address history"
        VIEW_RECORD = "view_record", "View other record"
        EXPORT = "export", "Export"
        AUDIT_EXPORT = "audit_export", "Audit log exported"
        LOGIN = "login", "Sign in"
        LOGOUT = "logout", "Sign out"
        LOGIN_FAILED = "login_failed", "Failed sign in"
        LOCKED_OUT = "locked_out", "Account locked out"
        ACCESS_REQUEST = "access_request", "Access requested"
        ACCESS_GRANT = "access_grant", "Access granted"
        ACCESS_REFUSE = "access_refuse", "Access refused"
        ACCESS_REVOKE = "access_revoke", "Access revoked"
        ACCESS_EXPIRE = "access_expire", "Access expired"
        BREAK_GLASS = "break_glass", "Break glass"
        RESTRICTION_CHANGE = "restriction_change", "Restriction changed"
        IMPORT = "import", "Import"
        MATCH_DECISION = "match_decision", "Match decision"
        MATCH_THRESHOLDS = "match_thresholds", "Matching thresholds changed"
        ALERT_REVIEW = "alert_review", "Alert reviewed"
        AUDIT_QUERY = "audit_query", "Audit log queried"
        RETENTION = "retention", "Retention purge"
        ADMIN_VIEW = "admin_view", "Admin page viewed"
        ADMIN_CHANGE = "admin_change", "Admin change"
        DATASET_CHANGE = "dataset_change", "Dataset definition changed"
        VIEW_CASE = "view_case", "View case"
        CASE_CHANGE = "case_change", "Case changed"
        FRAMEWORK_CHANGE = "framework_change", "Programme framework changed"
        CLAIM = "claim", "Results claim"
        NOTIFY = "notify", "Notification sent"
        MARKER_CHANGE = "marker_change", "Police marker request changed"

    seq = models.BigIntegerField(unique=True, help_text="Position in the chain: 1, 2, 3, ... with no gaps")
    occurred_at = models.DateTimeField(db_index=True)
    user_id_snapshot = models.BigIntegerField(null=True, blank=True, help_text="auth user id")
    username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=40, blank=True, help_text="Role in use")
    session_ref = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the session key")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=24, choices=Action.choices)
    subject_type = models.CharField(max_length=20, blank=True, help_text="person, family, user, batch, ...")
    subject_id = models.CharField(max_length=40, blank=True)
    record_ids = models.JSONField(default=list, blank=True, help_text="Other records involved, e.g. search results")
    purpose = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True, help_text="Search terms and filters, reasons, ...")
    result_count = models.IntegerField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        # Each reviewer filter has an index led by its equality column and ending in
        # occurred_at, so "newest first, one page" is an index range scan.
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "occurred_at"]),
            models.Index(fields=["user_id_snapshot", "occurred_at"]),
            models.Index(fields=["username", "occurred_at"]),
            models.Index(fields=["action", "occurred_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["hash"], name="audit_event_hash_unique"),
            # Two rows can never link to the same predecessor: the chain cannot fork,
            # even if a writer somehow skipped the chain lock.
            models.UniqueConstraint(fields=["prev_hash"], name="audit_chain_no_fork"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.occurred_at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.subject_type}:{self.subject_id}"


class Alert(models.Model):
    """Something a reviewer should look at, computed from the audit log.

    ``dedupe_key`` makes computing alerts idempotent: running the scan again over
    the same events adds nothing new. Alerts refer to events by id (no foreign
    key), so retention can purge old events without touching alerts.
    """

    class Kind(models.TextChoices):
        BREAK_GLASS = "break_glass", "Break glass"
        VOLUME = "volume", "Unusual volume"
        OUT_OF_HOURS = "out_of_hours", "Out-of-hours access"
        SHARED_SURNAME = "shared_surname", "Viewed someone sharing their surname"
        RESTRICTED = "restricted", "Access to a restricted record"
        CHAIN_BREAK = "chain_break", "Audit chain broken"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        REVIEWED = "reviewed", "Reviewed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    dedupe_key = models.CharField(max_length=120, unique=True)
    raised_at = models.DateTimeField()
    occurred_at = models.DateTimeField(help_text="When the activity happened (the first event concerned)")
    user_id_snapshot = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True)
    event_id = models.BigIntegerField(null=True, blank=True, help_text="The audit event concerned, if one")
    subject_type = models.CharField(max_length=20, blank=True)
    subject_id = models.CharField(max_length=40, blank=True)
    summary = models.CharField(max_length=300)
    details = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["status", "occurred_at"]), models.Index(fields=["kind", "occurred_at"])]
        constraints = [
            models.CheckConstraint(
                name="reviewed_alert_has_note",
                condition=models.Q(status="open") | ~models.Q(review_note=""),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"


class RetentionWindow(models.Model):
    """SQLite only: one row that the delete trigger reads: rows older than ``delete_before`` may go.

    The retention service sets it and clears it again inside the same
    transaction. SQLite has no roles, so any connection to the file could set
    it too: on SQLite the triggers stop bugs and casual edits, not an attacker.
    PostgreSQL does not use it (deletion there is the retention function's alone).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    delete_before = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(name="single_retention_window", condition=models.Q(id=1))]


class ChainCheckpoint(models.Model):
    """The last row the verifier saw intact. If it later disappears or changes
    (a chain cannot show a cut-off tail by itself) the next verification fails."""

    verified_at = models.DateTimeField()
    last_event_id = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)
    rows_checked = models.BigIntegerField()

    class Meta:
        ordering = ["-verified_at", "-id"]


class ChainHead(models.Model):
    """The newest position and hash of the chain, kept by the database itself.

    An INSERT trigger on the audit table checks that each new row continues the
    chain (position ``last_seq + 1``, linking to ``last_hash``) and moves the
    head on. On PostgreSQL only the audit owner role may change this row, so
    the application cannot cut the newest rows off and rewind the head to hide
    it: the verifier compares the rows with the head.

    ``legacy_through_seq``: rows up to this position were written before the
    position was part of the hash (they are verified with the older formula).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)
    last_event_id = models.BigIntegerField(null=True, blank=True)
    legacy_through_seq = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(name="single_chain_head", condition=models.Q(id=1))]


class RetentionCheckpoint(models.Model):
    """Where the retained chain starts after a retention purge: written by the purge, never changed.

    On PostgreSQL only the retention function (owned by the audit owner role)
    can insert here, in the same transaction as its DELETE; the application's
    role may only read. The verifier starts the chain at ``last_seq + 1``,
    linking to ``last_hash``; any other missing row is a gap.
    """

    purged_at = models.DateTimeField()
    cutoff = models.DateTimeField(help_text="Rows older than this were due for deletion")
    first_seq = models.BigIntegerField(null=True, blank=True, help_text="First position deleted")
    last_seq = models.BigIntegerField(help_text="Last position deleted: the chain now starts after it")
    last_event_id = models.BigIntegerField(null=True, blank=True)
    last_hash = models.CharField(max_length=64)
    last_occurred_at = models.DateTimeField(null=True, blank=True)
    deleted = models.BigIntegerField()
    db_user = models.CharField(max_length=150, blank=True, help_text="The database session that ran the purge")

    class Meta:
        ordering = ["-last_seq"]
