# The user story: refused, granted, let in, revoked, refused again; unmanaged
# accounts never touched.
section "story: deny, grant, allow, list, revoke"
new_world
start_jitd

expect_exit 1 "jitctl check: deploy denied without a grant" jitctl check deploy sshd
expect_exit 1 "PAM: deploy refused without a grant" pam deploy sshd
expect_exit 0 "PAM: unmanaged alice passes untouched (PAM_IGNORE, then pam_permit)" pam alice sshd

expect_output "jitctl grant: reports the new grant and its end" \
    '^granted g-[0-9a-z]{8}: deploy on sshd,sudo until .* \(in (15m|14m 5[0-9]s)\)$' \
    jitctl grant deploy --service sshd,sudo --for 15m --reason "release 4.2"
GRANT_ID=$(grant_field id)
expect_output "jitctl check: allow names the grant and its expiry" \
    "^allow: deploy may use sshd under grant $GRANT_ID until .* \(in 1[45]m( [0-9]+s)?\)" jitctl check deploy sshd
expect_exit 0 "PAM: deploy let in over sshd during the grant" pam deploy sshd
expect_exit 0 "PAM: deploy let in over sudo during the grant" pam deploy sudo
write_pam_service login
expect_exit 1 "PAM: deploy refused on a service the grant does not name" pam deploy login
write_pam_service systemd-user
expect_exit 0 "PAM: deploy's user manager (systemd-user) rides on the grant" pam deploy systemd-user
expect_exit 1 "PAM: backup's does not: backup has no grant" pam backup systemd-user
expect_exit 1 "PAM: backup (managed, no grant) still refused" pam backup sshd

expect_output "jitctl list: table row with relative expiry" \
    "$GRANT_ID +deploy +sshd,sudo +any +- +in 1[45]m( [0-9]+s)? +root +release 4.2" jitctl list
expect_output "jitctl list --json: machine-readable record" \
    "\"id\":\"$GRANT_ID\",\"user\":\"deploy\",\"services\":\\[\"sshd\",\"sudo\"\\]" jitctl --json list
expect_output "jitctl status: counts the grant" 'grants in force: 1' jitctl status

expect_output "jitctl revoke ID: revokes" "^revoked $GRANT_ID" jitctl revoke "$GRANT_ID" --reason "done"
expect_exit 1 "PAM: deploy refused again after revoke" pam deploy sshd
expect_exit 6 "jitctl revoke: revoking twice says it already ended" jitctl revoke "$GRANT_ID"
expect_output "jitctl list --all: shows the revoked grant" "$GRANT_ID +deploy +revoked" jitctl list --all

jitctl grant deploy --service sshd --for 5m --reason one >/dev/null
jitctl grant deploy --service sudo --for 5m --reason two >/dev/null
revoked=$(jitctl revoke --user deploy | grep -c '^revoked g-')
if [[ $revoked -eq 2 ]]; then pass "jitctl revoke --user: ends every grant of the user"
else fail "jitctl revoke --user: ends every grant of the user" "revoked $revoked, wanted 2"; fi
expect_exit 1 "PAM: refused after revoke --user" pam deploy sudo
expect_exit 5 "jitctl revoke --user with nothing active: not found" jitctl revoke --user deploy

section "story: a source restriction"
jitctl grant deploy --service sshd --for 5m --source 10.0.0.0/8 --reason "from the bastion" >/dev/null
expect_exit 0 "PAM: allowed from inside the source network" pam deploy sshd 10.1.2.3
expect_exit 1 "PAM: refused from outside the source network" pam deploy sshd 192.0.2.1
expect_exit 1 "PAM: refused with no rhost at all" pam deploy sshd
end_world
