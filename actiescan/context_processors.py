from .roles import can_plan_sessions


def roles(request):
    """`can_plan` is a callable so that pages that never show the menu pay no group query."""
    user = getattr(request, "user", None)

    def can_plan():
        return bool(user and user.is_authenticated and can_plan_sessions(user))

    return {"can_plan": can_plan}
