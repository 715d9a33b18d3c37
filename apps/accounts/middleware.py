"""Session timeout after inactivity and at an absolute limit."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

SESSION_STARTED = "tf_session_started"
SESSION_LAST_SEEN = "tf_last_seen"


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.setdefault(SESSION_STARTED, now)
            last_seen = request.session.get(SESSION_LAST_SEEN, now)
            idle = now - last_seen > settings.SESSION_IDLE_TIMEOUT
            too_old = now - started > settings.SESSION_ABSOLUTE_TIMEOUT
            if idle or too_old:
                logout(request)
                return redirect(f"{reverse('accounts:login')}?timeout={'idle' if idle else 'absolute'}")
            request.session[SESSION_LAST_SEEN] = now
        return self.get_response(request)
