from django import template
from django.utils.safestring import mark_safe

from drafting.rendering import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> str:
    """Markdown to HTML, sanitised by `render_markdown` (nh3's allow-list): safe for untrusted model output."""
    return mark_safe(render_markdown(text or ""))  # noqa: S308 — sanitised above
