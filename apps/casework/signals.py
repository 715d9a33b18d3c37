"""Signals other casework modules listen to (police markers, progress snapshots): sent inside the
service's transaction, so what a receiver writes commits or rolls back with the transition."""

from django.dispatch import Signal

case_allocated = Signal()  # case
case_closed = Signal()  # case
consent_changed = Signal()  # case, consent
