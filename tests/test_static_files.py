"""Static files, the service worker and the manifest: compressed once, sent as the browser asks."""

from __future__ import annotations

import gzip
import json

import brotli
import pytest

from coach import pwa
from coach.ui import STATIC_DIR, static_url

BROWSER = "gzip, deflate, br, zstd"  # what Chrome and Firefox send over HTTPS


async def raw_get(client, url: str, accept_encoding: str | None, **headers: str):
    """GET a URL and return the response with its body exactly as it was sent."""
    request = client.build_request("GET", url, headers=headers)
    if accept_encoding is None:
        del request.headers["accept-encoding"]  # httpx would send its own
    else:
        request.headers["accept-encoding"] = accept_encoding
    response = await client.send(request, stream=True)
    body = b"".join([chunk async for chunk in response.aiter_raw()])
    await response.aclose()
    return response, body


def decoded(body: bytes, coding: str | None) -> bytes:
    return {"br": brotli.decompress, "gzip": gzip.decompress}.get(coding, bytes)(body)


@pytest.mark.parametrize("path", ["app.css", "offline-queue.js", "vendor/htmx/htmx.min.js",
                                  "icons/icon.svg"])
@pytest.mark.parametrize(("accept", "coding"), [
    (BROWSER, "br"),
    ("gzip, deflate", "gzip"),
    ("gzip;q=1, br;q=0.5", "gzip"),  # the browser's order of preference wins
    ("br;q=0, *", "gzip"),  # br refused, anything else welcome
    ("x-gzip", "gzip"),
    ("identity", None),
    ("", None),
    (None, None),  # no Accept-Encoding at all
])
async def test_a_static_file_is_sent_in_the_coding_the_browser_takes(client, path, accept, coding):
    response, body = await raw_get(client, static_url(path), accept)
    assert response.status_code == 200
    assert response.headers.get("content-encoding") == coding
    assert int(response.headers["content-length"]) == len(body)
    assert decoded(body, coding) == (STATIC_DIR / path).read_bytes()
    # Every answer varies by Accept-Encoding, the plain one too: a cache must not hand it on.
    assert response.headers["vary"] == "Accept-Encoding"
    if coding:
        assert len(body) < (STATIC_DIR / path).stat().st_size


async def test_brotli_is_smaller_than_gzip_which_is_at_its_best():
    data = (STATIC_DIR / "vendor/htmx/htmx.min.js").read_bytes()
    encoded = pwa.encode(data, "text/javascript")
    assert len(encoded.bodies["br"]) < len(encoded.bodies["gzip"])
    assert len(encoded.bodies["gzip"]) <= len(gzip.compress(data, compresslevel=9))


async def test_a_png_is_sent_as_it_is_whatever_the_browser_takes(client):
    response, body = await raw_get(client, static_url("icons/icon-192.png"), BROWSER)
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert "content-encoding" not in response.headers and "vary" not in response.headers
    assert body == (STATIC_DIR / "icons/icon-192.png").read_bytes()


async def test_a_file_is_kept_a_year_only_under_the_url_that_names_its_bytes(client):
    response = await client.get(static_url("app.css"))
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "etag" not in response.headers  # never asked for again: no validator needed
    # Another version (a page older or newer than this server's files), or none: each time.
    for url in ("/static/app.css?v=0123456789", "/static/app.css", "/static/app.css?v="):
        response = await client.get(url)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-cache" and response.headers["etag"], url


async def test_each_coding_has_its_own_etag_and_a_matching_one_answers_304(client):
    url = "/static/app.css"  # unversioned: checked again each time
    tags = {}
    for accept in (BROWSER, "gzip", "identity"):
        response, _ = await raw_get(client, url, accept)
        tags[accept] = response.headers["etag"]
    assert len(set(tags.values())) == 3 and all(tag.startswith('"') for tag in tags.values())

    again, body = await raw_get(client, url, BROWSER, **{"if-none-match": tags[BROWSER]})
    assert again.status_code == 304 and body == b""
    assert again.headers["etag"] == tags[BROWSER] and again.headers["vary"] == "Accept-Encoding"
    # The gzip tag does not match the brotli answer, nor a stale one any answer.
    for stale in (tags["gzip"], '"0123"'):
        response, body = await raw_get(client, url, BROWSER, **{"if-none-match": stale})
        assert response.status_code == 200 and brotli.decompress(body)


async def test_head_says_what_get_would_send_without_the_body(client):
    url = static_url("app.js")
    got, body = await raw_get(client, url, BROWSER)
    head = await client.head(url, headers={"accept-encoding": BROWSER})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"] == str(len(body))
    assert head.headers["content-encoding"] == "br"
    assert head.headers["cache-control"] == got.headers["cache-control"]


async def test_a_changed_file_is_read_again(client, tmp_path, monkeypatch):
    monkeypatch.setattr(pwa, "STATIC_ROOT", tmp_path)
    style = tmp_path / "x.css"
    style.write_text("body { color: red; }\n" * 40)
    first, body = await raw_get(client, "/static/x.css", "gzip")
    assert gzip.decompress(body) == style.read_bytes()
    style.write_text("main { margin: 0; }\n" * 50)
    second, body = await raw_get(client, "/static/x.css", "gzip")
    assert gzip.decompress(body) == style.read_bytes()
    assert first.headers["etag"] != second.headers["etag"]
    style.unlink()
    assert (await client.get("/static/x.css")).status_code == 404


async def test_the_service_worker_is_compressed_and_still_never_cached(client):
    plain = (await client.get("/sw.js", headers={"accept-encoding": "identity"})).content
    response, body = await raw_get(client, "/sw.js", BROWSER)
    assert response.headers["content-encoding"] == "br"
    assert brotli.decompress(body) == plain and b"const ASSETS = [" in plain
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-type"].startswith("text/javascript")


async def test_the_manifest_is_compressed_and_varies_by_language(client):
    for language, name in (("fi", "Valmennuksen edistyminen"), ("en", "Coaching progress")):
        response, body = await raw_get(client, "/manifest.webmanifest", BROWSER,
                                       **{"accept-language": language})
        assert response.headers["content-encoding"] == "br"
        assert response.headers["content-type"] == "application/manifest+json"
        assert response.headers["vary"] == "Cookie, Accept-Language, Accept-Encoding"
        assert json.loads(brotli.decompress(body))["name"] == name


@pytest.mark.parametrize("path", ["/login", "/offline"])
async def test_pages_are_never_compressed_even_when_brotli_is_welcome(client, path):
    # Pages carry the CSRF token and personal data: no compression next to reflected input.
    response, body = await raw_get(client, path, BROWSER)
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert body.startswith(b"<!doctype html>")


def test_accepted_coding_reads_weights():
    offered = {"identity": b"", "br": b"", "gzip": b""}
    assert pwa.accepted_coding("gzip, br", offered) == "br"  # equal weights: ours first
    assert pwa.accepted_coding("br;q=0.1, gzip;q=0.9", offered) == "gzip"
    assert pwa.accepted_coding("BR; Q=1", offered) == "br"
    assert pwa.accepted_coding("br;q=0, gzip;q=0", offered) == "identity"
    assert pwa.accepted_coding("br;q=nonsense, gzip", offered) == "gzip"
    assert pwa.accepted_coding("zstd, deflate", offered) == "identity"
    assert pwa.accepted_coding("*;q=0.5", offered) == "br"
    assert pwa.accepted_coding("br", {"identity": b""}) == "identity"  # nothing to offer
