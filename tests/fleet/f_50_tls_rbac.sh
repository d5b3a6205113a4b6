# etcd over TLS with one etcd user per host (the whole layer runs so): the
# roles jit-fleet etcd-roles prints keep a web host to its own keys, and a
# connection that is not TLS with the fleet's CA, or not authenticated, is
# refused.
section "fleet: etcd TLS and RBAC: a web host writes only its own keys"

# host_ctl HOST ARGS: etcdctl with HOST's etcd user (its password file).
host_ctl() {
    local h=$1
    shift
    ETCDCTL_API=3 etcdctl --endpoints "$(etcd_endpoints)" --command-timeout=2s \
        --cacert "$ETCD_DIR/tls/ca.pem" --user "$h" --password "$(cat "$TOP/$h/etcd.password")" "$@"
}
# conf_variant NAME SED: web-1's fleet.conf edited by sed, as $TOP/NAME.conf.
conf_variant() { sed -e "$2" "$TOP/web-1/fleet.conf" >"$TOP/$1.conf"; }
web1_fleet() { "$FLEET" --config "$TOP/web-1/fleet.conf" --state-dir "$TOP/web-1/fleet" "$@"; }

if [[ $ETCD_TLS != 1 ]]; then
    skip "etcd TLS and RBAC" "ETCD_TLS=0: this run's etcd speaks plain http without users"
