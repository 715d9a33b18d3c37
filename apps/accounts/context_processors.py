from .access import access_for


def access(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"tf_access": None}
    return {"tf_access": access_for(user, request)}
