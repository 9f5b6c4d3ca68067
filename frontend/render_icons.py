"""Render the PNG app icons from the SVG sources with headless Chromium.

Run after changing an icon: python frontend/render_icons.py
Then each PNG is packed again without loss by zopflipng (Debian: apt-get install zopfli),
when it is there: a third smaller, and a phone fetches icon-192.png on its first visit.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from playwright.sync_api import sync_playwright

ICONS = Path(__file__).resolve().parent / "static" / "icons"
SIZES = (("icon.svg", "icon-192.png", 192), ("icon.svg", "icon-512.png", 512),
         ("maskable.svg", "maskable-512.png", 512))


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        for source, target, size in SIZES:
            page = browser.new_page(viewport={"width": size, "height": size})
            svg = (ICONS / source).read_text(encoding="utf-8")
            page.set_content(
                "<html><body style='margin:0;background:transparent'>"
                f"<div style='width:{size}px;height:{size}px'>{svg}</div></body></html>"
            )
            page.locator("svg").evaluate("e => { e.style.width = '100%'; e.style.height = '100%' }")
            page.screenshot(path=str(ICONS / target), omit_background=True)
            page.close()
        browser.close()
    zopflipng = shutil.which("zopflipng")
    if zopflipng:
        for _, target, _ in SIZES:
            png = ICONS / target  # our own files, the program found on PATH
            subprocess.run([zopflipng, "-y", "-m", png, png], check=True,  # noqa: S603
                           capture_output=True)


if __name__ == "__main__":
    main()
