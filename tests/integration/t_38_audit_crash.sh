# A request and its audit record commit in one transaction: jitd built with
# crash points (build/tests/jitd-crash) is killed with SIGKILL at every step
# of a request's creation (received, before and after the commit, after the
# high-water mark, after deciding, after replying), again and again, with
# the audit log on.  After each restart every request jit.db holds has its
# record in the log (by JIT_REQUEST_ID), every acknowledged one is there, and
# the whole log verifies with the auditor's key.  Before requests wrote their
# record in their own transaction, a kill after the commit left a pending
# request the log never heard of.
source tests/integration/policy_lib.sh
section "audit: a crash never leaves a request without its record"
JITD_CRASH=$PWD/$BUILD/tests/jitd-crash
AUDIT_CRASH_ROUNDS=${AUDIT_CRASH_ROUNDS:-4}
if [[ ! -x $JITD_CRASH ]]; then
    fail "audit crash points" "$JITD_CRASH is not built (make integration builds it)"
else
    policy_world
    write_policy 10-pending <<'POLICY'
[deploy-sudo]
accounts = deploy
services = sudo
duration = 1m..1h
approval = 1 of @nobody-approves
pending_ttl = 2h
POLICY
    KEY=$WORLD/audit.key
    "$JITD_CRASH" --config "$CONF" --state-dir "$STATE" --audit-init "$KEY" >/dev/null
    JITD_SAVED=$JITD
    JITD=$JITD_CRASH
    acked=()
    kills=0
    fired=0
    bad=()
    # (stderr off: bash reports each jitd that killed itself.)
    for round in $(seq "$AUDIT_CRASH_ROUNDS"); do
        for step in received before-commit committed marked decided replied; do
            JIT_CRASH_AT=request.$step JIT_CRASH_SKIP=0 start_jitd || { bad+=("start for $step"); break 2; }
            id=$(jitctl --json request deploy --service sudo --for 10m --reason "crash $round $step" 2>/dev/null |
                jq -r '.id // empty' 2>/dev/null)
            [[ -n $id ]] && acked+=("$id")
            for _ in $(seq 40); do kill -0 "$JITD_PID" 2>/dev/null || break; sleep 0.05; done
            if kill -0 "$JITD_PID" 2>/dev/null; then stop_jitd KILL; else fired=$((fired + 1)); stop_jitd KILL; fi
            kills=$((kills + 1))
            start_jitd || { bad+=("restart after $step"); break 2; }
            jitctl --json list --requests | jq -r '.requests[].id' | sort >"$WORLD/held"
            jitctl audit export >"$WORLD/export.jsonl"
            jq -r 'select(.event == "request") | .fields[] | select(.[0] == "JIT_REQUEST_ID") | .[1]' \
                "$WORLD/export.jsonl" | sort -u >"$WORLD/recorded"
            unrecorded=$(comm -23 "$WORLD/held" "$WORLD/recorded" | tr '\n' ' ')
            [[ -z $unrecorded ]] || bad+=("after request.$step: no record for $unrecorded")
            for a in "${acked[@]}"; do
                grep -qx "$a" "$WORLD/held" || bad+=("after request.$step: acknowledged $a lost")
            done
            stop_jitd TERM
        done
    done 2>/dev/null
    JITD=$JITD_SAVED
    if [[ ${#bad[@]} -eq 0 && $fired -ge $((kills * 9 / 10)) ]]; then
        pass "$kills SIGKILLs in a request's steps ($fired at their point, ${#acked[@]} acknowledged): every request held has its record"
    else
        fail "every request held has its audit record" "$kills kills, $fired fired: ${bad[*]:0:5}"
    fi
    start_jitd
    out=$(jitctl audit export | "$JITCTL" audit verify --key "$KEY" - 2>&1)
    rc=$?
    if [[ $rc -eq 0 && $out == *intact* ]]; then pass "... and the log verifies after every crash"
    else fail "... and the log verifies" "exit $rc: $out"; fi
    stop_jitd TERM
    end_world
fi

# A turn's decisions commit their records alone (no jit.hwm sync: the key
# file, synced next, is their mark) and are answered after both.  Killed
# after that commit and before the key file's write (audit.committed), after
# the key file's sync and before any answer (audit.keyed), and after the
# first answer (audit.replied): after each restart the log verifies, it
# holds every decision that was answered, and jitd starts (a key file one
# commit behind is stepped forward, never refused).
section "audit: a crash between a turn's audit commit and its answers"
JITD_CRASH=$PWD/$BUILD/tests/jitd-crash
if [[ ! -x $JITD_CRASH ]]; then
    fail "audit turn crash points" "$JITD_CRASH is not built (make integration builds it)"
else
    new_world
    KEY=$WORLD/audit.key
    "$JITD_CRASH" --config "$CONF" --state-dir "$STATE" --audit-init "$KEY" >/dev/null
    JITD_SAVED=$JITD
    JITD=$JITD_CRASH
    start_jitd
    jitctl grant deploy --service sshd --for 1h --reason "turn crash" >/dev/null
    stop_jitd TERM
    kills=0
    fired=0
    bad=()
    for round in 1 2; do
        for step in committed keyed replied; do
            JIT_CRASH_AT=audit.$step JIT_CRASH_SKIP=$((round * 3)) start_jitd || { bad+=("start for $step"); break 2; }
            clients=()
            for c in 1 2 3 4; do
                (for i in $(seq 40); do
                    "$JITCTL" --socket "$SOCK" --timeout 2000 check deploy sshd --rhost "10.$round.$c.$i" >/dev/null 2>&1 &&
                        echo "10.$round.$c.$i"
                done >"$WORLD/answered.$step.$round.$c") &
                clients+=($!)
            done
            for _ in $(seq 100); do kill -0 "$JITD_PID" 2>/dev/null || break; sleep 0.05; done
            if kill -0 "$JITD_PID" 2>/dev/null; then stop_jitd KILL; else fired=$((fired + 1)); stop_jitd KILL; fi
            wait "${clients[@]}"
            kills=$((kills + 1))
            start_jitd || { bad+=("restart after $step"); break 2; }
            jitctl audit export >"$WORLD/export.jsonl"
            out=$("$JITCTL" audit verify --key "$KEY" "$WORLD/export.jsonl" 2>&1) || bad+=("after audit.$step: verify: $out")
            jq -r 'select(.event == "decision") | .fields[] | select(.[0] == "JIT_RHOST") | .[1]' \
                "$WORLD/export.jsonl" | sort -u >"$WORLD/recorded"
            missing=$(cat "$WORLD"/answered.* | sort -u | comm -23 - "$WORLD/recorded" | tr '\n' ' ')
            [[ -z $missing ]] || bad+=("after audit.$step: answered but not recorded: $missing")
            stop_jitd TERM
        done
    done 2>/dev/null
    JITD=$JITD_SAVED
    answered=$(cat "$WORLD"/answered.* | wc -l)
    if [[ ${#bad[@]} -eq 0 && $fired -eq $kills && $answered -ge 1 ]]; then
        pass "$kills SIGKILLs in a turn's audit commit (all at their point, $answered answered): every answered decision is recorded and the log verifies"
    else
        fail "every answered decision survives a crash in the turn's audit commit" "$kills kills, $fired fired, $answered answered: ${bad[*]:0:5}"
    fi
    end_world
fi
