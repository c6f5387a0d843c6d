#!/usr/bin/env bash
# Smoke test of feedlab in the browser: headless Chromium (WebGL2 on SwiftShader) loads
# web/dist/ from a local static server, opens the window on a lesson, runs it to tick N
# (?stop_at=N: as fast as possible, then pause), takes a 1600x1000 screenshot and checks it is
# populated (web/check_png.py: many colours, plot lines, creator circles). Prints when the first
# frame was drawn and how long the ticks took, in wall time. Then checks that a browser without
# WebGL gets the page's explanation, and uses the window's controls with the mouse
# (web/ui_test.py: exports, scenario picker, a file from disk).
#
#   web/smoke.sh [SHOT.png]        (default: a temporary file; SMOKE_TICKS=N, default 144)
#
# Needs web/dist/ (web/build.sh), the native binary (cargo build --release; FEEDLAB=PATH to name
# another) and chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f web/dist/feedlab-web_bg.wasm ] || { echo "no web/dist/: run web/build.sh" >&2; exit 1; }
feedlab=${FEEDLAB:-${CARGO_TARGET_DIR:-target}/release/feedlab}
[ -x "$feedlab" ] || { echo "no $feedlab: run cargo build --release" >&2; exit 1; }
ticks=${SMOKE_TICKS:-144}
work=$(mktemp -d)
shot=${1:-$work/web.png}

python3 web/serve.py web/dist 0 "$work/server.jsonl" > "$work/port" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(head -1 "$work/port")/index.html"

python3 web/chromium.py "$url?scenario=lessons/controlled_influencers&stop_at=$ticks&report" \
    --timeout 900 --size 1600x1000 --until 'document.body.dataset.stopped' \
    --screenshot "$shot" --value 'JSON.stringify(document.body.dataset)' --out "$work/page.json"
python3 - "$work/server.jsonl" "$ticks" <<'EOF'
import json, sys
events = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
page = next(e["t"] for e in events if e.get("get", "").startswith("/index.html"))
seen = {e["event"]: e for e in events if "event" in e}
for name in ("first-frame", "stopped"):
    if name not in seen:
        sys.exit(f"the page never reported {name}")
if seen["stopped"]["tick"] < int(sys.argv[2]):
    sys.exit(f"stopped at tick {seen['stopped']['tick']}, expected {sys.argv[2]}")
first = seen["first-frame"]
started = seen.get("started", {}).get("ms", float("nan")) / 1000
print(f"first frame {first['t'] - page:.2f} s after the page was requested "
      f"({first['ms'] / 1000:.2f} s after navigation by the page's clock; wasm compiled and "
      f"app built at {started:.2f} s); "
      f"tick {seen['stopped']['tick']} reached {seen['stopped']['t'] - first['t']:.1f} s later")
EOF
python3 web/check_png.py "$shot"

# Without WebGL the page says so, and what to do, instead of failing silently.
python3 web/chromium.py "$url" --flag=--disable-3d-apis --timeout 120 \
    --until 'document.body.dataset.state === "no-webgl2"' \
    --value 'document.getElementById("message").textContent' --out "$work/no-webgl.txt"
grep -q "feedlab needs WebGL2" "$work/no-webgl.txt"
echo "without WebGL2 the page says: $(tr -s '\n' ' ' < "$work/no-webgl.txt" | head -c 100)…"

# The window's controls with the mouse: CSV export (same bytes as feedlab run), PNG export, the
# scenario picker, a scenario file from disk.
python3 web/ui_test.py "$url" "$feedlab"
echo "browser smoke test: ok ($shot)"
