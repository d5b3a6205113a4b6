# Audit checkpoints through etcd: db-1's jitd keeps an audit log; its
# jit-fleet publishes each signed checkpoint with the consistency proof from
# the one before; web-1 and web-2 (their fleet.conf has db-1's audit_key)
# check and co-sign.  Then root on db-1 rewrites the log (an older copy of
# its state put back, new records on top): the witnesses refuse and journal it.
section "fleet: audit checkpoints published to etcd and co-signed by witnesses"

# published_size HOST: the largest checkpoint size under /jit/v1/audit/HOST/.
published_size() {
    local k
    k=$(etcd_ctl get --prefix --keys-only "/jit/v1/audit/$1/" | sed '/^$/d' | tail -1)
    [[ -n $k ]] && echo $((10#${k##*/})) || echo 0
}
# cosigned_size WITNESS HOST: the size in WITNESS's cosignature of HOST (0: none).
cosigned_size() {
    etcd_ctl get --print-value-only "/jit/v1/cosignatures/$1/$2" | jq -r '.body | fromjson | .size' 2>/dev/null || echo 0
}
# grow HOST N: N access checks on HOST, each an audit record (a decision).
grow() { local i; for i in $(seq "$2"); do check "$1"; done; }
# wait_until SECONDS COMMAND...: polls every 0.1 s.
wait_until() {
    local limit=$1 i
    shift
    for i in $(seq $((limit * 10))); do "$@" && return 0; sleep 0.1; done
    return 1
}
published_at_least() { (($(published_size "$1") >= $2)); }
cosigned_at() { [[ $(cosigned_size "$1" "$2") == "$3" ]]; }

grow db-1 12
start=$(now_ms)
if wait_until 10 published_at_least db-1 10; then
    S=$(published_size db-1)
    pass "db-1's checkpoints appear under /jit/v1/audit/db-1/ (size $S, $(($(now_ms) - start)) ms after the last record)"
else
    fail "db-1 publishes its checkpoints" "$(tail -3 "$TOP/db-1/fleet.log")"
    S=0
fi
expect_output "each publication is signed by db-1 and carries a consistency proof from the one before" \
    '"kind":"audit-checkpoint".*"signer":"db-1"' etcd_ctl get --print-value-only "/jit/v1/audit/db-1/$(printf %020d "$S")"
for w in web-1 web-2; do
    if wait_until 10 cosigned_at "$w" db-1 "$S"; then
        pass "$w checked and co-signed db-1's checkpoint of size $S"
    else
        fail "$w co-signs db-1's checkpoint $S" "cosigned $(cosigned_size "$w" db-1); $(grep audit "$TOP/$w/fleet.log" | tail -2)"
    fi
done
expect_output "web-1 journals why it co-signs (consistent with the last it co-signed)" \
    "co-signs db-1's audit checkpoint of size [0-9]+ \\((consistent with|first checkpoint)" cat "$TOP/web-1/fleet.log"
for w in web-3 db-1; do
    if etcd_ctl get --keys-only --prefix "/jit/v1/cosignatures/$w/" | grep -q db-1; then
        fail "$w, not a witness of db-1, does not co-sign"
    else
        pass "$w, whose fleet.conf has no audit_key for db-1, does not co-sign"
    fi
done
# The copy in etcd is an anchor for the real log: jitctl audit verify with
# the auditor's key accepts db-1's export against it.
etcd_ctl get --print-value-only "/jit/v1/audit/db-1/$(printf %020d "$S")" | jq -j '.body | fromjson | .note' >"$TOP/anchor.note"
"$JITCTL" --socket "$TOP/db-1/jitd.sock" audit export >"$TOP/db-1.export" 2>/dev/null
expect_exit 0 "db-1's exported log verifies against the checkpoint in etcd (jitctl audit verify --anchor)" \
    "$JITCTL" audit verify --key "$TOP/db-1/audit.key" --anchor "$TOP/anchor.note" "$TOP/db-1.export"

section "fleet: a rewritten audit log is detected by the witnesses"
# Root on db-1 keeps a copy of the state, lets the log grow (and be
# co-signed), then puts the copy back and writes other records on top.
S_BEFORE=$(published_size db-1)
stop_fleet db-1
stop_host_jitd db-1
cp -a "$TOP/db-1/state" "$TOP/db-1-state.copy"
start_host_jitd db-1
start_fleet db-1
grow db-1 12
wait_until 10 published_at_least db-1 $((S + 10)) || fail "db-1 publishes after the copy" "$(tail -3 "$TOP/db-1/fleet.log")"
# Restarted, its audit feed reads on from the cursor it saved with its last
# publication (audit-feed.json), not the whole history jitd keeps.
if grep -q "audit feed resumed at the published size $S_BEFORE" "$TOP/db-1/fleet.log"; then
    pass "restarted, db-1's jit-fleet reads its audit log on from its last publication ($S_BEFORE), not from record 0"
else fail "the audit feed resumes at its cursor" "$(grep -i audit "$TOP/db-1/fleet.log" | tail -3)"; fi
S2=$(published_size db-1)
wait_until 10 cosigned_at web-1 db-1 "$S2" && pass "web-1 co-signs the honest log up to size $S2" ||
    fail "web-1 co-signs $S2" "$(grep audit "$TOP/web-1/fleet.log" | tail -2)"
wait_until 10 cosigned_at web-2 db-1 "$S2" || fail "web-2 co-signs $S2"
n1=$(wc -l <"$TOP/web-1/fleet.log")
n2=$(wc -l <"$TOP/web-2/fleet.log")
stop_fleet db-1
stop_host_jitd db-1
rm -rf "$TOP/db-1/state"
mv "$TOP/db-1-state.copy" "$TOP/db-1/state"
start_host_jitd db-1
start_fleet db-1
"$JITCTL" --socket "$TOP/db-1/jitd.sock" grant deploy --service sudo --for 5m --reason "rewritten history" >/dev/null 2>&1
grow db-1 $((S2 - S + 10))
refused() { tail -n +"$(($2 + 1))" "$TOP/$1/fleet.log" | grep -q "witness refuses db-1's audit checkpoint.*rewritten or forked"; }
for w in web-1 web-2; do
    n=$n1
    [[ $w == web-2 ]] && n=$n2
    if wait_until 15 refused "$w" "$n"; then
        pass "$w refuses db-1's rewritten log and journals it: $(tail -n +"$((n + 1))" "$TOP/$w/fleet.log" | grep -o 'not consistent with the checkpoint of size [0-9]*' | head -1)"
    else
        fail "$w detects the rewritten log" "published $(published_size db-1); $(grep audit "$TOP/$w/fleet.log" | tail -2)"
    fi
    expect_output "$w's cosignature stays at the honest size $S2" "^$S2\$" cosigned_size "$w" db-1
done
