"""Where an object lives in the web UI, by its ``app_label.model`` label and id.

Notifications (the inbox and their e-mails) and anything else that stores a reference to "some
object" link through here. Each app registers its own objects in ``AppConfig.ready`` (core stays
below the apps: it knows labels, never models). The page at the end of the link applies its own
permission and scope checks, so a link never grants anything.
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import NoReverseMatch, reverse

Resolver = Callable[[str], str]
_RESOLVERS: dict[str, Resolver] = {}


def register(label: str, resolver: Resolver) -> None:
    """``resolver(object_id)`` returns the path of the object's page ("" when there is none)."""
    _RESOLVERS[label] = resolver


def register_detail(label: str, url_name: str) -> None:
    """The common case: a detail page taking the integer primary key."""
    register(label, lambda object_id: reverse(url_name, args=[int(object_id)]))


def object_path(object_type: str, object_id: str) -> str:
    """The path of the object's page, or "" when the type has no page or the id is not one."""
    resolver = _RESOLVERS.get(object_type)
    if resolver is None or not object_id:
        return ""
    try:
        return resolver(object_id)
    except (NoReverseMatch, ValueError, LookupError):
        return ""
