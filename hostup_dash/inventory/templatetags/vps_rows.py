"""Pieces of the VPS list's rows that would otherwise cost an {% include %} on each of its 50 rows."""

from django import template
from django.template.loader import get_template
from django.utils.safestring import SafeString

register = template.Library()

BADGES = "inventory/_routed_badges.html"


@register.simple_tag(takes_context=True)
def routed_badges(context: template.Context, vps) -> SafeString:
    """The routed-IPv6 badges of one row: the VPS page's include, its template rendered in place.

    The include would look the template up, push an isolated context and bind it, row after row.
    """
    badges = context.render_context.get(BADGES)
    if badges is None:
        badges = context.render_context[BADGES] = get_template(BADGES).template
    with context.push(vps=vps):
        return badges.nodelist.render(context)
