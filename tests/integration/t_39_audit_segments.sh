# Sealed audit segments on a real jitd (audit_segment_records = 100): the
# files appear as soon as a checkpoint leaves 100 records to seal, read-only;
# the files plus the tail verify with the auditor's key, and so does what
# jitctl audit export gives alone, from record 0; export --since, show
# --since/--user and prove reach records that only the files hold; lowering
# audit_max_disk removes the oldest file after an audit-removed record, and
# a verify says where the kept history starts.  Then crash points: jitd
# killed between writing a segment file and the transaction that lists it,
# and between an audit-removed record and the file's removal; the next jitd
# removes the file left behind (journaled), seals again, and the log
# verifies; an unlisted file it cannot explain stops jitd.  Last, a listed
# file gone from the host: jitd starts and journals audit-segment-missing,
# export says which records are missing and verify names them.

seg_world() {
    new_world
    sed -i 's|^\[jitd\]$|[jitd]\ncheckpoint_every = 50 records\naudit_segment_records = 100|' "$CONF"
    KEY=$WORLD/audit.key
    SEGS=$STATE/audit-segments
}

checks() {  # checks N USER: N decisions on USER, each from its own address
    local i
    for i in $(seq "$1"); do
        jitctl check "$2" sshd --rhost "10.39.$((i / 250)).$((i % 250))" >/dev/null 2>&1
    done
}

