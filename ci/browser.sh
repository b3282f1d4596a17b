#!/usr/bin/env bash
# The report pages in a real browser: headless Chromium (Debian's `chromium`) driven by
# playwright-core (ci/browser/, pinned in its package-lock.json; it never downloads a browser)
# over the verdict matrix's report pages. Asserts no script errors, every step reachable by
# keyboard, the highlighted code line = the step's file:line, the while-let deadlock's step 9
# beside its `while let` line with worker 0's lock bar to the end, and the lost wake-up's empty
# notify marked; keeps a screenshot per page in target-loom/report-screenshots/ (the CI
# artifact folder).
#
# The pages come from ci/loom.sh's verdict matrix when it ran before this (same target dir);
# otherwise this runs the two cards it needs (while-let, lost-wakeup; a few seconds of loom
# once built). No browser, no pages: it fails and says so.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${LOOM_TARGET_DIR:-target-loom}"
pages="$CARGO_TARGET_DIR/webpool-check/webpool-verdicts/verdicts"
start=$(date +%s)

if [[ ! -x /usr/bin/chromium && -z "${CHROMIUM:-}" ]]; then
    echo "== apt-get install chromium"
    as_root=()
    if [[ $(id -u) != 0 ]] && command -v sudo >/dev/null; then
        as_root=(sudo)
    fi
    if command -v apt-get >/dev/null && { [[ $(id -u) == 0 ]] || ((${#as_root[@]})); }; then
        "${as_root[@]}" apt-get update -qq
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
    if [[ ! -x /usr/bin/chromium ]]; then
        echo "ci/browser.sh: no Chromium (/usr/bin/chromium) and none could be installed: the report pages are NOT tested" >&2
        exit 1
    fi
fi

echo "== npm ci (ci/browser: playwright-core, no browser download)"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix ci/browser --no-audit --no-fund --loglevel=error

if [[ ! -f "$pages/while_let/rendezvous.html" || ! -f "$pages/lost_wakeup/one_job_then_drop.html" ]]; then
    echo "== the while-let and lost-wakeup cards under loom, for their report pages"
    RUSTFLAGS="--cfg loom -C overflow-checks=on -D warnings" \
        cargo test --release -p webpool-verdicts --test verdicts -- --exact while_let lost_wakeup
fi

echo "== node ci/browser/report-pages.test.js"
node ci/browser/report-pages.test.js "$pages" "$CARGO_TARGET_DIR/report-screenshots"
echo "browser: report pages checked in $(( $(date +%s) - start ))s"
