"""Shared library code that is not an app: no models, not in INSTALLED_APPS, no Django imports needed."""
