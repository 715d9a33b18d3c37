"""Purpose of access: every search says why it is made.

A First Response call handler (a role with ``purpose_requires_reference``)
gives the call or referral reference; every other role picks a reason from a
short list. The search view calls ``purpose_from`` with the submitted form
data, stores the purpose text in the search's audit event and keeps it in the
session (``purpose_remember``) so the person and family views opened from the
results are recorded with the same purpose.
"""

from __future__ import annotations

import re

from .access import Access

PURPOSES: tuple[str, ...] = (
    "Referral or assessment",
    "Safeguarding enquiry",
    "Case work with an open family",
    "Multi-agency meeting preparation",
)

# Form field names the search form uses.
PURPOSE_FIELD = "purpose"
REFERENCE_FIELD = "reference"

REFERENCE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/\-]{2,39}")
REFERENCE_PREFIX = "Call or referral reference "
PURPOSE_SESSION_KEY = "tf_purpose"


def purpose_from(request_data, access: Access) -> tuple[str, str | None]:
    """Return ``(purpose_text, None)`` or ``("", error_message)``.

    ``request_data`` is a ``QueryDict`` or a plain mapping; ``access`` is the
    user's ``access_for(...)``.
    """
    role = access.active_role
    if role is None:
        return "", "You have no role to search in."
    if role.purpose_requires_reference:
        reference = (request_data.get(REFERENCE_FIELD) or "").strip()
        if not reference:
            return "", "Enter the call or referral reference."
        if not REFERENCE_PATTERN.fullmatch(reference):
            return "", "The reference must be 3 to 40 letters, digits, hyphens or slashes, for example CR-2026-00123."
        return f"{REFERENCE_PREFIX}{reference}", None
    reason = (request_data.get(PURPOSE_FIELD) or "").strip()
    if reason not in PURPOSES:
        return "", "Choose the reason for this search from the list."
    return reason, None


def purpose_remember(request, purpose: str) -> None:
    """Keep the purpose for the views opened from this search."""
    request.session[PURPOSE_SESSION_KEY] = purpose


def purpose_in_session(request) -> str:
    """The purpose of the last search in this session, or ``""``."""
    return request.session.get(PURPOSE_SESSION_KEY, "")
