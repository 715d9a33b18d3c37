"""The audit log: append-only and hash-chained.

Rows are only ever inserted, through ``apps.audit.services.audit_record``; a
database trigger (see migrations) refuses UPDATE and DELETE except for the
retention job. Each row's ``hash`` covers its own fields and the previous
row's hash, so any edit or deletion breaks the chain at that row.
"""

from __future__ import annotations

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
        ALERT_REVIEW = "alert_review", "Alert reviewed"
        AUDIT_QUERY = "audit_query", "Audit log queried"
        RETENTION = "retention", "Retention purge"

    occurred_at = models.DateTimeField(db_index=True)
    user_id_snapshot = models.BigIntegerField(null=True, blank=True, db_index=True, help_text="auth user id")
    username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=40, blank=True, help_text="Role in use")
    session_ref = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the session key")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=24, choices=Action.choices, db_index=True)
    subject_type = models.CharField(max_length=20, blank=True, help_text="person, family, user, batch, ...")
    subject_id = models.CharField(max_length=40, blank=True)
    record_ids = models.JSONField(default=list, blank=True, help_text="Other records involved, e.g. search results")
    purpose = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True, help_text="Search terms and filters, reasons, ...")
    result_count = models.IntegerField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "occurred_at"]),
            models.Index(fields=["user_id_snapshot", "occurred_at"]),
            models.Index(fields=["action", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.occurred_at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.subject_type}:{self.subject_id}"
