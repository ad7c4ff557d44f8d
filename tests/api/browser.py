"""Debian's chromium driven by playwright for the dashboard's tests, and where screenshots go.

Playwright's own browser downloads are never used: the tests drive the
chromium that scripts/setup installs from Debian, headless, with a fresh
profile and no background traffic.
"""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Dialog, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parents[2] / "artifacts" / "dashboard"


@dataclass
class Browsing:
    """A page, and what went wrong on it: console errors, uncaught errors, dialogs."""

    page: Page
    problems: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> Path:
        """Keep a full-page screenshot under artifacts/dashboard/ and return its path."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@contextmanager
def chromium() -> Iterator[Browsing]:
    """A headless chromium page with a fresh profile, closed afterwards."""
    with (
        tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile,
        sync_playwright() as p,
    ):
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": 1280, "height": 900},
        )  # fmt: skip
        try:
            browsing = Browsing(context.new_page())

            def console(message: ConsoleMessage) -> None:
                if message.type == "error":
                    browsing.problems.append(f"console: {message.text}")

            def dialog(opened: Dialog) -> None:
                browsing.problems.append(f"dialog: {opened.message}")
                opened.dismiss()

            browsing.page.on("console", console)
            browsing.page.on(
                "pageerror", lambda error: browsing.problems.append(f"error: {error}")
            )
            browsing.page.on("dialog", dialog)
            yield browsing
        finally:
            context.close()
