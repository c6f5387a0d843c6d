#!/usr/bin/env python3
"""Uses the window in headless Chromium like a person would, with the mouse, and checks what
each control does:

1. Export CSV at tick 48 of the baseline: five files download, and the four CSVs are byte for
   byte what `feedlab run scenarios/baseline.ron --ticks 48` writes (the window in the browser
   runs the same numbers as the command line, not only the headless page).
2. Export PNG: a populated PNG downloads.
3. The scenario picker: choosing a lesson loads it (the page title names the scenario).
4. Open a scenario file: the browser's file chooser takes a .ron from disk and the window loads it.
5. Sweep results: the view switch opens the sweep view, and *Open a sweep.csv…* takes a
   sweep.csv from `feedlab sweep` through the file chooser and draws its heatmap.

    python3 web/ui_test.py URL_OF_INDEX_HTML FEEDLAB_BINARY

Clicks go to fixed points of the 1600x1000 layout (egui draws into one canvas, so there is no DOM
to query): the scenario picker under the "Scenario" heading, and the export buttons at the foot
of the left panel once it is scrolled to the end. A failing step says which.
"""

import base64
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_png  # noqa: E402
from chromium import Browser  # noqa: E402

SIZE = (1600, 1000)
SCENARIO_PICKER = (200, 91)
PICKER_NICHE_EXPERTS = (115, 248)  # fifth lesson under the list's "Lessons" heading
OPEN_FILE_BUTTON = (98, 122)
LEFT_PANEL = (170, 600)
EXPORT_CSV = (74, 967)
EXPORT_PNG = (196, 967)
SWEEP_SWITCH = (158, 15)  # "Sweep results", top left
OPEN_SWEEP = (161, 58)
HEATMAP_AREA = (0.26, 0.12, 0.99, 0.98)  # fractions of the page: where the heatmap goes
TICKS = 48


class Page:
    def __init__(self, browser, work):
        self.b = browser
        self.work = work

    def screenshot(self, name):
        shot = self.b.send("Page.captureScreenshot", {"format": "png"})
        path = self.work / name
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def frames(self, n):
        """Waits until the page has drawn `n` more frames (the app draws once per frame)."""
        wait = "new Promise(done => { let left = %d; const next = () => " \
               "--left > 0 ? requestAnimationFrame(next) : done(true); " \
               "requestAnimationFrame(next); })" % n
        self.b.send("Runtime.evaluate", {"expression": wait, "awaitPromise": True})

    def click(self, point):
        x, y = point
        self.b.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        self.frames(3)
        # Press and release close together: egui counts a click only if it is short.
        for kind in ("mousePressed", "mouseReleased"):
            self.b.send("Input.dispatchMouseEvent",
                        {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})
            time.sleep(0.05)
        self.frames(3)

    def scroll_left_panel(self, down):
        x, y = LEFT_PANEL
        self.b.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        for _ in range(4):
            self.b.send("Input.dispatchMouseEvent", {"type": "mouseWheel", "x": x, "y": y,
                                                     "deltaX": 0, "deltaY": 4000 if down else -4000})
            time.sleep(0.05)
        self.frames(5)  # egui scrolls smoothly

    def wait(self, what, test, timeout=120):
        start = time.time()
        while time.time() - start < timeout:
            value = test()
            if value:
                return value
            time.sleep(0.25)
        sys.exit(f"FAIL: {what} (waited {timeout} s); the page then: "
                 f"{self.screenshot('failed.png')}")

    def title(self):
        return self.b.evaluate("document.title")


def heatmap_share(png):
    """The share of strongly coloured pixels where the sweep view draws its heatmap (none while
    no sweep is open; about 0.4 for the test's sweep, whose top row is bright yellow)."""
    width, height, channels, rows = check_png.decode(str(png))
    return check_png.region_stats(width, height, channels, rows, HEATMAP_AREA)[1]


