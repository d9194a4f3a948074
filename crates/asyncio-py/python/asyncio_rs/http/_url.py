"""``URL``: what ``response.url`` is — the URL as a string, with the parts aiohttp programs read
from yarl's ``URL`` (``host``, ``port``, ``scheme``, ``path``, ``query``, ...)."""

from urllib.parse import parse_qsl, urlsplit, urlunsplit

__all__ = ["URL"]


class URL(str):
    """A URL: a ``str`` (``str(url)`` is it), with yarl's most used attributes."""

    __slots__ = ()

    def _parts(self):
        return urlsplit(self)

    @property
    def scheme(self):
        return self._parts().scheme

    @property
    def host(self):
        return self._parts().hostname

    @property
    def port(self):
        parts = self._parts()
        return parts.port or {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(
            parts.scheme
        )

    @property
    def user(self):
        return self._parts().username

    @property
    def password(self):
        return self._parts().password

    @property
    def path(self):
        return self._parts().path or "/"

    @property
    def raw_path(self):
        return self.path

    @property
    def query_string(self):
        return self._parts().query

    @property
    def query(self):
        return dict(parse_qsl(self._parts().query, keep_blank_values=True))

    @property
    def fragment(self):
        return self._parts().fragment

    @property
    def name(self):
        return self.path.rsplit("/", 1)[-1]

    @property
    def origin(self):
        p = self._parts()
        return URL(urlunsplit((p.scheme, p.netloc.rpartition("@")[2], "", "", "")))

    def with_fragment(self, fragment):
        p = self._parts()
        return URL(urlunsplit((p.scheme, p.netloc, p.path, p.query, fragment or "")))

    def human_repr(self):
        return str(self)

    def __repr__(self):
        return f"URL({str(self)!r})"
