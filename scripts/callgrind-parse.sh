#!/usr/bin/env bash
# Instructions per request-head parse, webpool against httparse, counted by callgrind: on a
# loaded machine instruction counts are stable where criterion's wall times are not.
#
#   bash scripts/callgrind-parse.sh            # the table
#   bash scripts/callgrind-parse.sh --profile  # and an inclusive, annotated profile of webpool's
#                                         # parse of each head, in target/callgrind-parse/
#
# For each (parser, head) it runs benches/parse_instructions.rs under callgrind twice, parsing
# the head N1 and N2 times, and divides the difference in instructions (Ir) by N2 - N1: the
# process's fixed cost cancels. Prints head, webpool Ir/parse, httparse Ir/parse and the ratio.
# Installs valgrind from Debian's packages if missing. Builds the bench profile (release with
# line tables, as Cargo.toml sets), so the profile names functions and lines.
set -euo pipefail
cd "$(dirname "$0")/.."

n1=1000
n2=21000
heads=(curl_get curl_post firefox_css chrome_navigation)
profile=false
[[ "${1:-}" == "--profile" ]] && profile=true

if ! command -v valgrind >/dev/null 2>&1; then
    echo "installing valgrind ..."
    sudo_cmd=""
    [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq valgrind >/dev/null
fi

binary=$(cargo bench --bench parse_instructions --no-run --message-format=json 2>/dev/null |
    grep -o '"executable":"[^"]*parse_instructions[^"]*"' | tail -n1 | cut -d'"' -f4)
if [[ -z "$binary" || ! -x "$binary" ]]; then
    echo "could not build benches/parse_instructions.rs" >&2
    exit 1
fi

out=target/callgrind-parse
mkdir -p "$out"

# Total instructions of one run: callgrind's "Collected" line.
instructions() { # parser head n [out-file]
    valgrind --tool=callgrind --callgrind-out-file="${4:-/dev/null}" \
        "$binary" "$1" "$2" "$3" 2>&1 >/dev/null |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

per_parse() { # parser head
    local low high
    low=$(instructions "$1" "$2" "$n1")
    high=$(instructions "$1" "$2" "$n2")
    echo $(((high - low) / (n2 - n1)))
}

printf '%-18s %8s %9s %6s\n' head webpool httparse ratio
for head in "${heads[@]}"; do
    ours=$(per_parse webpool "$head")
    theirs=$(per_parse httparse "$head")
    ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2f", a / b }')
    printf '%-18s %8s %9s %6s\n' "$head" "$ours" "$theirs" "$ratio"
done
echo "(instructions per parse; ratio = webpool / httparse; N = $n2 - $n1 parses)"
# The same head arriving one byte per read (criterion's byte_at_a_time): fewer parses, as
# each is a whole head's worth of calls.
n1=100
n2=1100
printf '%-18s %8s\n' "one byte per read" webpool
printf '%-18s %8s\n' chrome_navigation "$(per_parse webpool-bytewise chrome_navigation)"

if $profile; then
    for head in "${heads[@]}"; do
        instructions webpool "$head" "$n2" "$out/webpool-$head.out" >/dev/null
        callgrind_annotate --inclusive=yes --auto=yes "$out/webpool-$head.out" \
            >"$out/webpool-$head.txt" 2>/dev/null || true
    done
    echo "profiles: $out/webpool-*.txt"
fi
