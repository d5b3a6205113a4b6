# A request for role=web, two approvals on the admin host, a grant on exactly
# the web hosts.
section "fleet: request, two approvals, a grant on exactly the web hosts"

REQ=$("$FLEET" --config "$TOP/web-1/fleet.conf" --state-dir "$TOP/web-1/fleet" \
    request deploy --hosts role=web,env=prod --service sshd --for 10m --reason "release 4.2" --as alice 2>&1)
if [[ $REQ =~ ^fr-[0-9a-z]{10}$ ]]; then pass "web-1 publishes a request: $REQ"; else fail "request" "$REQ"; fi

out=$(admin approve "$REQ" --as bob 2>&1)
if [[ $out == *"(1 of 2)"* ]]; then pass "bob's approval counts 1 of 2"; else fail "first approval" "$out"; fi
expect_exit 1 "web hosts still deny with one approval" check web-1

out=$(admin approve "$REQ" --as carol 2>&1)
if [[ $out =~ granted\ (fg-[0-9a-z]+) ]]; then
    GRANT=${BASH_REMATCH[1]}
    pass "carol's approval completes it: $GRANT"
else
    fail "second approval mints the grant" "$out"
fi

all_in=1
for h in "${WEB[@]}"; do
    ms=$(wait_state "$h" allow 5000) || { all_in=0; fail "$h allows deploy under the fleet grant" "$(tail -3 "$TOP/$h/fleet.log")"; continue; }
done
[[ $all_in -eq 1 ]] && pass "every web host (${#WEB[@]}) allows deploy over sshd"
sleep 0.5
expect_exit 1 "db-1 (role=db) does not get the grant" check db-1
expect_output "the local grant names the fleet grant it mirrors" "fleet grant $GRANT \\(admin-1\\)" \
    "$JITCTL" --socket "$TOP/web-1/jitd.sock" list
expect_output "jit-fleet journals the mirrored grant" "fleet grant $GRANT for deploy is local grant g-" \
    cat "$TOP/web-1/fleet.log"
REQ2=$("$FLEET" --config "$TOP/web-1/fleet.conf" --state-dir "$TOP/web-1/fleet" \
    request deploy --hosts role=web --service sshd --for 5m --reason "self" --as alice 2>&1)
expect_output "nobody approves their own request (alice, from another host too)" "nobody approves their own request" \
    admin approve "$REQ2" --as alice
admin revoke "$GRANT" --reason "f_10 done" --as bob >/dev/null
for h in "${WEB[@]}"; do wait_state "$h" deny 5000 >/dev/null || fail "$h denies after the revoke"; done
