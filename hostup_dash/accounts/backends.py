"""The login backend: Django's ModelBackend, with a user's permissions and role read in one query."""

from django.contrib.auth.backends import ModelBackend

from . import roles


class RoleBackend(ModelBackend):
    """ModelBackend whose permission caches `roles.user_rights_load` fills, together with the role.

    ModelBackend would spend two queries on the permissions (the user's own, then its groups') and
    the top bar a third on the groups. The checks and their answers stay ModelBackend's: an inactive
    user has no permission and a superuser every one. The caches live on the user object of one
    request, so a role change applies from the next request on.
    """

    def get_user_permissions(self, user_obj, obj=None) -> set[str]:
        _rights_ready(user_obj, obj)
        return super().get_user_permissions(user_obj, obj)

    def get_group_permissions(self, user_obj, obj=None) -> set[str]:
        _rights_ready(user_obj, obj)
        return super().get_group_permissions(user_obj, obj)

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        _rights_ready(user_obj, obj)
        return super().get_all_permissions(user_obj, obj)


def _rights_ready(user_obj, obj) -> None:
    # The cases in which ModelBackend reads its caches; in the others it answers without them.
    if obj is None and user_obj.is_active and not user_obj.is_anonymous and not hasattr(user_obj, "_perm_cache"):
        roles.user_rights_load(user_obj)
