# The pam-auth-update profiles, applied by the real pam-auth-update (as the
# package's postinst does) to copies of the host's PAM files: pam_jit.so
# becomes the first account line, before pam_unix's
# [success=1 new_authtok_reqd=done] jump, and the last session line, after
# pam_systemd; the resulting account stack, run by libpam with the shipped
# jitd.conf, leaves unmanaged accounts alone and refuses managed ones
# without a grant, even with an expired password.  Removing the profiles
# (the prerm) restores the common-* files byte for byte.
section "pam-auth-update profile"
NSS_WRAPPER_LIB=$(find /usr/lib /lib -name libnss_wrapper.so -print -quit 2>/dev/null)
if [[ $(id -u) -ne 0 ]] || ! command -v unshare >/dev/null || ! command -v pam-auth-update >/dev/null; then
    skip "pam-auth-update" "needs root, unshare and pam-auth-update (libpam-runtime)"
elif [[ -z $NSS_WRAPPER_LIB ]]; then
    skip "pam-auth-update" "libnss_wrapper.so is not installed"
else
    SB=$PKG_WORK/pam-sandbox
    tests/packaging/pam-sandbox --init "$SB"
    sandbox() { DEBIAN_FRONTEND=noninteractive tests/packaging/pam-sandbox "$SB" "$@"; }
    rules() { grep -v -e '^#' -e '^$' "$SB/pam.d/common-account"; }

    sandbox pam-auth-update --package >/dev/null 2>&1
    before=$(cat "$SB"/pam.d/common-*)
    if rules | grep -q pam_unix.so; then
        cp "$ROOT"/usr/share/pam-configs/jit* "$SB/pam-configs/"
        expect_exit 0 "pam-auth-update --package (the postinst) accepts the profiles" sandbox pam-auth-update --package
        first=$(rules | head -1)
        expect_output "pam_jit.so is the first account line, required, for jit-managed" \
            "^account[[:space:]]+required[[:space:]]+pam_jit\.so managed_groups=jit-managed managed_uids=60500-60999[[:space:]]*$" echo "$first"
        expect_output "pam_unix.so follows with its jump over pam_deny" \
            "^account[[:space:]]+\[success=1 new_authtok_reqd=done default=ignore\][[:space:]]+pam_unix\.so" \
            bash -c "grep -v -e '^#' -e '^\$' '$SB/pam.d/common-account' | sed -n 2p"
        expect_output "exactly one pam_jit.so line" "^1$" bash -c "grep -c pam_jit.so '$SB/pam.d/common-account'"
        for f in common-auth common-password; do
            if grep -q pam_jit "$SB/pam.d/$f"; then fail "$f does not mention pam_jit"; else pass "$f does not mention pam_jit"; fi
        done
        session_lines() { grep -v -e '^#' -e '^$' "$SB/pam.d/$1" | tr '\t' ' ' | tr -s ' ' | tr '\n' '|'; }
        if grep -q pam_systemd.so "$SB/pam.d/common-session"; then
            expect_output "common-session: pam_jit.so is the last line, after pam_unix and pam_systemd" \
                "pam_unix\.so.*pam_systemd\.so ?\|session required pam_jit\.so managed_groups=jit-managed managed_uids=60500-60999 ?\|$" \
                session_lines common-session
        else
            expect_output "common-session: pam_jit.so is the last line (no pam_systemd here)" \
                "pam_unix\.so.*\|session required pam_jit\.so managed_groups=jit-managed managed_uids=60500-60999 ?\|$" \
                session_lines common-session
        fi
        expect_output "common-session-noninteractive (sudo, cron): pam_jit.so is the last line" \
            "pam_unix\.so ?\|session required pam_jit\.so managed_groups=jit-managed managed_uids=60500-60999 ?\|$" \
            session_lines common-session-noninteractive

        # The stack as libpam runs it: module names made absolute (pam_wrapper
        # loads them from paths), pam_jit.so pointed at a test jitd.
        new_world
        NSSW=$WORLD/nss
        mkdir -p "$NSSW"
        printf '%s\n' root:x:0:0:root:/root:/bin/sh deploy:x:1500:1500::/nonexistent:/bin/sh \
            alice:x:1501:1501::/nonexistent:/bin/sh expired:x:1502:1502::/nonexistent:/bin/sh \
            stale:x:1503:1503::/nonexistent:/bin/sh ci:x:60600:60600::/nonexistent:/bin/sh >"$NSSW/passwd"
        printf '%s\n' root:x:0: deploy:x:1500: alice:x:1501: expired:x:1502: stale:x:1503: ci:x:60600: \
            jit-managed:x:990:deploy,expired jit-admins:x:991: >"$NSSW/group"
        # lastchg 0: the password must be changed now (pam_unix: NEW_AUTHTOK_REQD).
        printf '%s\n' 'root:*:19000:0:99999:7:::' 'deploy:!:19000:0:99999:7:::' 'alice:!:19000:0:99999:7:::' \
            'expired:!:0:0:99999:7:::' 'stale:!:0:0:99999:7:::' 'ci:!:19000:0:99999:7:::' >"$NSSW/shadow"
        export NSS_WRAPPER_PASSWD=$NSSW/passwd NSS_WRAPPER_GROUP=$NSSW/group NSS_WRAPPER_SHADOW=$NSSW/shadow
        cp conf/jitd.conf "$CONF"  # the shipped configuration: members of jit-managed
        rules | sed -E -e "s|pam_jit\.so|$PAM_SO socket=$SOCK|" \
            -e "s#(^|[[:space:]])(pam_[a-z]+\.so)#\1$PAM_DIR_SYSTEM/\2#" >"$PAMDIR/sshd"
        # nss_wrapper serves passwd and group; pam_unix reads shadow through
        # getspnam_r, which it does not wrap, so our shadow file is bound over
        # /etc/shadow in a private mount namespace for each run.
        stack() {
            unshare -m --propagation private sh -c 'mount --bind "$0" /etc/shadow && exec "$@"' "$NSSW/shadow" \
                env LD_PRELOAD="$PAM_WRAPPER_LIB $NSS_WRAPPER_LIB" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$PAMDIR" \
                pamtester sshd "$1" acct_mgmt
        }
        expect_exit 0 "jitd down: an unmanaged account passes the stack" stack alice
        expect_exit 0 "jitd down: root passes the stack" stack root
        expect_exit 1 "jitd down: a managed account is refused" stack deploy
        LD_PRELOAD=$NSS_WRAPPER_LIB start_jitd
        expect_exit 1 "a managed account without a grant is refused, though pam_unix accepts it" stack deploy
        expect_output "  (refused by pam_jit: Permission denied)" "Permission denied" stack deploy
        expect_output "an unmanaged account with an expired password still gets pam_unix's answer" \
            "new one required" stack stale
        expect_output "a managed account with an expired password is refused, not sent to change it" \
            "Permission denied" stack expired
        # Why the profile is Primary with a high Priority: placed after
        # pam_unix (as an Additional profile would be), pam_jit.so never runs
        # for that account, and sudo would let it change its password and go on.
        cp "$PAMDIR/sshd" "$WORLD/sshd.primary"
        { grep -v pam_jit "$WORLD/sshd.primary"; grep pam_jit "$WORLD/sshd.primary"; } >"$PAMDIR/sshd"
        expect_output "  (placed after pam_unix instead, the same account would skip pam_jit)" \
            "new one required" stack expired
        cp "$WORLD/sshd.primary" "$PAMDIR/sshd"
        LD_PRELOAD=$NSS_WRAPPER_LIB expect_exit 0 "grant deploy sshd" \
            "$JITCTL" --socket "$SOCK" grant deploy --service sshd --for 5m --reason packaging-test
        expect_exit 0 "inside its grant the managed account passes the stack" stack deploy
        expect_exit 1 "an account in the NSS uid range (60500-60999) is managed: refused without a grant" stack ci
        LD_PRELOAD=$NSS_WRAPPER_LIB expect_exit 0 "  jitd manages it too (grant ci sshd)" \
            "$JITCTL" --socket "$SOCK" grant ci --service sshd --for 5m --reason packaging-test
        expect_exit 0 "  and inside the grant it passes" stack ci
        expect_exit 0 "an unmanaged account still passes" stack alice
        unset NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP NSS_WRAPPER_SHADOW
        end_world

        expect_exit 0 "pam-auth-update --package --remove jit jit-session (the prerm) succeeds" \
            sandbox pam-auth-update --package --remove jit jit-session
        if [[ $(cat "$SB"/pam.d/common-*) == "$before" ]]; then
            pass "removing the profiles restores the common-* files byte for byte"
        else
            fail "removing the profiles restores the common-* files byte for byte" \
                "$(diff <(echo "$before") <(cat "$SB"/pam.d/common-*) | tr '\n' ' ')"
        fi
    else
        skip "pam-auth-update" "the host's common-account has no pam_unix line to stack before"
    fi
fi