def downloaded(folder, names):
    present = [n for n in names if (folder / n).exists()]
    # Chromium writes NAME.crdownload first and renames it when done.
    return len(present) == len(names) and not list(folder.glob("*.crdownload"))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    url, feedlab = sys.argv[1], sys.argv[2]
    work = pathlib.Path(tempfile.mkdtemp(prefix="feedlab-ui-"))
    downloads = work / "downloads"
    downloads.mkdir()
    native = work / "native"
    subprocess.run([feedlab, "run", "scenarios/baseline.ron", "--ticks", str(TICKS), "--quiet",
                    "--out", str(native)], check=True)

    browser = Browser(SIZE)
    try:
        browser.send("Browser.setDownloadBehavior",
                     {"behavior": "allow", "downloadPath": str(downloads)}, session=False)
        browser.attach(SIZE)
        page = Page(browser, work)
        browser.send("Page.navigate", {"url": f"{url}?scenario=baseline&stop_at={TICKS}"})
        page.wait("the window runs to its stop tick",
                  lambda: browser.evaluate("!!document.body && !!document.body.dataset.stopped"),
                  timeout=600)
        if page.title() != "feedlab: baseline":
            sys.exit(f"FAIL: the page title is {page.title()!r}, expected 'feedlab: baseline'")

        # 1. CSV export, compared with the command line.
        page.scroll_left_panel(down=True)
        page.click(EXPORT_CSV)
        names = [f"feedlab-{TICKS}-{n}" for n in
                 ("metrics.csv", "creators.csv", "notes.csv", "funnel.csv", "summary.json")]
        page.wait("the CSV export downloads five files", lambda: downloaded(downloads, names))
        for name in names[:4]:
            mine = (downloads / name).read_bytes()
            theirs = (native / name.split("-", 2)[2]).read_bytes()
            if mine != theirs:
                sys.exit(f"FAIL: {name} from the window differs from feedlab run --ticks {TICKS}")
        print(f"1. CSV export: 5 files downloaded; metrics, creators, notes and funnel CSVs are "
              f"identical to feedlab run --ticks {TICKS}")

        # 2. PNG export.
        page.click(EXPORT_PNG)
        png = f"feedlab-{TICKS}.png"
        page.wait("the PNG export downloads a file", lambda: downloaded(downloads, [png]))
        sys.argv = ["check_png.py", str(downloads / png)]
        if check_png.main() != 0:
            sys.exit("FAIL: the exported PNG is not populated")
        print("2. PNG export: downloaded and populated")

        # 3. The scenario picker.
        page.scroll_left_panel(down=False)
        page.click(SCENARIO_PICKER)
        page.click(PICKER_NICHE_EXPERTS)
        page.wait("choosing the niche_experts lesson in the scenario picker loads it",
                  lambda: page.title() == "feedlab: niche_experts", timeout=60)
        print("3. scenario picker: the niche_experts lesson loaded")

        # 4. A scenario file from disk, through the browser's file chooser.
        mine = work / "my_class.ron"
        text = pathlib.Path("scenarios/baseline.ron").read_text(encoding="utf-8")
        mine.write_text(re.sub(r'name: "[^"]*"', 'name: "my_class"', text, count=1),
                        encoding="utf-8")
        browser.send("Page.setInterceptFileChooserDialog", {"enabled": True})
        browser.events.clear()
        page.click(OPEN_FILE_BUTTON)

        def chooser():
            browser.evaluate("0")  # let events arrive
            return next((e["params"] for e in browser.events
                         if e["method"] == "Page.fileChooserOpened"), None)

        opened = page.wait("the Open button opens the file chooser", chooser, timeout=30)
        browser.send("DOM.setFileInputFiles",
                     {"files": [str(mine)], "backendNodeId": opened["backendNodeId"]})
        page.wait("the chosen file loads", lambda: page.title() == "feedlab: my_class",
                  timeout=60)
        print("4. open a scenario file: my_class.ron from disk loaded")

        # 5. A sweep.csv from disk in the sweep view.
        sweep = work / "sweep"
        subprocess.run([feedlab, "sweep", "scenarios/baseline.ron", "--days", "0.5", "--set",
                        "viewers.count=1000", "--vary", "recommender.following_share=0..0.3:3",
                        "--values", "recommender.policy=traffic_pool,follower_feed",
                        "--seeds", "2", "--quiet", "--out", str(sweep)], check=True)
        page.click(SWEEP_SWITCH)
        empty = heatmap_share(page.screenshot("sweep-empty.png"))
        browser.events.clear()
        page.click(OPEN_SWEEP)
        opened = page.wait("Open a sweep.csv opens the file chooser", chooser, timeout=30)
        browser.send("DOM.setFileInputFiles",
                     {"files": [str(sweep / "sweep.csv")], "backendNodeId": opened["backendNodeId"]})
        page.wait("the sweep's heatmap is drawn",
                  lambda: heatmap_share(page.screenshot("sweep.png")) >= 0.1 + empty,
                  timeout=120)
        print(f"5. sweep results: sweep.csv from disk drawn as a heatmap "
              f"({heatmap_share(work / 'sweep.png'):.0%} of its area strongly coloured, "
              f"{empty:.0%} before)")
    finally:
        browser.close()
    shutil.rmtree(work)
    print("window controls in the browser: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
