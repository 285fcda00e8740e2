"""URL converters: a malformed id is a 404 at the URL, before any view, query or audit record."""

from hostup_dash.hostup.client import VPS_ID_PATTERN


class VpsIdConverter:
    regex = VPS_ID_PATTERN.pattern.strip("^$")

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
