#!/usr/bin/env bash
# The demo's report in a real browser: runs the default study (studies/demo.yaml), opens its
# report.html in headless Chromium (Debian's `chromium`, installed here when missing) and checks
#   - the page loads with no console error and fetches nothing (no resource of any kind),
#   - every chart (inline SVG) has drawn: a non-empty box, with lines, cells or text inside,
#   - every number in the page (each `data-path` element) equals results.json at that path,
#     formatted by the report's rule for its kind;
# and saves a screenshot. Prints PASS or FAIL.
#
# Usage (from the repository root, after `make build`): bash scripts/report/test-report.sh [OUT]
# OUT: where the study's run directory and the screenshot go [a temporary folder, removed on
# success]. When Chromium cannot be installed it prints "SKIPPED: <reason>" and exits 0; set
# MTK_BROWSER_REQUIRED=1 to make that a failure instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
say() { echo "test-report: $*"; }
mtk=.build/release/mtk
[ -x "$mtk" ] || { say "FAIL: $mtk is missing (run make build first)"; exit 1; }

if ! command -v chromium >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  say "installing chromium"
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium; } >/tmp/mtk-chromium-install.log 2>&1; then
    reason="chromium could not be installed (see /tmp/mtk-chromium-install.log)"
    if [ "${MTK_BROWSER_REQUIRED:-0}" = 1 ]; then say "FAIL: $reason"; exit 1; fi
    say "SKIPPED: $reason"; exit 0
  fi
fi
command -v jq >/dev/null 2>&1 || { say "FAIL: jq is needed to read results.json"; exit 1; }

keep=0
if [ $# -ge 1 ]; then out=$1; keep=1; mkdir -p "$out"; else out=$(mktemp -d "${TMPDIR:-/tmp}/mtk-report.XXXXXX"); fi
profile=$(mktemp -d "${TMPDIR:-/tmp}/mtk-chromium.XXXXXX")
cleanup() { rm -rf "$profile"; }
trap cleanup EXIT
run="$out/demo"
say "running the demo study into $run"
"$mtk" run studies/demo.yaml -o "$run" > "$out/study.log" 2>&1 || { tail -20 "$out/study.log"; say "FAIL: the study failed"; exit 1; }

browser() {
  timeout 120 chromium --headless=new --no-sandbox --disable-gpu --no-first-run --user-data-dir="$profile" \
    --allow-file-access-from-files --enable-logging=stderr --v=0 "$@"
}

# The check runs in a copy of the page with a probe script appended (the report itself has none).
probe="$run/.probe.html"
sed 's#</body>#<script src="probe.js"></script></body>#' "$run/report.html" > "$probe"
cat > "$run/probe.js" <<'JS'
window.addEventListener('load', () => {
  const out = [];
  const charts = [...document.querySelectorAll('svg')];
  let drawn = 0;
  for (const svg of charts) {
    const box = svg.getBoundingClientRect();
    const marks = svg.querySelectorAll('path, polyline, line, rect, circle, text').length;
    if (box.width > 20 && box.height > 20 && marks > 3) drawn++;
    else out.push('UNDRAWN ' + (svg.querySelector('title') || {}).textContent + ' ' + box.width + 'x' + box.height + ' marks=' + marks);
  }
  // Resources fetched by the page (the probe script itself excepted).
  const fetched = performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.endsWith('/probe.js'));
  for (const name of fetched) out.push('FETCHED ' + name);
  out.push('CHARTS ' + charts.length + ' ' + drawn);
  for (const el of document.querySelectorAll('[data-path]')) out.push('NUM\t' + el.dataset.kind + '\t' + el.dataset.path + '\t' + el.textContent);
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = '\n' + out.join('\n') + '\n';
  document.body.appendChild(pre);
});
JS
browser --virtual-time-budget=10000 --dump-dom "file://$(realpath "$probe")" > "$out/dom.html" 2> "$out/console.log" || { say "FAIL: chromium could not open the report"; tail -5 "$out/console.log"; exit 1; }
rm -f "$probe" "$run/probe.js"

failures=0
fail() { say "  $*"; failures=$((failures + 1)); }
# Console errors (the page's; Chromium's own D-Bus and GPU noise is not the page's).
if grep -E 'CONSOLE|Uncaught|Refused to|Failed to load' "$out/console.log" | grep -v 'probe.js' > "$out/console-errors.txt"; then
  while read -r line; do fail "console: $line"; done < "$out/console-errors.txt"
fi
report=$(sed -n '/<pre id="probe">/,/<\/pre>/p' "$out/dom.html" | sed 's/<[^>]*>//g; s/&amp;/\&/g; s/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g')
[ -n "$report" ] || { say "FAIL: the probe did not run (no verdict in the page)"; exit 1; }
{ grep '^UNDRAWN\|^FETCHED' <<< "$report" || true; } | while read -r line; do echo "test-report:   $line"; done
bad=$(grep -c '^UNDRAWN\|^FETCHED' <<< "$report" || true)
failures=$((failures + bad))
read -r _ charts drawn <<< "$(grep '^CHARTS' <<< "$report")"
[ "$charts" -ge 10 ] || fail "only $charts charts in the demo's report (expected at least 10)"
say "$drawn of $charts charts drawn"

# Every number against results.json.
numbers=0
while IFS=$'\t' read -r _ kind path text; do
  numbers=$((numbers + 1))
  value=$(jq -r ".$path" "$run/results.json" 2>/dev/null) || { fail "path $path: not in results.json"; continue; }
  value=${value#.}
  case "$value" in
    nan) expected="n/a" ;; inf) expected="∞" ;; -inf) expected="−∞" ;; null) fail "path $path: null in results.json"; continue ;;
    *) case "$kind" in
         value) expected=$(printf '%.4f' "$value") ;; percent) expected=$(printf '%+.2f' "$value") ;;
         seconds) expected=$(printf '%.1f' "$value") ;; ratio) expected=$(printf '%.3f' "$value") ;;
         alpha) expected=$(printf '%.2f' "$value") ;; integer) expected=$(printf '%.0f' "$value") ;;
         fraction) expected=$(awk -v v="$value" 'BEGIN { printf "%.6g", v * 100 }') ;;
         *) fail "path $path: unknown kind '$kind'"; continue ;;
       esac ;;
  esac
  [ "$text" = "$expected" ] || fail "path $path: the page shows '$text', results.json holds $value ('$expected')"
done < <(grep $'^NUM\t' <<< "$report" || true)
[ "$numbers" -ge 100 ] || fail "only $numbers numbers carry a path (expected at least 100)"
say "$numbers numbers checked against results.json"

browser --hide-scrollbars --window-size=1280,2400 --screenshot="$out/report.png" "file://$(realpath "$run/report.html")" >/dev/null 2>&1 \
  && [ -s "$out/report.png" ] || fail "no screenshot"
say "screenshot: $out/report.png"

if [ "$failures" -gt 0 ]; then say "FAIL ($failures problems; files in $out)"; exit 1; fi
[ "$keep" = 1 ] || rm -rf "$out"
say "PASS"
