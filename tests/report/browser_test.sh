#!/usr/bin/env bash
# The HTML reports in a real browser: generates a small `gradlab report` and a `gradlab probe
# --report` page, opens each in headless Chromium, and fails when a chart did not render, the page
# recorded an error (its script counts uncaught errors and console.error calls in
# data-page-errors), or the browser logged a console error or warning. Chromium missing is a
# failure, not a skip: scripts/setup installs it (Debian's chromium package).
# Usage: browser_test.sh GRADLAB_BINARY WORK_DIR        (ctest runs it as test report_browser)
set -euo pipefail

gradlab=${1:?usage: browser_test.sh GRADLAB_BINARY WORK_DIR}
work=${2:?usage: browser_test.sh GRADLAB_BINARY WORK_DIR}

browser=${CHROMIUM:-}
if [[ -z $browser ]]; then
  for candidate in chromium chromium-browser; do
    if command -v "$candidate" >/dev/null; then
      browser=$candidate
      break
    fi
  done
fi
if [[ -z $browser ]]; then
  echo "FAIL: headless Chromium is needed to test the HTML reports, and neither chromium nor chromium-browser" >&2
  echo "      is on PATH. Install it with scripts/setup (Debian package chromium), or set CHROMIUM=/path/to/it." >&2
  exit 1
fi

rm -rf "$work"
mkdir -p "$work"
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# check PAGE EXPECTED_CHARTS: opens PAGE, lets its scripts run, and reads the attributes they set.
check() {
  local page=$1 expected=$2 name
  name=$(basename "$page" .html)
  timeout 180 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-dev-shm-usage --no-first-run --user-data-dir="$work/profile-$name" --enable-logging=stderr --v=0 \
    --virtual-time-budget=30000 --dump-dom "file://$page" >"$work/$name.dom" 2>"$work/$name.log" ||
    { fail "$name: $browser exited with status $? (log: $work/$name.log)"; return; }
  local body
  body=$(grep -o '<body [^>]*>' "$work/$name.dom" | head -n 1 || true)
  [[ -n $body ]] || { fail "$name: no <body> in the rendered page ($work/$name.dom)"; return; }
  local attr value
  for attr in charts-expected charts-rendered page-errors charts-done; do
    value=$(sed -n "s/.* data-$attr=\"\([^\"]*\)\".*/\1/p" <<<"$body")
    printf -v "a_${attr//-/_}" '%s' "$value"
  done
  echo "$name: $body"
  [[ $a_charts_done == true ]] || fail "$name: the charts did not finish rendering in the time allowed"
  [[ $a_charts_expected == "$expected" ]] || fail "$name: $a_charts_expected charts on the page, expected $expected"
  [[ $a_charts_rendered == "$a_charts_expected" ]] ||
    fail "$name: $a_charts_rendered of $a_charts_expected charts rendered"
  [[ $a_page_errors == 0 ]] || fail "$name: the page recorded $a_page_errors error(s): $(grep -o 'Errors on this page:[^<]*' "$work/$name.dom")"
  if grep -q 'class="chart-error"' "$work/$name.dom"; then
    fail "$name: $(grep -o 'This chart could not be drawn:[^<]*' "$work/$name.dom" | head -n 3)"
  fi
  local svgs
  svgs=$(grep -o '<svg' "$work/$name.dom" | wc -l)
  ((svgs >= expected)) || fail "$name: $svgs SVG drawings for $expected charts"
  if grep -E 'CONSOLE' "$work/$name.log" | grep -qiE 'error|warn|uncaught'; then
    fail "$name: the browser console logged: $(grep CONSOLE "$work/$name.log" | head -n 5)"
  fi
}

"$gradlab" report --depths 2,4 --activations tanh,relu --initializers he_uniform --skips none,residual \
  --norms none,layer --trials 1 --lesson-trials 5 --train-examples 256 --test-examples 128 --train-epochs 1 \
  --recurrent-trials 1 --recurrent-steps 4,16 --edge-sigma-w2-points 4 --edge-sigma-b2-points 2 \
  --trainability-depths 2,8 --trainability-sigma-w2 0.5,1.76,3 --trainability-steps 20 \
  --adding-time-steps 4,6 --adding-examples 64 --adding-epochs 1 --adding-seeds 1 \
  --conv-depths 2,4 --conv-seeds 2 --conv-filters 4 --conv-train-depth 2 --conv-train-steps 6 \
  --conv-train-examples 64 --conv-train-seeds 2 \
  --out "$work/report.html" >"$work/report.txt"
# At a glance has no chart; the recurrent section's ratio against T and against layers and its layers x
# time heatmap; depth heatmap, per-layer norms, per-layer heatmap, saturation and dead units; the edge of
# chaos's two phase diagrams and three isometry charts; then the training section's six charts, the
# adding problem's four and the trainability heatmap; the convolutional section's g_1/g_L heatmap, per-layer
# norms, loss and conv1 gradient curves.
check "$work/report.html" 27

"$gradlab" probe --depth 6 --width 16 --activation tanh --report "$work/probe.html" >"$work/probe.txt"
# Per-layer norms, saturation (no heatmap for a single run).
check "$work/probe.html" 2

"$gradlab" probe --cell simple_rnn --time-steps 300 --layers 2 --units 8 --features 4 --batch 4 \
  --report "$work/probe_rnn.html" >"$work/probe_rnn.txt"
# Per-layer norms, saturation (tanh cells), and the layers x time heatmap (300 steps in bins).
check "$work/probe_rnn.html" 3

"$gradlab" sweep --depth 2,3 --width 8 --batch 4 --activation relu,tanh --trials 3 --out "$work/sweep.csv" \
  --report "$work/sweep.html" >"$work/sweep.txt" 2>&1
# Median and bands over trials; then trial by trial: per-layer norms, heatmap, dead units (relu).
check "$work/sweep.html" 4

if ((failures > 0)); then
  echo "$failures check(s) failed; pages and logs are in $work" >&2
  exit 1
fi
echo "PASS: every chart rendered, no errors"
