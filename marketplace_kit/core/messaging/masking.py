"""Hide contact details (emails, phone numbers, links) in message text.

Platforms do this before an order is paid so deals stay on the platform.
Covers plain and common obfuscated forms ("name at example dot com",
"name(at)example(dot)com", "name [at] example [dot] com", the Chinese and
Russian words for at/dot, full-width "\uff20"), phone numbers written with spaces,
dashes, dots or brackets (7+ digits, full-width digits too), URLs and bare
domains ("example.com/shop", "www.shop.ru", "shop点com").
"""

from __future__ import annotations

import re

MASK = "[hidden]"

_AT = r"(?:@|\uff20|\s*[\(\[\{<]\s*(?:at|собака|эт)\s*[\)\]\}>]\s*|\s+(?:at|собака)\s+|\s*(?:艾特|圈a)\s*)"
_DOT = r"(?:\.|。|\s*[\(\[\{<]\s*(?:dot|точка)\s*[\)\]\}>]\s*|\s+(?:dot|точка)\s+|\s*点\s*)"
_LABEL = r"[A-Za-z0-9\u0400-\u04ff_\-]+"
_TLD = r"(?:[a-z]{2,24}|рф|中国|com|net|org)"

EMAIL_RE = re.compile(
    rf"[A-Za-z0-9\u0400-\u04ff_.+\-]+{_AT}{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}{_TLD}\b",
    re.IGNORECASE | re.UNICODE,
)
URL_RE = re.compile(
    r"(?:https?://|ftp://|www\.)\S+"
    rf"|\b{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}(?:com|net|org|ru|cn|рф|io|me|info|biz|co|uk|de|su|shop|site|online|xyz|app)\b(?:/\S*)?",
    re.IGNORECASE | re.UNICODE,
)
# 7 or more digits, allowing one separator (space, dash, dot, slash, brackets) between them.
PHONE_RE = re.compile(r"(?<![\dA-Za-z])\+?\(?\d(?:[\s\-./()]{0,2}\d){6,}(?![\dA-Za-z])")
MESSENGER_RE = re.compile(
    r"(?:(?:whats\s?app|telegram|wechat|viber|skype|微信|电报|телеграм|ватсап|вайбер)\s*[:\uff1a]?\s*)@?[\w\-.]{3,}",
    re.IGNORECASE,
)


def mask_contacts(text: str) -> str:
    """``text`` with emails, links, phone numbers and messenger handles replaced by ``[hidden]``."""
    for pattern in (EMAIL_RE, URL_RE, MESSENGER_RE, PHONE_RE):
        text = pattern.sub(MASK, text)
    return text
