"""Headers as aiohttp gives them: case-insensitive, multi-valued, in the order received
(``multidict``'s ``CIMultiDict`` and ``CIMultiDictProxy``, the part that headers use)."""

from collections.abc import Mapping

__all__ = ["CIMultiDict", "CIMultiDictProxy"]

_MISSING = object()


class CIMultiDictProxy(Mapping):
    """A read-only view: ``headers["content-type"]``, ``headers.getall("Set-Cookie")``."""

    __slots__ = ("_items",)

    def __init__(self, items=()):
        if isinstance(items, CIMultiDictProxy):
            items = items._items
        elif isinstance(items, Mapping):
            items = items.items()
        self._items = [(str(k), v) for k, v in items]

    def getall(self, key, default=_MISSING):
        """Every value of ``key``, in order."""
        k = key.lower()
        found = [v for name, v in self._items if name.lower() == k]
        if found:
            return found
        if default is _MISSING:
            raise KeyError(key)
        return default

    def getone(self, key, default=_MISSING):
        """The first value of ``key``."""
        k = key.lower()
        for name, v in self._items:
            if name.lower() == k:
                return v
        if default is _MISSING:
            raise KeyError(key)
        return default

    def __getitem__(self, key):
        return self.getone(key)

    def get(self, key, default=None):
        return self.getone(key, default)

    def __contains__(self, key):
        if not isinstance(key, str):
            return False
        k = key.lower()
        return any(name.lower() == k for name, _ in self._items)

    def __iter__(self):
        return iter([k for k, _ in self._items])

    def __len__(self):
        return len(self._items)

    def keys(self):
        return [k for k, _ in self._items]

    def values(self):
        return [v for _, v in self._items]

    def items(self):
        return list(self._items)

    def copy(self):
        return CIMultiDict(self._items)

    def __eq__(self, other):
        if isinstance(other, CIMultiDictProxy):
            mine = [(k.lower(), v) for k, v in self._items]
            return mine == [(k.lower(), v) for k, v in other._items]
        if isinstance(other, Mapping):
            return {k.lower(): v for k, v in self._items} == {
                str(k).lower(): v for k, v in other.items()
            }
        return NotImplemented

    __hash__ = None

    def __repr__(self):
        body = ", ".join(f"'{k}': {v!r}" for k, v in self._items)
        return f"<{type(self).__name__}({body})>"


class CIMultiDict(CIMultiDictProxy):
    """The mutable kind, for request headers."""

    __slots__ = ()

    def add(self, key, value):
        """Appends a value of ``key``."""
        self._items.append((str(key), value))

    def __setitem__(self, key, value):
        k = key.lower()
        self._items = [(n, v) for n, v in self._items if n.lower() != k]
        self._items.append((str(key), value))

    def __delitem__(self, key):
        k = key.lower()
        kept = [(n, v) for n, v in self._items if n.lower() != k]
        if len(kept) == len(self._items):
            raise KeyError(key)
        self._items = kept

    def extend(self, *args, **kwargs):
        """Appends every pair of ``args[0]`` and ``kwargs``."""
        for k, v in _pairs(args, kwargs):
            self.add(k, v)

    def update(self, *args, **kwargs):
        """Replaces the values of each key given."""
        for k, v in _pairs(args, kwargs):
            self[k] = v

    def setdefault(self, key, default=None):
        if key in self:
            return self.getone(key)
        self.add(key, default)
        return default

    def popone(self, key, default=_MISSING):
        k = key.lower()
        for i, (name, v) in enumerate(self._items):
            if name.lower() == k:
                del self._items[i]
                return v
        if default is _MISSING:
            raise KeyError(key)
        return default

    pop = popone

    def popall(self, key, default=_MISSING):
        values = self.getall(key, default)
        if key in self:
            del self[key]
        return values

    def clear(self):
        self._items = []


def _pairs(args, kwargs):
    for arg in args:
        if isinstance(arg, CIMultiDictProxy):
            yield from arg._items
        elif isinstance(arg, Mapping):
            yield from arg.items()
        else:
            yield from arg
    yield from kwargs.items()
