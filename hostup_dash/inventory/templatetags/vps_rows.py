"""The VPS list's rows and headers, built in Python: template nodes cost most on a row that repeats 50 times."""

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

from hostup_dash.core.templatetags.times import moment
from hostup_dash.inventory.selectors import DEFAULT_SORT

register = template.Library()

DETAIL_URL = "inventory:vps-detail"
LIST_URL = "inventory:vps-list"
# Stands in for the id in the one reverse() a render makes: any id the URL's converter accepts.
ID_PLACE = "vps_" + "0" * 26
ACTIVE_BADGE = mark_safe('<span class="badge ok">active</span>')
NEXT_HOP_BADGE = mark_safe(
    '<span class="badge warn" title="The next hop differs from HostUp&#x27;s suggestion: a refresh is due">'
    "next hop differs</span>"
)

OUTSIDE_BADGE = mark_safe(
    '<span class="badge warn" title="HostUp&#x27;s log shows a change to this VPS&#x27;s routed IPv6 made outside the '
    'dashboard in the last 7 days">changed outside</span>'
)


@register.simple_tag
def routed_badges(vps) -> SafeString:
    """A VPS's routed-IPv6 badges, on its list row and its page: the one place their markup lives.

    Built in Python: on the list it runs for each of the 50 rows, where template nodes cost most.
    """
    badges = []
    if vps.has_active_allocation:
        badges.append(ACTIVE_BADGE)
    if vps.is_next_hop_stale:
        badges.append(NEXT_HOP_BADGE)
    if vps.is_in_cooldown:
        until = f"{localtime(vps.cooldown_until):%Y-%m-%d %H:%M}"
        badges.append(format_html('<span class="badge info" title="Cooldown until {} UTC">cooldown</span>', until))
    if vps.is_unavailable:
        badges.append(format_html('<span class="badge off" title="{}">unavailable</span>', vps.routed_reason))
    if vps.is_changed_outside:
        badges.append(OUTSIDE_BADGE)
    if vps.has_state_error:
        badges.append(
            format_html(
                '<span class="warn-text state-error">could not read: {} ({})</span>',
                vps.state_error,
                moment(vps.state_error_at),
            )
        )
    return mark_safe("\n".join(badges))  # every part went through format_html


CHECKBOX = '<td><input type="checkbox" name="vps" value="{}" aria-label="Select {}"></td>'


@register.simple_tag(takes_context=True)
def vps_row(context: template.Context, vps, can_bulk: bool) -> SafeString:
    """One `<tr>` of the VPS list, in one pass instead of some forty template nodes."""
    routes = format_html_join(
        "",
        '<div class="mono" title="Account route {}">{}</div>',
        ((route["label"], route["prefix"]) for route in vps.account_routes if route["prefix"] != vps.routed_prefix),
    )
    return format_html(
        "<tr>{}"
        '<td class="name"><a href="{}">{}</a></td><td class="mono id">{}</td><td class="mono">{}</td>'
        "<td>{}</td><td>{}</td><td>{} {}{}</td>"
        '<td class="mono">{}</td><td>{}</td></tr>',
        format_html(
            '<td><input type="checkbox" name="vps" value="{}" aria-label="Select {}"></td>', vps.vps_id, vps.name
        )
        if can_bulk
        else "",
        vps_url(context, vps.vps_id),
        vps.name,
        vps.vps_id,
        vps.primary_ip,
        vps.service_status,
        vps.power_state,
        routed_badges(vps),
        format_html('<span class="mono">{}</span>', vps.routed_prefix) if vps.routed_prefix else "",
        routes,
        vps.next_hop,
        moment(vps.state_checked_at, empty="never"),
    )


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
