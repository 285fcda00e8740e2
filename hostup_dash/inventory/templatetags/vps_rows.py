"""Pieces of the VPS list's rows that would otherwise cost an {% include %} on each of its 50 rows, and its headers."""

from django import template
from django.template.loader import get_template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from hostup_dash.inventory.selectors import DEFAULT_SORT

register = template.Library()

BADGES = "inventory/_routed_badges.html"
DETAIL_URL = "inventory:vps-detail"
LIST_URL = "inventory:vps-list"
# Stands in for the id in the one reverse() a render makes: any id the URL's converter accepts.
ID_PLACE = "vps_" + "0" * 26


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


@register.simple_tag(takes_context=True)
def vps_url(context: template.Context, vps_id: str) -> str:
    """The VPS page's address, as {% url %} gives it, from one reverse() per render.

    VPS ids are URL-safe (the converter's pattern), so the id goes in as it is.
    """
    parts = context.render_context.get(DETAIL_URL)
    if parts is None:
        prefix, _, suffix = reverse(DETAIL_URL, args=[ID_PLACE]).partition(ID_PLACE)
        parts = context.render_context[DETAIL_URL] = (prefix, suffix)
    return f"{parts[0]}{vps_id}{parts[1]}"


@register.simple_tag(takes_context=True)
def sort_header(context: template.Context, column: str, label: str) -> SafeString:
    """A sortable column's header: a link that sorts by it, or the other way when it already does, keeping
    the filters; aria-sort tells screen readers which column the list is sorted by and which way."""
    form = context["form"]
    current = form.sort_name
    target = f"-{column}" if current == column else column
    query = form.filter_query
    if target != DEFAULT_SORT:
        query["sort"] = target
    href = reverse(LIST_URL) + (f"?{query.urlencode()}" if query else "")
    sorted_here = current.lstrip("-") == column
    way = "descending" if current.startswith("-") else "ascending"
    return format_html(
        '<th scope="col"{}><a href="{}" hx-get="{}" hx-target="#vps-rows" hx-swap="outerHTML" hx-push-url="true">'
        "{}</a>{}</th>",
        format_html(' aria-sort="{}"', way) if sorted_here else "",
        href,
        href,
        label,
        format_html(' <span aria-hidden="true">{}</span>', "▼" if way == "descending" else "▲") if sorted_here else "",
    )
