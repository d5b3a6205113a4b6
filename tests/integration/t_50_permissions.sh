# Who may do what is decided by the caller's kernel credentials: run jitctl
# as other real uids (root only: it takes setpriv to become them).
section "permissions by SO_PEERCRED"
if [[ $(id -u) -ne 0 ]] || ! command -v setpriv >/dev/null; then
    skip "permissions" "needs root and setpriv to act as other uids"
else
    new_world
    chmod 0755 "$WORLD"
    users_gid=$(getent group users | cut -d: -f3)
    sed -i "s/^\[jitd\]$/[jitd]\nadmin_group = users/" "$CONF"
    start_jitd
    as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
    as_admin() { setpriv --reuid=nobody --regid=nogroup --groups="$users_gid" "$@"; }
    expect_exit 4 "nobody may not grant" as_nobody "$JITCTL" --socket "$SOCK" grant deploy --service sshd --for 5m --reason x
    expect_exit 4 "nobody may not ask a PAM check" as_nobody "$JITCTL" --socket "$SOCK" check deploy sshd
    expect_exit 0 "nobody may list" as_nobody "$JITCTL" --socket "$SOCK" list
    expect_exit 0 "nobody may see status" as_nobody "$JITCTL" --socket "$SOCK" status
    expect_exit 0 "a member of admin_group (supplementary, via SO_PEERGROUPS) may grant" \
        as_admin "$JITCTL" --socket "$SOCK" grant deploy --service sshd --for 5m --reason "by an admin"
    expect_output "the grant records the admin's uid as its author" "\"granted_by_uid\":$(id -u nobody)" jitctl --json list
    expect_exit 4 "nobody may not revoke" as_nobody "$JITCTL" --socket "$SOCK" revoke --user deploy
    expect_exit 0 "the admin may revoke" as_admin "$JITCTL" --socket "$SOCK" revoke --user deploy
    expect_log "refusals are journaled" "refused a request from uid $(id -u nobody)"
    end_world
fi
