"""The one write path takes only ``AuditEvent.Action`` members: a string, even a valid value, is refused."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("action", ["search", "view_person", "no_such_action", "", None])
def test_an_action_that_is_not_a_member_is_refused_and_nothing_is_written(action):
    with pytest.raises(TypeError, match=r"AuditEvent\.Action member"):
        audit_record(action=action, subject_type="person", subject_id=1)
    assert not AuditEvent.objects.exists()


def test_every_member_is_recorded_as_its_value():
    for action in AuditEvent.Action:
        assert audit_record(action=action).action == action.value
    assert AuditEvent.objects.count() == len(AuditEvent.Action)
