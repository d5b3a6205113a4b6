# jitctl --fleet: people act on the fleet through jit-fleet's own socket,
# named by the kernel (SO_PEERCRED) and fleet.conf's [person] sections, not
# by anything they send.  alice (may request) asks on web-1 with jitctl
# request --hosts; bob and carol approve on admin-1; bob revokes.
section "fleet: jitctl --fleet, people named by their uid"

expect_exit 4 "a uid no [person] names is refused" as_person "$UID_NOBODY" admin-1 --fleet list
expect_output "... and told why" "is no fleet person on this host" \
    as_person "$UID_NOBODY" admin-1 --fleet list --pending
expect_exit 2 "--hosts role (not NAME=VALUE): a usage error before anything is sent" \
    as_person "$UID_ALICE" web-1 request deploy --hosts role --service sshd --for 30m --reason x
expect_output "... naming the bad label" '"role" is not NAME=VALUE' \
    as_person "$UID_ALICE" web-1 request deploy --hosts role --service sshd --for 30m --reason x
expect_output "--hosts with two selectors is refused" "one selector per request" \
    as_person "$UID_ALICE" web-1 request deploy --hosts "role=web;role=db" --service sshd --for 30m --reason x
expect_output "--hosts with a bad character is refused" "letters, digits" \
    as_person "$UID_ALICE" web-1 request deploy --hosts "role=w@b" --service sshd --for 30m --reason x
expect_output "--hosts with a local-only option is refused" "--wait is for local requests" \
    as_person "$UID_ALICE" web-1 request deploy --hosts role=web --service sshd --for 30m --reason x --wait
expect_output "jit-fleet checks the selector too (jitctl --fleet request)" "--hosts \"\\*\"" \
    setpriv --reuid="$UID_ALICE" --regid="$UID_ALICE" --clear-groups -- \
    "$JITCTL" --fleet-socket "$TOP/web-1/fleet-admin.sock" --fleet request deploy --hosts "*" --service sshd --for 1m --reason x

FREQ=$(as_person "$UID_ALICE" web-1 request deploy --hosts role=web,env=prod --service sshd --for 30m --reason "release 4.3" 2>&1)
if [[ $FREQ =~ ^fr-[0-9a-z]{10}$ ]]; then pass "alice: jitctl request --hosts role=web,env=prod on web-1: $FREQ"
else fail "alice's fleet request through jitctl" "$FREQ"; fi
expect_output "web-1's jit-fleet journals who asked" "request by alice \\(uid $UID_ALICE\\): $FREQ" cat "$TOP/web-1/fleet.log"
expect_output "the request names alice as requester" "\"requester\":\"alice\"" admin list
expect_exit 4 "alice (may = request) may not approve" as_person "$UID_ALICE" admin-1 --fleet approve "$FREQ"
expect_output "... and is told so" "person alice may not approve" as_person "$UID_ALICE" admin-1 --fleet approve "$FREQ"
expect_output "--as is for root only" "--as is for root only" as_person "$UID_BOB" admin-1 --fleet approve "$FREQ" --as carol
expect_output "bob sees it pending, 0 of 2" "$FREQ  deploy .*hosts env=prod,role=web .*by alice@web-1  approvals 0/2" \
    as_person "$UID_BOB" admin-1 --fleet list --pending
expect_output "bob approves: 1 of 2" "approved $FREQ \\(1 of 2\\)" as_person "$UID_BOB" admin-1 --fleet approve "$FREQ"
expect_output "pending shows bob's approval" "$FREQ .*approvals 1/2 \\(bob@admin-1\\)" \
    as_person "$UID_CAROL" admin-1 --fleet list --pending
expect_exit 1 "web-1 still denies with one approval" check web-1
out=$(as_person "$UID_CAROL" admin-1 --fleet --json approve "$FREQ" 2>&1)
if [[ $out =~ granted\ (fg-[0-9a-z]+) ]]; then FGRANT=${BASH_REMATCH[1]}; pass "carol's approval mints $FGRANT (--json)"
else fail "carol's approval mints the grant" "$out"; fi
ms=$(wait_state web-1 allow 5000) && pass "web-1 allows deploy under $FGRANT (${ms} ms)" \
    || fail "web-1 allows under the jitctl-approved grant" "$(tail -3 "$TOP/web-1/fleet.log")"
expect_output "admin-1's jit-fleet journals carol's approval by uid" "approve by carol \\(uid $UID_CAROL\\)" \
    cat "$TOP/admin-1/fleet.log"
out=$(as_person "$UID_BOB" admin-1 --fleet list --pending 2>&1)
[[ $out != *"$FREQ"* ]] && pass "a granted request is no longer pending" || fail "granted request left pending" "$out"

BREQ=$(as_person "$UID_BOB" web-2 request deploy --hosts role=db --service sshd --for 5m --reason "bob's own" 2>&1)
expect_output "bob cannot approve his own request" "nobody approves their own request" \
    as_person "$UID_BOB" admin-1 --fleet approve "$BREQ"
expect_exit 4 "... exit 4 (not permitted)" as_person "$UID_BOB" admin-1 --fleet approve "$BREQ"
expect_output "root acts for the host" "approved $BREQ \\(1 of 2\\)" "$JITCTL" --fleet-socket "$TOP/admin-1/fleet-admin.sock" --fleet approve "$BREQ"
expect_output "root's record names root" "approvals/$BREQ/admin-1.root" admin list
expect_output "root may name a person with --as" "approved $BREQ \\(2 of 2\\)|granted" \
    "$JITCTL" --fleet-socket "$TOP/admin-1/fleet-admin.sock" --fleet approve "$BREQ" --as dave
expect_output "... and that is journaled" "root acts as dave \\(--as\\) for approve" cat "$TOP/admin-1/fleet.log"
expect_exit 2 "an unknown fleet operation is a usage error" "$JITCTL" --fleet-socket "$TOP/admin-1/fleet-admin.sock" --fleet mint x
expect_output "revoking a non-grant id is rejected by jit-fleet" "is not a fleet grant id" \
    as_person "$UID_BOB" admin-1 --fleet revoke g-abcdefgh

expect_output "bob revokes with jitctl --fleet" "revoked $FGRANT" \
    as_person "$UID_BOB" admin-1 --fleet revoke "$FGRANT" --reason "f_15 done"
ms=$(wait_state web-1 deny 5000) && pass "web-1 denies ${ms} ms after bob's revoke" || fail "web-1 denies after the jitctl revoke"
expect_output "the revocation names bob" "\"by\":\"bob\"" admin list
for h in "${WEB[@]}"; do wait_state "$h" deny 5000 >/dev/null || fail "$h denies after the f_15 revoke"; done
