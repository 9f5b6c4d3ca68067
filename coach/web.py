"""Template engine set-up shared by every feature: translations, formatting, url_for."""

from __future__ import annotations

from functools import cache
from typing import Any

from babel.numbers import NumberPattern, format_decimal, parse_pattern
from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from coach import i18n
from coach.labels import label
from coach.offline import queue_settings
from coach.reports.labels import local_time, policy_label
from coach.settings import FRONTEND_DIR
from coach.submissions.service import new_key
from coach.ui import template_globals


@cache
def _number_pattern(digits: int) -> NumberPattern:
    return parse_pattern("#,##0" if digits == 0 else "#,##0." + "0" * digits)


def _format_number(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    # Pattern and locale parsed once: a page formats dozens of numbers.
    return format_decimal(value, format=_number_pattern(digits),
                          locale=i18n.locale_of(i18n.current_language.get()))


def make_environment() -> Environment:
    """Return the Jinja2 environment with translations and formatting filters."""
    environment = Environment(
        loader=FileSystemLoader(FRONTEND_DIR / "templates"),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext,
        ngettext=lambda s, p, n: i18n.gettext(s if n == 1 else p),
        newstyle=True,
    )
    environment.filters["date"] = i18n.format_day
    environment.filters["number"] = _format_number
    environment.globals["LANGUAGES"] = i18n.LANGUAGES
    environment.globals["LANGUAGE_NAMES"] = i18n.LANGUAGE_NAMES
    environment.globals["current_language"] = i18n.current_language.get
    environment.globals.update(template_globals())
    environment.globals["label"] = label
    environment.globals["label_policy"] = policy_label
    environment.globals["local_time"] = local_time
    # Forms that create rows carry a fresh key, so a repeat of the same entry saves once.
    environment.globals["new_submission_key"] = new_key
    environment.globals["offline_queue_settings"] = queue_settings
    return environment


def template_config() -> TemplateConfig:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(make_environment()))


def render_block(environment: Environment, template_name: str, block_name: str,
                 context: dict[str, Any]) -> str:
    """Render one named block of a template on its own: the fragment htmx asked for."""
    template = environment.get_template(template_name)
    return "".join(template.blocks[block_name](template.new_context(context)))


def wants_fragment(request: Request) -> bool:
    """Say whether htmx asked for a piece of the page (hx-boost asks for whole pages)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def page(request: Request, template_name: str, context: dict[str, Any], *, block: str,
         status_code: int = 200) -> Response:
    """Return the whole page, or only `block` when htmx (not hx-boost) asked for it."""
    full = Template(template_name=template_name, context=context, status_code=status_code)
    if not wants_fragment(request):
        return full
    body = render_block(request.app.template_engine.engine, template_name, block,
                        full.create_template_context(request))
    return Response(body, media_type=MediaType.HTML, status_code=status_code)
