"""How a person is named on screens, in exports and in documents: one rule everywhere."""


def name_from_parts(first_name, last_name, username) -> str:
    """The full name as User.get_full_name() makes it, else the username."""
    return f"{first_name or ''} {last_name or ''}".strip() or username or ""


def display_name(user) -> str:
    """A user's full name, else the username; "" for no user (a deleted account)."""
    if user is None:
        return ""
    return name_from_parts(user.first_name, user.last_name, user.username)
