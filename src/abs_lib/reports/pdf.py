"""Print a report page to PDF with a headless Chromium-family browser (Chromium, Chrome, Edge).

Why a browser: the PDF must look like the page a reader prints, with the page's own
print stylesheet (A4, margins, no table of contents, rows and figures kept whole,
table headers repeated). Playwright drives the browser already installed on the
machine (``executable_path`` or a ``channel``); it downloads nothing.

Where the browser is looked for, in order: the ``ABS_CHROMIUM`` environment
variable (a path), then ``chromium``, ``chromium-browser``, ``google-chrome``,
``google-chrome-stable``, ``microsoft-edge`` on the ``PATH``, then the Chrome and
Edge that Playwright knows how to find (``channel="chrome"``/``"msedge"``: their
usual install places on Windows and macOS), then a browser installed by
``playwright install chromium``. None found: :class:`BrowserNotFoundError`, in French,
saying what to install.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from abs_lib.atomic import atomic_write
from abs_lib.errors import ReportError

ENV_VAR = "ABS_CHROMIUM"
EXECUTABLES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "microsoft-edge")
CHANNELS = ("chrome", "msedge")
BROWSER_ARGS = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"]
INSTALL_HINT = ("installez Chromium, Google Chrome ou Microsoft Edge (sous Debian/Ubuntu : "
                "« apt-get install chromium »), ou indiquez le chemin de son exécutable dans la "
                f"variable d'environnement {ENV_VAR}")
FOOTER = ('<div style="font-size:8pt;width:100%;padding:0 15mm;color:#404040;'
          'font-family:system-ui,Arial,sans-serif;display:flex;justify-content:space-between">'
          '<span class="title"></span><span>Page <span class="pageNumber"></span> sur '
          '<span class="totalPages"></span></span></div>')
PDF_TIMEOUT_MS = 300_000


class BrowserNotFoundError(ReportError):
    """No Chromium-family browser could be started: the PDF cannot be printed."""


@dataclass(frozen=True)
class Browser:
    """How to start one candidate browser with Playwright."""

    label: str
    executable: str | None = None
    channel: str | None = None

    def launch_options(self) -> dict:
        options: dict = {"headless": True, "args": list(BROWSER_ARGS)}
        if self.executable:
            options["executable_path"] = self.executable
        if self.channel:
            options["channel"] = self.channel
        return options


def candidate_browsers() -> list[Browser]:
    """The browsers to try, in order (see the module docstring). ``ABS_CHROMIUM`` alone when set."""
    given = os.environ.get(ENV_VAR, "").strip()
    if given:
        path = Path(given).expanduser()
        if not path.is_file():
            raise BrowserNotFoundError(
                f"{ENV_VAR} indique « {given} », qui n'est pas un fichier : donnez le chemin de l'exécutable "
                "de Chromium, Chrome ou Edge, ou retirez cette variable pour que abs cherche le navigateur.")
        return [Browser(label=str(path), executable=str(path))]
    found: list[Browser] = []
    seen = set()
    for name in EXECUTABLES:
        path = shutil.which(name)
        if path and os.path.realpath(path) not in seen:
            seen.add(os.path.realpath(path))
            found.append(Browser(label=path, executable=path))
    found += [Browser(label=f"canal {channel}", channel=channel) for channel in CHANNELS]
    found.append(Browser(label="Chromium de Playwright"))
    return found


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise BrowserNotFoundError(
            "Export PDF impossible : le module Python « playwright » n'est pas installé "
            "(pip install playwright, sans télécharger de navigateur), et " + INSTALL_HINT + ".") from None
    return sync_playwright


def launch(playwright):
    """Start the first candidate browser that works; raise :class:`BrowserNotFoundError` otherwise."""
    tried = []
    for browser in candidate_browsers():
        try:
            return playwright.chromium.launch(**browser.launch_options())
        except Exception as error:  # noqa: BLE001 - Playwright raises its own Error for a missing browser
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            tried.append(f"{browser.label} ({first[:120]})")
    raise BrowserNotFoundError(
        "Export PDF impossible : aucun navigateur Chromium, Chrome ou Edge n'a pu être lancé ; "
        + INSTALL_HINT + ". Essayés : " + " ; ".join(tried) + ".")


def _in_thread_if_loop(function, *args, **kwargs):
    """Playwright's sync API refuses to run in a thread with a running asyncio loop (Jupyter): use another."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def _print(html_path: Path, pdf_path: Path) -> None:
    with _playwright()() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            page.set_default_timeout(PDF_TIMEOUT_MS)
            page.goto(html_path.resolve().as_uri(), wait_until="load")

            def write(tmp: Path) -> None:
                page.pdf(path=str(tmp), format="A4", prefer_css_page_size=True, print_background=True,
                         display_header_footer=True, header_template="<div></div>", footer_template=FOOTER,
                         outline=True, tagged=True)

            atomic_write(pdf_path, write)
        finally:
            browser.close()


def export_pdf(html_path: str | Path, pdf_path: str | Path) -> Path:
    """Print the page ``html_path`` to ``pdf_path`` (A4, its print stylesheet, « Page n sur N » in the footer).

    Raises :class:`BrowserNotFoundError` when no browser can be started, ``ReportError``
    when printing fails; ``pdf_path`` is then left as it was (written atomically).
    """
    html_path, pdf_path = Path(html_path), Path(pdf_path)
    try:
        _in_thread_if_loop(_print, html_path, pdf_path)
    except ReportError:
        raise
    except Exception as error:  # noqa: BLE001 - a browser crash or timeout: say it in French
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ReportError(f"Export PDF impossible : le navigateur a échoué en imprimant {html_path.name} "
                          f"({first[:200]}). Relancez ; si l'erreur persiste, mettez le navigateur à jour.") from None
    return pdf_path
