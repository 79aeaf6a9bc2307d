"""`GET /dev/outbox`: the SES mail the embedded moto has accepted, as `{to, subject, text, html}`.

moto keeps three kinds of sent message: `Message` (SendEmail: moto keeps only the HTML body when
both parts are sent, so the text is derived from it), `RawMessage` (SendRawEmail: MIME, parsed here)
and `TemplateMessage` (SendTemplatedEmail: rendered from the stored template).
"""
from __future__ import annotations

import email
import json
import re
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import Any, Optional

_HTML_HINT = re.compile(r"<\s*(html|body|p|div|table|br|h[1-6]|a|ul|ol|li|span|strong|em)\b", re.IGNORECASE)


def outbox() -> dict[str, list[dict[str, Any]]]:
    """Every message sent so far, oldest first."""
    from moto.ses.models import ses_backends

    messages: list[dict[str, Any]] = []
    for regions in list(dict.values(ses_backends)):
        for backend in list(dict.values(regions)):
            for sent in list(backend.sent_messages):
                messages.append(describe(sent, getattr(backend, "templates", {})))
    return {"messages": messages}


def describe(sent: Any, templates: dict[str, Any]) -> dict[str, Any]:
    """One moto message as `{to, subject, text, html}` (the contract's outbox entry)."""
    kind = type(sent).__name__
    if kind == "RawMessage":
        return _raw(sent)
    if kind in ("TemplateMessage", "BulkTemplateMessage"):
        return _templated(sent, templates)
    return _simple(sent)


def _simple(sent: Any) -> dict[str, Any]:
    body = sent.body or ""
    if _HTML_HINT.search(body):
        return _entry(_destinations(sent.destinations), sent.subject, html_to_text(body), body)
    return _entry(_destinations(sent.destinations), sent.subject, body, None)


def _raw(sent: Any) -> dict[str, Any]:
    message = email.message_from_string(sent.raw_data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    headers = [str(message[name]) for name in ("To", "Cc", "Bcc") if message[name] is not None]
    recipients = _unique([address for _, address in getaddresses(headers)]
                         + [parseaddr(d)[1] for d in sent.destinations or []])
    text, html = _part(message, "plain"), _part(message, "html")
    if text is None and html is not None:
        text = html_to_text(html)
    return _entry(recipients, str(message["Subject"] or ""), text, html)


def _templated(sent: Any, templates: dict[str, Any]) -> dict[str, Any]:
    template = templates.get(sent.template) or {}
    try:
        data = json.loads(sent.template_data or "{}")
    except ValueError:
        data = {}

    def render(part: Optional[str]) -> Optional[str]:
        if not part:
            return None
        from moto.ses.template import parse_template

        try:
            return parse_template(part, data)
        except Exception:  # a template moto cannot render is still worth showing raw
            return part

    if isinstance(sent.destinations, list):  # bulk: [{"Destination": {...}}, ...]
        recipients = _unique([a for d in sent.destinations for a in _destinations((d or {}).get("Destination"))])
    else:
        recipients = _destinations(sent.destinations)
    return _entry(recipients, render(template.get("subject_part")) or "",
                  render(template.get("text_part")), render(template.get("html_part")))


def _part(message: EmailMessage, subtype: str) -> Optional[str]:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return None
    return str(part.get_content())


def _destinations(destinations: Any) -> list[str]:
    if isinstance(destinations, list):
        return _unique([parseaddr(d)[1] for d in destinations])
    found: list[str] = []
    for key in ("ToAddresses", "CcAddresses", "BccAddresses"):
        found.extend(parseaddr(d)[1] for d in (destinations or {}).get(key, []))
    return _unique(found)


def _unique(addresses: list[str]) -> list[str]:
    return list(dict.fromkeys(a for a in addresses if a))


def _entry(to: list[str], subject: str, text: Optional[str], html: Optional[str]) -> dict[str, Any]:
    return {"to": to, "subject": subject, "text": text, "html": html}


class _TextExtractor(HTMLParser):
    _BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table"}

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        if tag in ("style", "script", "head"):
            self._skip += 1
        elif tag in self._BLOCKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    """A readable plain-text rendering of an HTML body (for mail whose text part moto dropped)."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.chunks).splitlines()]
    return "\n".join(line for line in lines if line)