segment_files() {  # the names, oldest first (the glob sorts them)
    local f
    for f in "$SEGS"/audit-*.jsonl; do
        [[ -e $f && ${f##*/} =~ ^audit-[0-9]{20}-[0-9]{20}\.jsonl$ ]] && echo "${f##*/}"
    done
}
segment_end() { local f=${1%.jsonl}; echo $((10#${f##*-})); }

wait_for() {  # wait_for SECONDS COMMAND...: polls every 0.1 s
    local i
    for i in $(seq $(($1 * 10))); do
        "${@:2}" && return 0
        sleep 0.1
    done
    return 1
}
have_segments() { [[ $(segment_files | wc -l) -ge $1 ]]; }

journal_event() {  # journal_event EVENT PID: the JSON entries jitd PID journaled
    journalctl --no-pager -o json "_PID=$2" "JIT_EVENT=$1" 2>/dev/null
}
wait_journal() { wait_for 5 bash -c "journalctl --no-pager -o json _PID=$2 JIT_EVENT=$1 | grep -q ."; }

verify_says() {  # verify_says NAME PATTERN FILE...: verify --key exits 0 and prints PATTERN
    local name=$1 pattern=$2 out rc
    shift 2
    out=$("$JITCTL" audit verify --key "$KEY" "$@" 2>&1)
    rc=$?
    if [[ $rc -eq 0 && $out == *"$pattern"* ]]; then pass "$name"
    else fail "$name" "exit $rc: $out"; fi
}

section "audit segments: sealed at the record count on a live jitd"
seg_world
"$JITD" --config "$CONF" --state-dir "$STATE" --audit-init "$KEY" >/dev/null
start_jitd
jitctl grant deploy --service sshd --for 1h --reason "segments" >/dev/null
jitctl grant backup --service sshd --for 1h --reason "segments" >/dev/null
t0=$(now_ms)
checks 60 backup
sleep 1.1
T_MID=$(date -u +%s)
sleep 1.1
checks 250 deploy
if wait_for 10 have_segments 3; then
    pass "3 segment files of 100 records within $((($(now_ms) - t0) / 1000)) s of the first check (310 decisions; the 30 s timer not waited for)"
else fail "segment files appear at the record count" "$(segment_files | wc -l) files: $(ls "$SEGS" 2>&1)"; fi
modes=$(for f in $(segment_files); do stat -c %a "$SEGS/$f"; done | sort -u | tr '\n' ' ')
if [[ $modes == "400 " ]]; then pass "every segment file is read-only (0400)"
else fail "segment files are 0400" "$modes"; fi
sealed=$(jitctl audit export | jq -r 'select(.event == "audit-sealed") | .seq' | wc -l)
if [[ $sealed -eq $(segment_files | wc -l) ]]; then pass "each file has its audit-sealed record ($sealed)"
else fail "each file has its audit-sealed record" "$sealed records, $(segment_files | wc -l) files"; fi

section "audit segments: verify, export, show and prove reach the sealed records"
mapfile -t files < <(segment_files)
last_end=$(segment_end "${files[-1]}")
jitctl audit export --from "$last_end" >"$WORLD/tail.jsonl"
verify_says "verify --key over the segment files + export --from (the tail): intact from record 0" \
    "intact: records 0.." "${files[@]/#/$SEGS/}" "$WORLD/tail.jsonl"
jitctl audit export >"$WORLD/all.jsonl"
verify_says "export alone (through jitd) verifies from record 0" "intact: records 0.." "$WORLD/all.jsonl"
size=$(jq -r 'select(.seq) | .seq' "$WORLD/all.jsonl" | tail -1)
n=$(jq -r 'select(.event) | .seq' "$WORLD/all.jsonl" | sort -n | uniq | wc -l)
if [[ $(head -1 "$WORLD/all.jsonl" | jq -r .seq) == 0 && $n -eq $((size + 1)) ]]; then
    pass "export holds every record 0..$size once ($((size + 1)); $last_end of them only in the files)"
else fail "export holds every record once" "$n records, last $size"; fi

since_iso=$(date -u -d "@$T_MID" +%Y-%m-%dT%H:%M:%SZ)
first_after=$(jq -r "select(.time and .time >= $T_MID) | .seq" "$WORLD/all.jsonl" | head -1)
jitctl audit export --since "$since_iso" >"$WORLD/since.jsonl"
lo=$(jq -r 'select(.seq != null) | .seq' "$WORLD/since.jsonl" | head -1)
if [[ $first_after -lt $last_end && $(head -c 12 "$WORLD/since.jsonl") == '{"frontier":' &&
    $lo -le $first_after && $lo -gt 0 ]] &&
    jq -r "select(.seq == $first_after) | .seq" "$WORLD/since.jsonl" | grep -q .; then
    pass "export --since reaches into the files: starts at the checkpoint before record $first_after (sealed), at $lo, with its tree state"
else fail "export --since reaches sealed records" "first after: $first_after, sealed below $last_end, export starts at $lo: $(head -c 80 "$WORLD/since.jsonl")"; fi
verify_says "... and verifies, saying where it starts" "are not in it" "$WORLD/since.jsonl"
shown=$(jitctl --json audit show --since "$since_iso" | jq -r .seq | head -1)
if [[ $shown == "$first_after" ]]; then pass "show --since starts at the first record from then on ($shown, sealed)"
else fail "show --since starts at the first record from then on" "$shown, expected $first_after"; fi
want=$(jq -r 'select(.fields) | select(any(.fields[]; .[0] == "JIT_USER" and .[1] == "backup")) | .seq' \
    "$WORLD/all.jsonl" | tr '\n' ' ')
got=$(jitctl --json audit show --user backup | jq -r .seq | tr '\n' ' ')
if [[ -n $want && $got == "$want" && ${want%% *} -lt $last_end ]]; then
    pass "show --user backup lists its $(wc -w <<<"$want") records, sealed ones included"
else fail "show --user reaches sealed records" "got: ${got:0:80} want: ${want:0:80}"; fi
out=$(jitctl audit export | tee "$WORLD/now.jsonl" | "$JITCTL" --json audit prove 5 --key "$KEY")
rc=$?
current=$(jq -r 'select(.checkpoint) | .checkpoint | split("\n")[1]' "$WORLD/now.jsonl" | tail -1)
if [[ $rc -eq 0 && $(jq -r .verified <<<"$out") == true && $(jq -r .tree_size <<<"$out") == "$current" ]]; then
    pass "prove 5 (in the first file): a valid inclusion proof in the current checkpoint (size $current)"
else fail "prove a sealed record" "exit $rc, current $current: ${out:0:200}"; fi

section "audit segments: audit_max_disk removes the oldest file, with its record"
oldest=${files[0]}
total=0
for f in "${files[@]}"; do total=$((total + $(stat -c %s "$SEGS/$f"))); done
sed -i "s|^\[jitd\]$|[jitd]\naudit_max_disk = $((total - 1))|" "$CONF"
kill -HUP "$JITD_PID"
if wait_for 5 test ! -e "$SEGS/$oldest"; then pass "after SIGHUP with audit_max_disk one byte under the files, $oldest is removed"
else fail "the oldest file is removed past audit_max_disk" "$(segment_files | tr '\n' ' ')"; fi
if [[ $(segment_files | wc -l) -eq $((${#files[@]} - 1)) ]]; then pass "... and only it"
else fail "only the oldest file is removed" "$(segment_files | tr '\n' ' ')"; fi
jitctl audit export >"$WORLD/kept.jsonl"
removed=$(jq -r 'select(.event == "audit-removed") | .fields[] | select(.[0] == "JIT_AUDIT_SEGMENT") | .[1]' \
    "$WORLD/kept.jsonl")
if [[ $removed == "$oldest" ]]; then pass "an audit-removed record names it"
else fail "an audit-removed record names the file" "$removed"; fi
old_end=$(segment_end "$oldest")
verify_says "export verifies and says records 0..$((old_end - 1)) are not in it" \
    "records 0..$((old_end - 1)) are not in it" "$WORLD/kept.jsonl"
stop_jitd TERM

section "audit segments: a crash between the file and its transaction"
JITD_CRASH=$PWD/$BUILD/tests/jitd-crash
if [[ ! -x $JITD_CRASH ]]; then
    fail "audit segment crash points" "$JITD_CRASH is not built (make integration builds it)"
elif ! ensure_journald; then
    # The recovery is checked by its journal entries: no journald, no check.
    skip "audit segment crash points" "no journald socket and cannot start a standalone systemd-journald"
else
    sed -i '/^audit_max_disk/d' "$CONF"
    JITD_SAVED=$JITD
    JITD=$JITD_CRASH
    before=$(segment_files | tr '\n' ' ')
    JIT_CRASH_AT=audit-seal.segment-written JIT_CRASH_SKIP=0 start_jitd
    crashed=$JITD_PID
    disown "$crashed"  # (bash would report the kill)
    checks 130 deploy 2>/dev/null
    if wait_for 10 bash -c "! kill -0 $crashed 2>/dev/null"; then pass "jitd-crash died at audit-seal.segment-written"
    else fail "jitd-crash dies at audit-seal.segment-written" "still running"; fi
    stop_jitd KILL 2>/dev/null
    orphan=$(comm -13 <(tr ' ' '\n' <<<"$before" | sort) <(segment_files | sort) | head -1)
    if [[ -n $orphan ]]; then pass "it left $orphan, which jit.db does not list"
    else fail "a segment file is left unlisted" "before: $before now: $(segment_files | tr '\n' ' ')"; fi
    JITD=$JITD_SAVED
    start_jitd
    if wait_journal audit-segment-recovered "$JITD_PID" &&
        journal_event audit-segment-recovered "$JITD_PID" | jq -r .JIT_AUDIT_SEGMENT | grep -qx "$orphan"; then
        pass "the next jitd removed it at start, journaled (audit-segment-recovered: $(journal_event audit-segment-recovered "$JITD_PID" | jq -r .JIT_REASON | head -1 | cut -c1-40)...)"
    else fail "the next jitd journals the orphan's removal" "$(journal_event audit-segment-recovered "$JITD_PID")"; fi
    if wait_journal audit-sealed "$JITD_PID"; then
        sha=$(journal_event audit-sealed "$JITD_PID" | jq -r 'select(.JIT_AUDIT_SEGMENT == "'"$orphan"'") | .JIT_AUDIT_SHA256')
        if [[ -n $sha && $(sha256sum <"$SEGS/$orphan" | cut -d' ' -f1) == "$sha" ]]; then
            pass "... and sealed the same records again, listed with the file's digest"
        else fail "the records are sealed again" "sha '$sha'"; fi
    else fail "the records are sealed again" "no audit-sealed entry"; fi
    jitctl audit export >"$WORLD/after.jsonl"
    verify_says "after the crash the log kept verifies (from record $old_end, after the removed file)" \
        "intact: records $old_end.." "$WORLD/after.jsonl"
    stop_jitd TERM

    mapfile -t files < <(segment_files)
    total=0
    for f in "${files[@]}"; do total=$((total + $(stat -c %s "$SEGS/$f"))); done
    sed -i "s|^\[jitd\]$|[jitd]\naudit_max_disk = $((total - 1))|" "$CONF"
    JITD=$JITD_CRASH
    JIT_CRASH_AT=audit-remove.committed JIT_CRASH_SKIP=0 start_jitd 2>/dev/null
    crashed=$JITD_PID
    disown "$crashed" 2>/dev/null
    wait_for 10 bash -c "! kill -0 $crashed 2>/dev/null"
    stop_jitd KILL 2>/dev/null
    JITD=$JITD_SAVED
    if [[ -e $SEGS/${files[0]} ]]; then pass "killed after the audit-removed commit: ${files[0]} is still there"
    else fail "the file outlives the audit-removed commit" "gone"; fi
    start_jitd
    if wait_journal audit-segment-recovered "$JITD_PID" && [[ ! -e $SEGS/${files[0]} ]]; then
        pass "the next jitd removes it at start (journaled)"
    else fail "the next jitd removes the file its audit-removed record names" "$(ls "$SEGS")"; fi
    jitctl audit export >"$WORLD/after2.jsonl"
    verify_says "... and the log verifies from the next file" "are not in it" "$WORLD/after2.jsonl"
    stop_jitd TERM

    mapfile -t files < <(segment_files)
    first=$(segment_end "${files[0]}")
    stray=$(printf 'audit-%020d-%020d.jsonl' $((first - 1)) $((first + 1)))
    cp "$SEGS/${files[0]}" "$SEGS/$stray"
    if ! start_jitd 2>/dev/null && grep -q "$stray is a segment file jit.db does not list" "$WORLD/jitd.log"; then
        pass "an unlisted file that overlaps the kept history stops jitd, named (not adopted, not removed)"
    else fail "an unexplained segment file stops jitd" "$(tail -2 "$WORLD/jitd.log")"; fi
    stop_jitd KILL 2>/dev/null
    [[ -e $SEGS/$stray ]] && rm -f "$SEGS/$stray"
    if start_jitd; then pass "once it is moved away, jitd starts"; else fail "jitd starts once the file is moved away"; fi
    stop_jitd TERM
fi

section "audit segments: a file jit.db lists, gone from the host"
mapfile -t files < <(segment_files)
if [[ ${#files[@]} -lt 2 ]]; then
    fail "a listed segment file gone from the host" "needs two segment files, found ${#files[@]}"
else
    gone=${files[1]}  # not the oldest: a gap inside the history kept
    g=${gone%.jsonl}
    g=${g#audit-}
    g_first=$((10#${g%%-*}))
    g_last=$(($(segment_end "$gone") - 1))
    rm -f "$SEGS/$gone"
    if start_jitd; then pass "jitd starts with $gone gone (the log in jit.db is intact)"
    else fail "jitd starts with a listed segment file gone" "$(tail -2 "$WORLD/jitd.log")"; fi
    if ! ensure_journald; then
        skip "audit-segment-missing is journaled" "no journald socket and cannot start a standalone systemd-journald"
    elif wait_journal audit-segment-missing "$JITD_PID" &&
        journal_event audit-segment-missing "$JITD_PID" | jq -r .JIT_AUDIT_SEGMENT | grep -qx "$gone"; then
        pass "... and journals audit-segment-missing naming it, records $g_first..$g_last (priority $(journal_event audit-segment-missing "$JITD_PID" | jq -r .PRIORITY | head -1))"
    else fail "the missing file is journaled at start" "$(journal_event audit-segment-missing "$JITD_PID")"; fi
    jitctl audit export >"$WORLD/gap.jsonl" 2>"$WORLD/gap.err"
    rc=$?
    if [[ $rc -eq 1 ]] && grep -q "audit records $g_first..$g_last are missing" "$WORLD/gap.err" &&
        grep -q "^{\"missing\":{\"end\":$((g_last + 1)),\"first\":$g_first," "$WORLD/gap.jsonl"; then
        pass "export exits 1, says records $g_first..$g_last are missing and writes a missing-records line in their place"
    else fail "export names the missing records" "exit $rc: $(cat "$WORLD/gap.err")"; fi
    out=$("$JITCTL" audit verify --key "$KEY" "$WORLD/gap.jsonl" 2>&1)
    rc=$?
    if [[ $rc -eq 1 && $out == *"records $g_first..$g_last are missing"* &&
        $out == *"the records after the missing ones verify"* ]]; then
        pass "verify of that export names them as the problem and checks every record after"
    else fail "verify names the missing records" "exit $rc: $out"; fi
    stop_jitd TERM
fi
end_world
