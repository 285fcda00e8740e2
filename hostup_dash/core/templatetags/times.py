"""One markup for a moment in time, so every page shows times the same way.

A tag rather than an include: it runs once per table row, and an include costs a
template lookup and a context push each time.
"""

from datetime import datetime

from django import template
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.timezone import localtime

register = template.Library()


@register.simple_tag
def moment(value: datetime | None, style: str = "ago", empty: str = "—") -> str:
    """`<time>` with the exact UTC time as its title; `style` "ago" reads "5 minutes ago", "date" the date.

    app.js turns every `time.relative` into live relative text ("3 minutes ago", "in 3 weeks"); the style
    only picks what shows before it runs, and "date" suits times ahead, which "ago" cannot say. So the
    words around a moment must read with both: "expires {moment}", "ends {moment}", never "until {moment}".
    """
    if value is None:
        return format_html('<span class="muted">{}</span>', empty)
    value = localtime(value)
    shown = f"{timesince(value)} ago" if style == "ago" else f"{value:%Y-%m-%d %H:%M} UTC"
    return format_html(
        '<time class="relative" datetime="{}" title="{} UTC">{}</time>',
        value.isoformat(),
        f"{value:%Y-%m-%d %H:%M:%S}",
        shown,
    )
