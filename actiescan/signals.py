from django.db import DEFAULT_DB_ALIAS


def load_catalogue_after_migrate(sender, using=DEFAULT_DB_ALIAS, verbosity=1, **kwargs):
    """Insert missing catalogue content and example action points after every migrate;
    never overwrite edits."""
    from .content import load_catalogue

    result = load_catalogue(using=using)
    if verbosity >= 1 and result.total:
        print(
            f"  Inhoud geladen: {result.factors} succesfactoren, {result.sub_questions} subvragen, "
            f"{result.descriptors} niveaubeschrijvingen, {result.action_examples} "
            "voorbeeldactiepunten."
        )


def ensure_role_groups(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    """The role groups exist on every installation, and SER staff hold every permission of the
    app just migrated. Connected for every app, because each app's permissions are only created
    in its own post_migrate round."""
    from django.contrib.auth.models import Group, Permission

    from .roles import ROLE_GROUPS, STAFF_GROUP

    groups = {
        name: Group.objects.using(using).get_or_create(name=name)[0] for name in ROLE_GROUPS
    }
    permissions = Permission.objects.using(using).filter(content_type__app_label=sender.label)
    groups[STAFF_GROUP].permissions.add(*permissions)