else
    # Every jit-fleet in this run connects as its host's etcd user, so the
    # heartbeats, requests and grants of the other scenarios were written
    # under these roles.
    expect_output "etcd holds web-1's heartbeat, written with web-1's own user" '"signer":"web-1","v":1' \
        etcd_ctl get --print-value-only /jit/v1/hosts/web-1
    expect_output "a host key is exact: web-1's user cannot write /jit/v1/hosts/web-1x (web-10's, say)" \
        "permission denied" host_ctl web-1 put /jit/v1/hosts/web-1x x
    host_ctl web-1 put /jit/v1/requests/web-1/fr-probe00001 x >/dev/null 2>&1 &&
        pass "web-1's user may write under its own requests" || fail "web-1 writes its own request key"
    etcd_ctl del /jit/v1/requests/web-1/fr-probe00001 >/dev/null
    for key in /jit/v1/hosts/web-2 /jit/v1/requests/web-2/fr-x /jit/v1/requests/web-1x/fr-x /jit/v1/approvals/fr-x/web-1.eve \
        /jit/v1/grants/fg-x /jit/v1/revocations/fg-x /jit/v1/audit/web-2/checkpoint; do
        expect_output "etcd refuses web-1's user writing $key" "permission denied" host_ctl web-1 put "$key" x
    done
    expect_output "etcd refuses web-1's user deleting another host's heartbeat" "permission denied" \
        host_ctl web-1 del /jit/v1/hosts/web-2

    # Through jit-fleet: web-1 approving a request (its trust entry says
    # request only, and so does its etcd role).
    REQ=$(web1_fleet request deploy --hosts role=web --service sshd --for 5m --reason "rbac" --as alice 2>&1)
    [[ $REQ =~ ^fr- ]] && pass "web-1 writes its request under /jit/v1/requests/web-1/" ||
        fail "web-1's request" "$REQ"
    expect_output "the request is stored under its host's prefix" "^/jit/v1/requests/web-1/$REQ\$" \
        etcd_ctl get --keys-only "/jit/v1/requests/web-1/$REQ"
    out=$(web1_fleet approve "$REQ" --as mallory 2>&1)
    if [[ $? -ne 0 && $out == *"etcd refused user web-1 writing /jit/v1/approvals/$REQ/web-1.mallory"*"permission denied"* ]]; then
        pass "jit-fleet approve with web-1's credentials: etcd refuses, jit-fleet journals it"
    else
        fail "web-1 cannot approve" "$out"
    fi
    expect_output "... and no approval record exists" '^$' etcd_ctl get --prefix --keys-only "/jit/v1/approvals/$REQ/"
    out=$(web1_fleet revoke fg-0000000000 --reason "not mine" 2>&1)
    [[ $out == *"etcd refused user web-1 writing /jit/v1/revocations/"*"permission denied"* ]] &&
        pass "jit-fleet revoke with web-1's credentials: refused and journaled" || fail "web-1 cannot revoke" "$out"

    # web-1's credentials in a config claiming to be web-2.
    conf_variant impostor 's/^host = web-1$/host = web-2/'
    out=$("$FLEET" --config "$TOP/impostor.conf" request deploy --hosts role=web --service sshd \
        --for 5m --reason "as web-2" 2>&1)
    [[ $out == *"etcd refused user web-1 writing /jit/v1/requests/web-2/"* ]] &&
        pass "a request as web-2 with web-1's credentials: refused and journaled" || fail "impostor request" "$out"
    mkdir -p "$TOP/impostor-state" && chmod 700 "$TOP/impostor-state"
    "$FLEET" --config "$TOP/impostor.conf" --state-dir "$TOP/impostor-state" --socket "$TOP/nowhere.sock" \
        run >"$TOP/impostor.log" 2>&1 &
    imp=$!
    for i in $(seq 50); do grep -q "etcd refused user web-1" "$TOP/impostor.log" && break; sleep 0.1; done
    kill "$imp" 2>/dev/null
    wait "$imp" 2>/dev/null
    expect_output "a jit-fleet heartbeating as web-2 with web-1's user: etcd refuses, jit-fleet journals it" \
        "etcd refused user web-1: .*permission denied" cat "$TOP/impostor.log"
    expect_output "... and web-2's heartbeat is still web-2's own" '"signer":"web-2","v":1' \
        etcd_ctl get --print-value-only /jit/v1/hosts/web-2

    # etcd cancels a watch it does not permit (inside an HTTP 200 stream):
    # that must count as no answer, or the host would look current while
    # hearing nothing, revocations included.
    section "fleet: a watch etcd cancels fails closed"
    W3=${WEB[2]}
    id=$(grant_now) || fail "a grant before the permission is taken away"
    etcd_ctl role revoke-permission "jit-host-$W3" /jit/v1/ --prefix >/dev/null
    stale_ms=$(( $(echo "${STALENESS:-3s}" | tr -d s) * 1000 ))
    if ms=$(wait_state "$W3" deny $((stale_ms + 5000))); then
        pass "$W3 may no longer read /jit/v1/: its fleet grant is refused ${ms} ms later (max_staleness ${stale_ms} ms)"
    else
        fail "$W3 refuses fleet grants once etcd refuses its watch" "$(tail -3 "$TOP/$W3/fleet.log")"
    fi
    expect_output "$W3's jit-fleet journals why" "etcd: .*(canceled the watch|permission denied)" cat "$TOP/$W3/fleet.log"
    expect_exit 0 "${WEB[0]}, still permitted, still allows" check "${WEB[0]}"
    etcd_ctl role grant-permission "jit-host-$W3" read /jit/v1/ --prefix >/dev/null
    ms=$(wait_state "$W3" allow 10000) && pass "permission back: $W3 resyncs and allows again (${ms} ms)" ||
        fail "$W3 allows after the permission is back" "$(tail -3 "$TOP/$W3/fleet.log")"
    admin revoke "$id" --reason "f_50 done" --as bob >/dev/null 2>&1
    for h in "${WEB[@]}"; do wait_state "$h" deny 5000 >/dev/null || fail "$h denies after the f_50 revoke"; done

    section "fleet: etcd refuses plain http, a wrong CA, no user, a wrong password"
    plain=$(etcd_endpoints | sed 's/https:/http:/g')
    conf_variant plain-user "s|^endpoints = .*|endpoints = $plain|"
    expect_output "fleet.conf with a user over http:// is refused before any connection" \
        "would cross http:// in clear" "$FLEET" --config "$TOP/plain-user.conf" list
    sed -e '/^user = /d' -e '/^password_file = /d' -e '/^ca_file = /d' "$TOP/plain-user.conf" >"$TOP/plain.conf"
    out=$("$FLEET" --config "$TOP/plain.conf" list 2>&1)
    [[ $? -ne 0 && $out != *"/jit/v1/"* ]] && pass "plain http to etcd's TLS port: no answer, nothing listed ($out)" ||
        fail "plain http refused" "$out"
    conf_variant wrong-ca "s|^ca_file = .*|ca_file = $ETCD_DIR/tls/other-ca.pem|"
    expect_output "TLS with a CA that did not sign etcd's certificate: refused" \
        "[Cc]ertificate|SSL" "$FLEET" --config "$TOP/wrong-ca.conf" list
    mkdir -p "$TOP/wrong-ca-state" && chmod 700 "$TOP/wrong-ca-state"
    "$FLEET" --config "$TOP/wrong-ca.conf" --state-dir "$TOP/wrong-ca-state" --socket "$TOP/nowhere.sock" \
        run >"$TOP/wrong-ca.log" 2>&1 &
    wca=$!
    for i in $(seq 50); do grep -q "fleet-etcd-error\|etcd: " "$TOP/wrong-ca.log" && break; sleep 0.1; done
    kill "$wca" 2>/dev/null
    wait "$wca" 2>/dev/null
    expect_output "the jit-fleet daemon journals the certificate problem" "etcd: .*([Cc]ertificate|SSL)" \
        cat "$TOP/wrong-ca.log"
    sed -e '/^user = /d' -e '/^password_file = /d' "$TOP/web-1/fleet.conf" >"$TOP/no-user.conf"
    expect_output "TLS with the right CA but no etcd user: etcd refuses the read" "user name is empty|permission denied" \
        "$FLEET" --config "$TOP/no-user.conf" list
    head -c 18 /dev/urandom | base64 >"$TOP/wrong.password"
    chmod 600 "$TOP/wrong.password"
    conf_variant wrong-pw "s|^password_file = .*|password_file = $TOP/wrong.password|"
    expect_output "a wrong password: etcd refuses the user" "etcd refused user web-1" \
        "$FLEET" --config "$TOP/wrong-pw.conf" list
    cp "$TOP/web-1/etcd.password" "$TOP/open.password"
    chmod 644 "$TOP/open.password"
    conf_variant open-pw "s|^password_file = .*|password_file = $TOP/open.password|"
    expect_output "a password file others can read is refused, with the fix" \
        "password_file .*open.password: must not be readable or writable by group or others \\(chmod 600\\)" \
        "$FLEET" --config "$TOP/open-pw.conf" list
fi
