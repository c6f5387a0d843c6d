#!/usr/bin/env python3
"""Drives headless Chromium for the browser tests: open a page, wait for a condition, then save
a screenshot and/or the value of a JavaScript expression.

Talks the DevTools protocol over --remote-debugging-pipe (NUL-separated JSON on file descriptors
3 and 4), so it needs nothing beyond Python's standard library and Debian's `chromium`. WebGL2
runs on SwiftShader (software), as on a machine without a GPU.

    python3 web/chromium.py URL --until 'document.body.dataset.state === "done"' \\
        [--timeout 600] [--size 1600x1000] [--screenshot shot.png] [--value EXPR --out FILE] \\
        [--flag=--disable-3d-apis]

Exits 0 when the condition held in time (and prints how long that took, in wall seconds), 1
when it did not or the page reported an error (`body[data-state=error]`; its message is
printed).
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

FLAGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--ignore-gpu-blocklist",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]


class Browser:
    def __init__(self, size, flags=()):
        binary = shutil.which("chromium") or shutil.which("chromium-browser")
        if not binary:
            sys.exit("chromium not found: apt-get install -y chromium")
        self.profile = tempfile.mkdtemp(prefix="feedlab-chromium-")
        # Our ends of two pipes, kept away from 3 and 4, which the browser gets.
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        to_r, from_w = (os.dup2(fd, 100 + i) for i, fd in enumerate((to_browser_r, from_browser_w)))
        os.close(to_browser_r)
        os.close(from_browser_w)

        def wire():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)

        self.proc = subprocess.Popen(
            [binary, *FLAGS, *flags, f"--window-size={size[0]},{size[1]}",
             f"--user-data-dir={self.profile}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=wire,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_r)
        os.close(from_w)
        self.writer = os.fdopen(to_browser_w, "wb", buffering=0)
        self.reader = os.fdopen(from_browser_r, "rb", buffering=0)
        self.buffer = b""
        self.next_id = 0
        self.session = None
        self.events = []

    def send(self, method, params=None, session=True):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        self.writer.write(json.dumps(message).encode() + b"\0")
        while True:
            reply = self.receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def receive(self):
        while b"\0" not in self.buffer:
            chunk = self.reader.read(1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def attach(self, size):
        targets = self.send("Target.getTargets", session=False)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send(
            "Target.attachToTarget", {"targetId": page["targetId"], "flatten": True},
            session=False)["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False})

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def close(self):
        try:
            self.send("Browser.close", session=False)
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--until", required=True, help="JavaScript condition to wait for")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--size", default="1600x1000")
    parser.add_argument("--screenshot", help="save a PNG of the page here")
    parser.add_argument("--value", help="JavaScript expression whose value to save")
    parser.add_argument("--out", help="file for --value (JSON unless the value is a string)")
    parser.add_argument("--flag", action="append", default=[],
                        help="extra Chromium flag, e.g. --flag=--disable-3d-apis (repeatable)")
    args = parser.parse_args()
    size = tuple(int(x) for x in args.size.split("x"))

    browser = Browser(size, args.flag)
    try:
        browser.attach(size)
        start = time.time()
        browser.send("Page.navigate", {"url": args.url})
        while True:
            try:
                held = browser.evaluate(f"!!({args.until})")
                failed = browser.evaluate(
                    "!!document.body && document.body.dataset.state === 'error'")
            except RuntimeError:  # the page is between documents
                held = failed = False
            if held:
                break
            if failed:
                text = browser.evaluate("document.getElementById('message').textContent")
                print(f"the page reported an error: {text}", file=sys.stderr)
                return 1
            if time.time() - start > args.timeout:
                print(f"timed out after {args.timeout:.0f} s waiting for: {args.until}",
                      file=sys.stderr)
                return 1
            time.sleep(0.1)
        waited = time.time() - start
        if args.screenshot:
            shot = browser.send("Page.captureScreenshot", {"format": "png"})
            with open(args.screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        if args.value:
            value = browser.evaluate(args.value)
            text = value if isinstance(value, str) else json.dumps(value)
            if args.out:
                with open(args.out, "w", encoding="utf-8", newline="") as f:
                    f.write(text)
            else:
                print(text)
        print(f"condition held after {waited:.2f} s", file=sys.stderr)
        return 0
    finally:
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
