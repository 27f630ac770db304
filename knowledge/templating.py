"""The Jinja environment class every template of oomlens renders in (the catalogue's texts, the
text and markdown reports, the Slack messages): Jinja's own, with a faster ``x.name`` on dicts."""

from __future__ import annotations

from typing import Any

import jinja2

# What ``getattr`` finds on a plain dict (its methods and object's): every other name is a key
_DICT_ATTRIBUTES = frozenset(dir(dict))


class Environment(jinja2.Environment):
    """A Jinja environment whose ``x.name`` on a plain dict looks the key up at once.

    Jinja's ``getattr`` tries the attribute first and the item after it, so each ``ev.hog`` or
    ``ctx.memcg`` of a template (the values the checks and the renderers pass are dicts) first
    raised and caught an AttributeError, some thirty per event. A dict's attributes are its
    type's (``_DICT_ATTRIBUTES``): for any other name that look-up could only fail, and the item
    is what Jinja then returns, or the same undefined when there is none. Every other object (a
    dict subclass too) goes the usual way."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return jinja2.Environment.getattr(self, obj, attribute)
