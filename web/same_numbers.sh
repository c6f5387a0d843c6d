#!/usr/bin/env bash
# The same-numbers test: feedlab in the browser gives the same results as `feedlab run`.
#
# For each case below, runs the scenario natively (`feedlab run NAME --ticks N ...`) and in
# headless Chromium (web/dist/index.html?run=NAME&ticks=N&...&export=all, the wasm build running
# without a window), then compares the result files byte for byte: metrics.csv, creators.csv,
# notes.csv, funnel.csv, and summary.json without its timings and thread count. Any difference
# fails the test and leaves both result sets in the work folder it names.
#
# Needs web/dist/ (web/build.sh), the native binary (cargo build --release) and chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
feedlab=${FEEDLAB:-${CARGO_TARGET_DIR:-target}/release/feedlab}
[ -x "$feedlab" ] || { echo "no $feedlab: run cargo build --release" >&2; exit 1; }
[ -f web/dist/feedlab-web_bg.wasm ] || { echo "no web/dist/: run web/build.sh" >&2; exit 1; }

work=$(mktemp -d)
python3 web/serve.py web/dist 0 "$work/server.jsonl" > "$work/port" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(head -1 "$work/port")/index.html"

# The result files the page wrote, as one JSON object: file name -> text.
results_js='JSON.stringify(Object.fromEntries([...document.querySelectorAll("pre.result")].map(p => [p.dataset.file, p.textContent])))'

# check CASE NAME TICKS [policy=P] [seed=S]
check() {
    local case=$1 name=$2 ticks=$3
    shift 3
    local query="run=$name&ticks=$ticks&export=all" flags=(--ticks "$ticks")
    for extra in "$@"; do
        query+="&$extra"
        flags+=("--${extra%%=*}" "${extra#*=}")
    done
    mkdir -p "$work/$case"
    "$feedlab" run "scenarios/$name.ron" "${flags[@]}" --quiet --out "$work/$case/native"
    local start=$SECONDS
    python3 web/chromium.py "$url?$query" --timeout 900 \
        --until 'document.body.dataset.state === "done"' \
        --value "$results_js" --out "$work/$case/web.json"
    python3 - "$work/$case" <<'EOF'
import json, pathlib, sys
case = pathlib.Path(sys.argv[1])
web = json.loads((case / "web.json").read_text(encoding="utf-8"))
(case / "web").mkdir(exist_ok=True)
timing = {"threads", "setup_seconds", "simulate_seconds", "wall_seconds",
          "impressions_per_sec", "simulate_impressions_per_sec", "peak_memory_mib"}
failed = []
for name in ["metrics.csv", "creators.csv", "notes.csv", "funnel.csv", "summary.json"]:
    native = (case / "native" / name).read_bytes()
    if name not in web:
        failed.append(f"{name}: missing from the page")
        continue
    page = web[name].encode("utf-8")
    (case / "web" / name).write_bytes(page)
    if name.endswith(".json"):
        a, b = json.loads(native), json.loads(page)
        same = {k: v for k, v in a.items() if k not in timing} == \
               {k: v for k, v in b.items() if k not in timing}
    else:
        same = native == page
    lines = native.count(b"\n")
    print(f"  {name:<13} {lines:>6} lines, {len(native):>9} bytes: "
          + ("identical" if same else "DIFFERENT"))
    if not same:
        failed.append(name)
if failed:
    sys.exit(f"  differences in {', '.join(failed)}; compare {case}/native and {case}/web")
EOF
    echo "$case: ok ($((SECONDS - start)) s in the browser)"
}

# A short run; a whole lesson under another policy and seed; a whole week with a policy switch on
# day 3 (timeline events); a policy whose parameters differ most from the default.
check baseline baseline 48
check lesson-follower-feed lessons/controlled_influencers 576 policy=follower_feed seed=7
check policy-switch policy_switch 1008
check predicted-engagement baseline 288 policy=predicted_engagement seed=3
rm -rf "$work"
echo "same numbers in the browser as feedlab run: ok"
