"""Session timeout after inactivity and at an absolute limit; the second factor before any page; the viewer."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from .access import Viewer
from .otp import confirmed_device, second_factor_required

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


class SecondFactorMiddleware:
    """After ``OTPMiddleware``: a signed-in user who needs a second factor and has not
    passed it this session sees only the set-up or code pages (and may sign out)."""

    OPEN_URL_NAMES = ("accounts:otp_setup", "accounts:otp_verify", "accounts:logout", "accounts:login")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and second_factor_required(user, request):
            open_paths = {reverse(name) for name in self.OPEN_URL_NAMES}
            if request.path not in open_paths:
                target = "accounts:otp_verify" if confirmed_device(user) else "accounts:otp_setup"
                return redirect(f"{reverse(target)}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}")
        return self.get_response(request)


class ViewerMiddleware:
    """``request.viewer``: who the request acts as (user, role, capabilities, sections), resolved once, lazily."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.viewer = SimpleLazyObject(lambda: Viewer.for_request(request))
        return self.get_response(request)
