"""What the session domain tells the apps above it, which it never imports."""

from django.dispatch import Signal

# Sent once a write that changes what a draft would say (a new state_version) is committed:
# `session_id`, `state_version`. The drafting app prepares a likely final draft on it.
state_changed = Signal()
