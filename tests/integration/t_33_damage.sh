# Committed means committed: a damaged WAL tail, a truncated jit.db or a
# database replaced by an empty one must not bring back a state older than
# what jitd acknowledged (a revoked grant in force again).  jitd refuses to
# start, loudly, and jitd --recover is the operator's way out.

# damaged_world: three grants, one revoked, then SIGKILL: the commits are in
# the WAL, not yet checkpointed into jit.db.
damaged_world() {
    new_world
    start_jitd
    local u
    for u in deploy backup; do
        jitctl grant "$u" --service sshd --for 10m --reason "one of three" >/dev/null
    done
    jitctl grant deploy --service sudo --for 10m --reason "one of three" >/dev/null
    jitctl revoke --user backup >/dev/null
    stop_jitd KILL
}

# refuses_to_start NAME: jitd must exit non-zero, naming the high-water mark.
refuses_to_start() {
    local out rc
    out=$(timeout 10 "$JITD" --socket "$SOCK" --state-dir "$STATE" --config "$CONF" 2>&1)
    rc=$?
    if [[ $rc -ne 0 && $out == *"the database is behind what jitd acknowledged"* && $out == *"jitd --recover"* ]]; then
        pass "$1: jitd refuses to start, naming the damage"
    else
        fail "$1: jitd refuses to start, naming the damage" "exit $rc: $out"
    fi
    expect_exit 1 "$1: PAM refuses the revoked grant" pam backup sshd
}

section "damaged state: refused, never served older"
damaged_world
wal=$STATE/jit.db-wal
if [[ $(stat -c %s "$wal" 2>/dev/null || echo 0) -gt 4000 ]]; then
    truncate -s -2000 "$wal"
    refuses_to_start "2,000 bytes cut off jit.db-wal after SIGKILL"
    "$JITD" --recover --state-dir "$STATE" --config "$CONF" >"$WORLD/recover.out" 2>&1
    expect_output "jitd --recover accepts the database as it is, and says so" \
        "recovery: accepted jit.db as it is: jit.db holds generation [0-9]+, but this state directory had committed generation [0-9]+" \
        cat "$WORLD/recover.out"
    expect_output "the recovery is journaled, with who ran it" \
        "state: recovery: accepted jit.db .*\\(jitd --recover by uid 0\\)" cat "$WORLD/recover.out"
    start_jitd
    expect_exit 0 "after --recover jitd serves again" jitctl status
else
    fail "2,000 bytes cut off jit.db-wal" "no WAL to damage ($(ls -l "$STATE"))"
fi
end_world

damaged_world
wal=$STATE/jit.db-wal
size=$(stat -c %s "$wal" 2>/dev/null || echo 0)
if ((size > 4000)); then
    # Flip one bit in each of a few bytes spread over the last 3 KB.
    python3 - "$wal" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
for off in range(len(b) - 3000, len(b), 500):
    b[off] ^= 0x10
open(p, "wb").write(b)
PY
    refuses_to_start "bits flipped in the last 3 KB of jit.db-wal"
else
    fail "bits flipped in the WAL tail" "no WAL to damage"
fi
end_world

new_world
start_jitd
jitctl grant deploy --service sshd --for 10m --reason "then the file is emptied" >/dev/null
stop_jitd TERM
: >"$STATE/jit.db"
rm -f "$STATE/jit.db-wal" "$STATE/jit.db-shm"
out=$(timeout 10 "$JITD" --socket "$SOCK" --state-dir "$STATE" --config "$CONF" 2>&1)
rc=$?
if [[ $rc -ne 0 && $out == *"jit.db is empty, but this state directory had committed generation"* ]]; then
    pass "a 0-byte jit.db: jitd refuses to start as an empty store"
else
    fail "a 0-byte jit.db: jitd refuses to start as an empty store" "exit $rc: $out"
fi
rm -f "$STATE/jit.db"
out=$(timeout 10 "$JITD" --socket "$SOCK" --state-dir "$STATE" --config "$CONF" 2>&1)
if [[ $? -ne 0 && $out == *"jit.db is empty"* ]]; then
    pass "a deleted jit.db: the initialised directory does not silently become empty"
else
    fail "a deleted jit.db: the initialised directory does not silently become empty" "$out"
fi
end_world

section "state files with loose modes"
new_world
start_jitd
jitctl grant deploy --service sshd --for 10m --reason modes >/dev/null
stop_jitd TERM
chmod 0666 "$STATE/jit.db"
start_jitd
mode=$(stat -c %a "$STATE/jit.db")
if [[ $mode == 600 ]]; then pass "jit.db 0666 is set back to 0600"
else fail "jit.db 0666 is set back to 0600" "mode $mode"; fi
expect_log "... and journaled" "state: .*jit.db had mode 0666 .*set to 0600"
expect_exit 0 "... and the grant is still there" pam deploy sshd
end_world
