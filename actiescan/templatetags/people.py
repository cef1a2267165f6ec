"""How a person is named on a page: `{{ session.notulist|person }}`.

Many people on a page may be missing: a session planned without a notulist, an event or a row
whose user was deleted (SET_NULL). `x.get_full_name|default:x.username` breaks on those (a filter
argument that cannot be looked up is an error, a 500); this filter names the person as
actiescan.users.display_name does everywhere else, and a missing one as a dash."""

from django import template

from actiescan.users import display_name

register = template.Library()


@register.filter
def person(user, missing="–") -> str:
    return display_name(user) or missing
