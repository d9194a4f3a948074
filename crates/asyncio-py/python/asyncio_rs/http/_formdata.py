"""``FormData``: fields for a form post, encoded as ``application/x-www-form-urlencoded`` or,
with files or binary values, as ``multipart/form-data`` (RFC 7578)."""

import io
import os
from urllib.parse import urlencode

__all__ = ["FormData"]


def _quoted(value):
    # The HTML standard's escaping of names and file names in Content-Disposition.
    return value.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


class FormData:
    """Form fields: ``add_field(name, value, content_type=None, filename=None)``."""

    def __init__(
        self, fields=(), quote_fields=True, charset=None, *, default_to_multipart=False
    ):
        self._fields = []
        self._charset = charset
        self._multipart = default_to_multipart
        if isinstance(fields, dict):
            fields = list(fields.items())
        elif not isinstance(fields, (list, tuple)):
            fields = (fields,)
        self.add_fields(*fields)

    @property
    def is_multipart(self):
        return self._multipart

    def add_field(
        self,
        name,
        value,
        *,
        content_type=None,
        filename=None,
        content_transfer_encoding=None,
    ):
        """Adds a field; a file object or bytes (or a ``filename``) makes the form multipart."""
        if content_transfer_encoding is not None:
            raise NotImplementedError(
                "asyncio_rs.http: FormData.add_field(content_transfer_encoding=...) is not supported"
            )
        if isinstance(value, io.IOBase):
            self._multipart = True
            if filename is None:
                path = getattr(value, "name", None)
                if isinstance(path, str):
                    filename = os.path.basename(path)
        elif isinstance(value, (bytes, bytearray, memoryview)):
            self._multipart = True
            if filename is None:
                filename = name
        elif not isinstance(value, str):
            raise TypeError(
                f"field {name!r}: expected str, bytes or a file, got {type(value).__name__}"
            )
        if content_type is not None or filename is not None:
            self._multipart = True
        self._fields.append((name, value, content_type, filename))

    def add_fields(self, *fields):
        """Adds ``(name, value)`` pairs, dicts of them, or file objects."""
        for f in fields:
            if isinstance(f, io.IOBase):
                self.add_field(getattr(f, "name", "unknown"), f)
            elif isinstance(f, dict):
                for k, v in f.items():
                    self.add_field(k, v)
            elif isinstance(f, (list, tuple)) and len(f) == 2:
                self.add_field(f[0], f[1])
            else:
                raise TypeError(
                    f"only io.IOBase, dict and (name, value) pairs are supported, not {f!r}"
                )

    def _encode(self):
        """The body and its ``Content-Type``."""
        if not self._multipart:
            pairs = [(name, value) for name, value, _, _ in self._fields]
            charset = self._charset or "utf-8"
            ctype = "application/x-www-form-urlencoded"
            if self._charset:
                ctype += f"; charset={charset}"
            return urlencode(pairs, doseq=True, encoding=charset).encode(), ctype
        import mimetypes
        import uuid

        boundary = uuid.uuid4().hex
        out = bytearray()
        for name, value, content_type, filename in self._fields:
            if isinstance(value, io.IOBase):
                data = value.read()
                if isinstance(data, str):
                    data = data.encode(self._charset or "utf-8")
            elif isinstance(value, str):
                data = value.encode(self._charset or "utf-8")
            else:
                data = bytes(value)
            disposition = f'form-data; name="{_quoted(name)}"'
            if filename is not None:
                disposition += f'; filename="{_quoted(filename)}"'
            if content_type is None:
                if filename is not None:
                    content_type = (
                        mimetypes.guess_type(filename)[0] or "application/octet-stream"
                    )
                elif not isinstance(value, str):
                    content_type = "application/octet-stream"
                else:
                    content_type = f"text/plain; charset={self._charset or 'utf-8'}"
            out += f"--{boundary}\r\n".encode()
            out += f"Content-Disposition: {disposition}\r\n".encode()
            out += f"Content-Type: {content_type}\r\n\r\n".encode()
            out += data
            out += b"\r\n"
        out += f"--{boundary}--\r\n".encode()
        return bytes(out), f"multipart/form-data; boundary={boundary}"
