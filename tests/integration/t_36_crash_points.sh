# Crash points: jitd built with -DJIT_CRASH_POINTS (build/tests/jitd-crash,
# never packaged) is killed with SIGKILL at every step of grant, revoke,
# approve (as root, with real users for requester and approver), a PAM
# session's close (pamtester under pam_wrapper) and the timers: expiry, the
# end of a session whose grant ended, and the NSS snapshot published at a
# grant's start (request received, before and after the commit, after the
# high-water mark, after writing and after publishing the NSS snapshot,
# after deciding, after replying), iteration after iteration.  After each
# kill and restart: every acknowledged grant, approval and session close
# present, no half-written record (an approved request has its grant, a
# pending one none; a session is open with no end or ended with one), no
# acknowledged revocation lost, no expired grant back, a session whose grant
# ended is ended, and the NSS snapshot never shows a revoked or expired
# account and shows one whose grant has started.
source tests/integration/policy_lib.sh
section "crash points"
JITD_CRASH=$PWD/$BUILD/tests/jitd-crash
NSS_WRAPPER_LIB=$(find /usr/lib /lib -name libnss_wrapper.so -print -quit 2>/dev/null)
CRASH_ITERATIONS=${CRASH_ITERATIONS:-1000}
if [[ ! -x $JITD_CRASH ]]; then
    fail "crash points" "$JITD_CRASH is not built (make integration builds it)"
elif ! command -v python3 >/dev/null || [[ -z $NSS_WRAPPER_LIB ]]; then
    skip "crash points" "needs python3 and nss_wrapper"
else
    # Users of its own (not policy_lib's): a requester and an approver.
    crash_users_gone() {
        userdel jitc-req >/dev/null 2>&1
        userdel jitc-ap >/dev/null 2>&1
        groupdel jitc-approvers >/dev/null 2>&1
        return 0
    }
    crash_users() {
        crash_users_gone
        groupadd --system jitc-approvers &&
            useradd --system --no-create-home --shell /usr/sbin/nologin jitc-req &&
            useradd --system --no-create-home --shell /usr/sbin/nologin -G jitc-approvers jitc-ap
    }
    approvers=()
    if can_make_users && crash_users; then
        policy_world
        chmod 0755 "$WORLD"
        write_policy 10-crash <<'POLICY'
[crash-approve]
accounts = svc, deploy
services = sshd
duration = 1m..2h
approval = 1 of @jitc-approvers
POLICY
        approvers=(jitc-req jitc-ap)
    else
        new_world
        skip "crash points of approve" "needs root, useradd and setpriv to act as requester and approver"
    fi
    cat >>"$CONF" <<CONF
[nss]
snapshot = $WORLD/nss.snapshot
uid_range = 60500-60599
gid_range = 60600-60699
[account svc]
CONF
    # The PAM stack whose session close is killed too (pamtester, pam_wrapper).
    cat >"$PAMDIR/sshd" <<PAM
account required $PAM_SO socket=$SOCK server_uid=0 timeout_ms=3000 managed_users=deploy,backup,svc
account required $PAM_DIR_SYSTEM/pam_permit.so
session required $PAM_SO socket=$SOCK server_uid=0 timeout_ms=3000 managed_users=deploy,backup,svc
session required $PAM_DIR_SYSTEM/pam_permit.so
PAM
    printf 'root:x:0:0:root:/root:/bin/bash\n' >"$WORLD/passwd"
    printf 'root:x:0:\n' >"$WORLD/group"
    out=$(CRASH_PAM_DIR=$PAMDIR CRASH_PAM_WRAPPER=$PAM_WRAPPER_LIB timeout 600 python3 tests/integration/crash_points.py "$WORLD" "$JITD_CRASH" "$JITCTL" \
        "$PWD/$BUILD/libnss_jit.so.2" "$NSS_WRAPPER_LIB" "$CRASH_ITERATIONS" "${approvers[@]}" 2>&1)
    rc=$?
    [[ ${#approvers[@]} -gt 0 ]] && crash_users_gone
    printf '        %s\n' "$out"
    fired=$(sed -n 's/.*fired_at_point=\([0-9]*\).*/\1/p' <<<"$out")
    if [[ $rc -eq 0 && ${fired:-0} -ge $((CRASH_ITERATIONS * 9 / 10)) ]]; then
        pass "$CRASH_ITERATIONS SIGKILLs ($fired at their crash point): nothing acknowledged lost, nothing half-applied"
    else
        fail "crash points: nothing acknowledged lost" "exit $rc"
    fi
    end_world
fi
