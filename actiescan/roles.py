"""The three roles. SER staff are Django staff users (is_staff) in the SER-medewerker group;
moderators and notulisten are plain users in their group. Session access itself is decided per
session (sessions.models.ScanSessionQuerySet.visible_to), not by group."""

STAFF_GROUP = "SER-medewerker"
MODERATOR_GROUP = "Moderator"
NOTULIST_GROUP = "Notulist"
ROLE_GROUPS = (STAFF_GROUP, MODERATOR_GROUP, NOTULIST_GROUP)


def is_ser_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def group_names(user) -> set[str]:
    """Group names of a user, cached on the user object for the request."""
    if not user.is_authenticated:
        return set()
    if not hasattr(user, "_actiescan_groups"):
        user._actiescan_groups = set(user.groups.values_list("name", flat=True))
    return user._actiescan_groups


def is_moderator(user) -> bool:
    return MODERATOR_GROUP in group_names(user)


def can_plan_sessions(user) -> bool:
    return is_ser_staff(user) or is_moderator(user)
