"""The page layout, language choice, flash messages, static files and the installable app."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

from litestar import Request, get
from litestar.response import Redirect

from coach.accounts.tables import User
from coach.auth.actor import Actor
from coach.flash import FLASH_COOKIE, flash
from coach.i18n import LANGUAGE_COOKIE
from coach.ui import nav_items
from coach.web import make_environment
from tests.auth_helpers import csrf_headers, login_as, sign_in_directly
from tests.factories import make_group, make_participant, make_user


def html_lang(html: str) -> str:
    return re.search(r'<html lang="(\w+)"', html).group(1)


# --- language ---

async def test_page_is_finnish_without_any_preference(client):
    response = await client.get("/login", headers={"accept-language": "de-DE,de;q=0.9"})
    assert html_lang(response.text) == "fi"
    assert "Siirry sisältöön" in response.text


async def test_page_follows_the_browsers_accept_language(client):
    response = await client.get("/login", headers={"accept-language": "de;q=1, sv-FI;q=0.8"})
    assert html_lang(response.text) == "sv"
    assert "Cookie" in response.headers["vary"] and "Accept-Language" in response.headers["vary"]


async def test_language_cookie_beats_accept_language(client):
    client.cookies.set(LANGUAGE_COOKIE, "en")
    response = await client.get("/login", headers={"accept-language": "sv"})
    assert html_lang(response.text) == "en"


async def test_error_page_for_an_unknown_path_is_in_the_users_language(client):
    response = await client.get("/no/such/page", headers={"accept-language": "sv"})
    assert response.status_code == 404
    assert html_lang(response.text) == "sv"
    assert "Sidan hittades inte." in response.text


async def test_choosing_a_language_sets_the_cookie_and_goes_back(client):
    response = await client.post(
        "/language", data={"language": "sv", "next": "/login?next=/x"},
        headers=csrf_headers(client), follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/x"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{LANGUAGE_COOKIE}=sv;") and "HttpOnly" in cookie
    page = await client.get("/login", headers={"accept-language": "en"})
    assert html_lang(page.text) == "sv"


async def test_choosing_a_language_never_redirects_to_another_site(client):
    for target in (
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "/x\r\nSet-Cookie: a=b",
    ):
        response = await client.post(
            "/language", data={"language": "en", "next": target},
            headers=csrf_headers(client), follow_redirects=False,
        )
        assert response.headers["location"] == "/"


async def test_an_unknown_language_is_ignored(client):
    response = await client.post("/language", data={"language": "de", "next": "/login"},
                                 headers=csrf_headers(client), follow_redirects=False)
    assert response.status_code == 303
    assert "set-cookie" not in response.headers or LANGUAGE_COOKIE not in str(
        response.headers.get_list("set-cookie"))


async def test_choosing_a_language_without_csrf_token_is_refused(client):
    client.cookies.set("csrftoken", "x")
    response = await client.post("/language", data={"language": "sv"}, follow_redirects=False)
    assert response.status_code == 403
    assert LANGUAGE_COOKIE not in client.cookies


async def test_a_staff_members_choice_is_kept_for_their_other_devices(client, app):
    coach = await make_user("kaisa", "coach")
    await login_as(client, coach)
    await client.post("/language", data={"language": "sv", "next": "/"},
                      headers=csrf_headers(client), follow_redirects=False)
    saved = await User.select(User.language).where(User.id == coach.id).first()
    assert saved["language"] == "sv"

    # Another device: no language cookie, a browser that prefers English.
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app) as phone:
        await login_as(phone, coach)
        assert LANGUAGE_COOKIE not in phone.cookies
        page = await phone.get("/login", headers={"accept-language": "en"})
        assert html_lang(page.text) == "sv"


async def test_a_participant_choosing_on_the_coachs_phone_leaves_the_coachs_account(client):
    coach = await make_user("kaisa", "coach")
    group = await make_group(coaches=[coach])
    participant = await make_participant(group)
    await sign_in_directly(client, user=coach, together_with=participant)
    await client.post("/language", data={"language": "en", "next": "/"},
                      headers=csrf_headers(client), follow_redirects=False)
    saved = await User.select(User.language).where(User.id == coach.id).first()
    assert saved["language"] == ""
    assert client.cookies.get(LANGUAGE_COOKIE) == "en"


# --- the layout ---

async def test_layout_has_landmarks_skip_link_and_language_forms(client):
    html = (await client.get("/login", headers={"accept-language": "en"})).text
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert 'aria-label="Language"' in html
    # One real form per other language, each with the CSRF token, working without JavaScript.
    assert html.count('action="/language"') == 2
    assert html.count('name="_csrf_token"') >= 3


async def test_layout_needs_no_inline_script_or_style(client):
    html = (await client.get("/login")).text
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all(" src=" in tag for tag in scripts)
    assert not re.search(r"<script[^>]*>\s*[^<\s]", html)
    assert " style=" not in html and "<style" not in html
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'', html).group(1)
    settings = json.loads(config)
    assert settings["allowEval"] is False and settings["includeIndicatorStyles"] is False
    assert settings["historyCacheSize"] == 0  # no page copies in the browser's storage


async def test_layout_sends_the_csrf_token_with_htmx_requests(client):
    html = (await client.get("/login")).text
    token = client.cookies.get("csrftoken")
    header = re.search(r"hx-headers='([^']+)'", html).group(1)
    assert json.loads(header) == {"X-CSRFToken": token}


def fake_context(app, actor, path="/"):
    request = SimpleNamespace(scope={"user": actor}, app=app, url=SimpleNamespace(path=path))
    return {"request": request}


def test_menu_links_only_to_routes_that_exist(app):
    admin = Actor(role="admin", user_id=1, participant_id=None, username="a", label="A",
                  language="", session_id=1)
    items = nav_items(fake_context(app, admin))
    paths = {route.path for route in app.routes}
    assert items and {item.href for item in items} <= paths
    assert [item.href for item in items if item.current] == ["/"] if "/" in paths else True


def test_menu_is_hidden_when_signed_out_and_during_fill_in_together(app):
    together = Actor(role="participant", user_id=1, participant_id=2, username="a", label="",
                     language="", session_id=1, together=True)
    assert nav_items(fake_context(app, together)) == []
    assert nav_items(fake_context(app, None)) == []


def test_field_macro_puts_the_error_next_to_the_field_and_describes_the_input():
    environment = make_environment()
    template = environment.from_string(
        '{% import "_forms.html" as forms %}'
        '{{ forms.field("duration", "Length", value="x", errors=errors, hint="In minutes") }}'
    )
    html = template.render(errors={"duration": "Enter a whole number."})
    assert 'id="duration-error"' in html and "Enter a whole number." in html
    assert 'aria-describedby="duration-hint duration-error"' in html
    assert 'aria-invalid="true"' in html
    assert '<label class="field__label" for="duration">Length</label>' in html
    clean = template.render(errors={})
    assert "aria-invalid" not in clean and 'aria-describedby="duration-hint"' in clean


def test_choice_macros_mark_the_chosen_options():
    environment = make_environment()
    html = environment.from_string(
        '{% import "_forms.html" as forms %}'
        '{{ forms.checkboxes("themes", "Themes", [("sleep", "Sleep"), ("food", "Food")],'
        ' values=["food"]) }}'
        '{{ forms.radios("gender", "Gender", [("f", "Female"), ("m", "Male")], value="m",'
        ' errors={"gender": "Choose one."}) }}'
    ).render()
    assert re.search(r'value="food"\s+checked', html)
    assert not re.search(r'value="sleep"\s+checked', html)
    assert re.search(r'value="m"\s+checked', html)
    assert '<legend class="field__label">Gender</legend>' in html
    assert 'id="gender-error"' in html


# --- flash messages ---

@get("/test-flash", opt={"public": True}, name="test_flash")
async def flashing_route(request: Request) -> Redirect:
    flash(request, "Meeting saved", "success")
    return Redirect("/login", status_code=303)


async def test_flash_message_is_shown_once_on_the_next_page(client, app):
    app.register(flashing_route)
    response = await client.get("/test-flash", follow_redirects=False)
    assert FLASH_COOKIE in response.headers["set-cookie"]
    page = await client.get("/login")
    assert '<p class="flash flash--success">Meeting saved</p>' in page.text
    assert f"{FLASH_COOKIE}=;" in page.headers["set-cookie"]
    client.cookies.delete(FLASH_COOKIE)
    again = await client.get("/login")
    assert "Meeting saved" not in again.text


async def test_a_forged_flash_cookie_is_ignored(client):
    client.cookies.set(FLASH_COOKIE, "W3sidGV4dCI6ICJIYWNrZWQiLCAiY2F0ZWdvcnkiOiAiaW5mbyJ9XQ.00")
    page = await client.get("/login")
    assert "Hacked" not in page.text


# --- static files and the installable app ---

async def test_htmx_is_pinned_and_static_files_are_gzipped(client):
    version = (await client.get("/static/vendor/htmx/VERSION")).text
    assert version.startswith("htmx.org 2.0.")
    response = await client.get("/static/vendor/htmx/htmx.min.js",
                                headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) < 20_000


async def test_pages_are_not_compressed(client):
    # Pages carry the CSRF token and personal data: no compression next to reflected input.
    response = await client.get("/login", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in response.headers


async def test_service_worker_is_served_from_the_root_and_caches_no_page(client):
    response = await client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    assets = json.loads(re.search(r"const ASSETS = (\[.*?\]);", response.text).group(1))
    assert assets and all(asset.startswith("/static/") for asset in assets)
    for asset in assets:
        assert (await client.get(asset)).status_code == 200, asset
    assert 'const OFFLINE_URL = "/offline"' in response.text


async def test_manifest_names_the_app_in_the_users_language_and_its_icons_exist(client):
    response = await client.get("/manifest.webmanifest", headers={"accept-language": "fi"})
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"] == "Valmennuksen edistyminen" and manifest["lang"] == "fi"
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512", "any"} <= sizes
    for icon in manifest["icons"]:
        assert (await client.get(icon["src"])).status_code == 200, icon["src"]


async def test_offline_page_speaks_every_language_and_holds_nothing_personal(client):
    coach = await make_user("kaisa-coach", "coach", display_name="Kaisa Koutsi")
    await login_as(client, coach)
    html = (await client.get("/offline")).text
    assert 'lang="fi"' in html and 'lang="sv"' in html and 'lang="en"' in html
    assert "Ei verkkoyhteyttä" in html and "Ingen nätförbindelse" in html
    assert "You are offline" in html
    assert "kaisa" not in html.lower() and "Sign out" not in html and "_csrf_token" not in html
