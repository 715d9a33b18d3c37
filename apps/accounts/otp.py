"""The optional TOTP second factor (django-otp).

A user must pass a TOTP check after the password when the role in use has
``requires_otp`` (the custodian sets it per role), when they have set up an
authenticator app of their own accord, and always when they are staff (the
Django admin, ``thinkfamily.admin``, also refuses a session that has not passed it).
``apps.accounts.middleware.SecondFactorMiddleware`` sends them to set one up
or to enter a code before any other page.
"""

from __future__ import annotations

from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django_otp.plugins.otp_totp.models import TOTPDevice

from .access import access_for

DEVICE_NAME = "Authenticator app"


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user) -> TOTPDevice | None:
    """The user's unconfirmed device (its key shown until one code confirms it), or None."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def pending_device_create(user) -> TOTPDevice:
    """A new unconfirmed device with a fresh key, on the user's request (a POST, never on reading a page)."""
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The key in base32, grouped in fours, for typing into an authenticator app."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(uri: str) -> str:
    """An inline SVG QR code of ``uri`` (generated here; no image leaves the server)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308 - our own generated SVG


def code_error(device: TOTPDevice, token: str) -> str | None:
    """Check ``token`` against ``device`` (django-otp throttles repeated failures); the error, or None."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return "Too many wrong codes. Wait a moment, then try the newest code."
    if not device.verify_token(token):
        return "That code is not right. Check the time on your phone and try the newest code."
    return None


def second_factor_required(user, request) -> bool:
    if user.is_staff or user.is_superuser:
        return True
    role = access_for(user, request).active_role
    return bool(role and role.requires_otp) or confirmed_device(user) is not None


def safe_next(request, default: str) -> str:
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default
