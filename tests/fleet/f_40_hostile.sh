# Records that must be refused and journaled: a forged signature, a signer
# the trust file does not know, a host signing beyond its role, a body at the
# wrong key, and an old grant replayed after its revocation.
section "fleet: forged, misplaced and replayed records are refused"

etcdput() { etcd_ctl put "$1" "$2" >/dev/null; }
etcdget() { etcd_ctl get --print-value-only "$1"; }
etcddel() { etcd_ctl del "$1" >/dev/null; }

# sign KEYFILE KIND SIGNER BODY: an envelope signed with openssl(1), the way
# a host that holds KEYFILE could write one.
sign() {
    local key=$1 kind=$2 signer=$3 body=$4 sig
    printf 'jit-fleet/v1\0%s\0%s\0%s' "$kind" "$signer" "$body" >"$TOP/to-sign"
    sig=$(openssl pkeyutl -sign -inkey "$key" -rawin -in "$TOP/to-sign" | base64 -w0)
    [[ ${#sig} -eq 88 ]] || echo "sign: openssl made no signature" >&2
    jq -cn --arg k "$kind" --arg s "$signer" --arg b "$body" --arg g "$sig" \
        '{v: 1, kind: $k, signer: $s, body: $b, sig: $g}'
}

refused_since() {  # refused_since LINES REGEX NAME: web-1's fleet.log gained that refusal after line LINES
    local lines=$1 why=$2 name=$3 i
    for i in $(seq 50); do
        tail -n +"$((lines + 1))" "$TOP/web-1/fleet.log" | grep -qE "refused fleet record .*$why" && { pass "$name"; return; }
        sleep 0.1
    done
    fail "$name" "no refusal journaled"
}

now=$(date +%s)
body=$(jq -cn --argjson nb "$now" --argjson na "$((now + 600))" \
    '{id: "fg-forged0001", request: "fr-forged0001", account: "deploy", services: ["sshd"], hosts: "role=web",
      not_before: $nb, not_after: $na, reason: "forged", approvals: []}')

n=$(wc -l <"$TOP/web-1/fleet.log")
openssl genpkey -algorithm ed25519 -out "$TOP/stranger.key" 2>/dev/null
etcdput /jit/v1/grants/fg-forged0001 "$(sign "$TOP/stranger.key" grant admin-1 "$body")"
refused_since "$n" "bad signature for admin-1" "a grant claiming admin-1 but signed by another key: refused"
expect_exit 1 "... and not mirrored" check web-1

n=$(wc -l <"$TOP/web-1/fleet.log")
etcdput /jit/v1/grants/fg-forged0001 "$(sign "$TOP/stranger.key" grant mallory "$body")"
refused_since "$n" "signed by mallory, a host the trust file does not name" "a grant signed by a host the trust file does not name: refused"

n=$(wc -l <"$TOP/web-1/fleet.log")
etcdput /jit/v1/grants/fg-forged0001 "$(sign "$TOP/web-2/host.key" grant web-2 "$body")"
refused_since "$n" "web-2 may not sign grant records" "a grant signed by web-2, trusted only to request: refused"
expect_exit 1 "... and not mirrored" check web-1

# A genuine grant whose record is copied to another key.
id=$(grant_now) || fail "a genuine grant for the replay tests"
genuine=$(etcdget "/jit/v1/grants/$id")
n=$(wc -l <"$TOP/web-1/fleet.log")
etcdput /jit/v1/grants/fg-elsewhere01 "$genuine"
refused_since "$n" "stored under another key" "a genuine grant stored under another key: refused"

# Replay: revoke, delete the revocation, put the old grant back.
admin revoke "$id" --reason "before replay" --as bob >/dev/null 2>&1
wait_state web-1 deny 2000 >/dev/null || fail "web-1 denies after the revoke"
etcddel "/jit/v1/revocations/$id"
etcddel "/jit/v1/grants/$id"
etcdput "/jit/v1/grants/$id" "$genuine"
sleep 1
expect_exit 1 "an old grant put back after its revocation (revocation deleted) is not mirrored again" check web-1
etcddel /jit/v1/grants/fg-forged0001
etcddel /jit/v1/grants/fg-elsewhere01
