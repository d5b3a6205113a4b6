# Requests through the real jitd, jitctl and pam_jit: auto approval, policy
# denials, pending requests, cancel, expiry, book-ahead, --wait exit codes,
# and explain answering exactly what a check answers.
source tests/integration/policy_lib.sh

section "requests: auto, denied, pending, --wait"
policy_world
write_policy 10-rules <<'POLICY'
[deploy-auto]
accounts = deploy
services = sshd
from = 10.0.0.0/8, local
duration = 1s..1h
approval = auto

[deploy-sudo]
accounts = deploy
services = sudo
duration = 1m..1h
ticket = CHG-[0-9]+
approval = 1 of @nobody-approves
pending_ttl = 2s
POLICY
start_jitd
expect_exit 1 "PAM: deploy refused before any request" pam deploy sshd 10.1.2.3
expect_output "an auto request prints the grant" \
    "^request r-[0-9a-z]{8} for deploy on sshd \(rule deploy-auto\): approved: grant g-[0-9a-z]{8} until .* \(in (15m|14m 5[0-9]s)\)$" \
    jitctl request deploy --service sshd --for 15m --source 10.0.0.0/8 --reason "release 4.2"
expect_exit 0 "PAM: allowed from inside the requested source" pam deploy sshd 10.1.2.3
expect_exit 1 "PAM: refused from outside it" pam deploy sshd 192.0.2.1
expect_exit 1 "a request for any source is wider than the rule: denied" \
    jitctl request deploy --service sshd --for 15m --reason x
expect_exit 1 "no rule covers login: denied" jitctl request deploy --service login --for 1m --reason x
expect_exit 6 "an unmanaged account: rejected" jitctl request alice --service sshd --for 1m --reason x
expect_exit 2 "no duration: usage" jitctl request deploy --service sshd --reason x

jitctl --json request deploy --service sudo --for 10m --reason x --ticket CHG-7 >"$WORLD/r.json"
RID=$(request_id_of "$WORLD/r.json")
if [[ $(jq -r .state "$WORLD/r.json") == pending ]]; then pass "a rule with approvers leaves the request pending"
else fail "a rule with approvers leaves the request pending" "$(cat "$WORLD/r.json")"; fi
expect_output "list --pending shows it" "$RID +pending +deploy +sudo +deploy-sudo +0/1" jitctl list --pending
expect_output "show: every detail" "ticket +CHG-7" jitctl show "$RID"
expect_exit 1 "a ticket that does not match is denied" \
    jitctl request deploy --service sudo --for 10m --reason x --ticket chg-7
expect_exit 5 "show of an unknown request: not found" jitctl show r-zzzzzzzz
sleep 2.2
expect_output "after pending_ttl it has expired" "expired" jitctl show "$RID"
expect_exit 1 "PAM: still no sudo" pam deploy sudo

start_ms=$(now_ms)
expect_exit 7 "request --wait: exit 7 when nobody decides before the TTL" \
    jitctl request deploy --service sudo --for 10m --reason x --ticket CHG-8 --wait
waited=$(( $(now_ms) - start_ms ))
# The clock has whole seconds: a 2s TTL ends 1 to 2 seconds after creation.
if [[ $waited -ge 1000 && $waited -lt 6000 ]]; then pass "--wait ended with the TTL (${waited}ms)"
else fail "--wait ended with the TTL" "${waited}ms"; fi

sed -i 's/^pending_ttl = 2s$/pending_ttl = 1h/' "$POLICY/10-rules.conf"
reload_jitd "policy: 2 rule" || fail "reload after raising pending_ttl"
expect_exit 9 "request --wait --timeout: exit 9 while still pending" \
    jitctl request deploy --service sudo --for 10m --reason x --ticket CHG-9 --wait --timeout 1s
# A waiting requester learns of a cancellation: exit 8.
"$JITCTL" --socket "$SOCK" request deploy --service sudo --for 10m --reason x --ticket CHG-10 \
    --wait >"$WORLD/wait.out" 2>"$WORLD/wait.err" &
WAIT_PID=$!
WID=
for _ in $(seq 50); do
    WID=$(grep -o 'r-[0-9a-z]\{8\}' "$WORLD/wait.err" | head -1)
    [[ -n $WID ]] && break
    sleep 0.1
done
expect_exit 0 "the requester cancels a pending request" jitctl cancel "$WID" --comment "not needed"
wait "$WAIT_PID"
rc=$?
if [[ $rc -eq 8 ]]; then pass "request --wait: exit 8 when the request is cancelled"
else fail "request --wait: exit 8 when the request is cancelled" "exit $rc: $(cat "$WORLD/wait.out" "$WORLD/wait.err")"; fi
expect_output "show: cancelled, with the comment" "cancelled: not needed" jitctl show "$WID"
expect_exit 6 "cancelling twice: already decided" jitctl cancel "$WID"

section "requests: book-ahead"
start=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
expect_output "a request may start later" "approved: grant g-[0-9a-z]{8} starts in" \
    jitctl request deploy --service sshd --from "$start" --for 30m --source local --reason later
expect_output "the grant is scheduled, not in force" "deny: deploy may not use sshd" jitctl check deploy sshd

section "explain agrees with check"
agree=0 disagree=0
for user in deploy backup alice; do
    for service in sshd sudo; do
        for rhost in "" 10.1.2.3 192.0.2.9; do
            args=()
            [[ -n $rhost ]] && args=(--from "$rhost")
            jitctl explain "$user" "$service" "${args[@]}" >/dev/null 2>&1
            e=$?
            cargs=()
            [[ -n $rhost ]] && cargs=(--rhost "$rhost")
            jitctl check "$user" "$service" "${cargs[@]}" >/dev/null 2>&1
            c=$?
            if [[ $e -eq $c ]]; then agree=$((agree + 1)); else disagree=$((disagree + 1)); echo "        $user $service '$rhost': explain $e, check $c"; fi
        done
    done
done
if [[ $disagree -eq 0 && $agree -eq 18 ]]; then pass "explain and check agree on all 18 questions"
else fail "explain and check agree" "$disagree disagreements"; fi
expect_output "explain names the rule and its failing condition" \
    "rule deploy-auto \(request, .*10-rules.conf:1\): a request would be approved at once" \
    jitctl explain deploy sshd --from 10.1.2.3
expect_output "explain marks a failing source" "- source +192.0.2.9 is not within local, 10.0.0.0/8" \
    jitctl explain deploy sshd --from 192.0.2.9
expect_exit 2 "explain --at needs a time" jitctl explain deploy sshd --at tomorrow
end_world
