# `make install` lays out exactly the files the packages ship, with the
# right modes, and never overwrites configuration on a live system.
section "make install"
ROOT=$PKG_WORK/root
if install_tree "$ROOT"; then
    pass "make install DESTDIR=... PREFIX=/usr succeeds"
else
    fail "make install DESTDIR=... PREFIX=/usr succeeds"
fi
got=$(files_under "$ROOT")
want=$(expected_install_files | LC_ALL=C sort)
if [[ $got == "$want" ]]; then
    pass "it installs exactly the expected files ($(wc -l <<<"$want"))"
else
    fail "it installs exactly the expected files" "$(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | tr '\n' ' ')"
fi

modes_ok=1
while read -r f; do
    want_mode=644
    [[ $f == usr/sbin/* || $f == usr/bin/* || $f == usr/share/libpam-jit/* ]] && want_mode=755
    mode=$(stat -c %a "$ROOT/$f")
    [[ $mode == "$want_mode" ]] || { modes_ok=0; fail "mode of $f" "$mode, wanted $want_mode"; }
done < <(files_under "$ROOT")
[[ $modes_ok -eq 1 ]] && pass "programs are 0755, everything else 0644"
expect_output "etc/jit/policy.d is 0750: policy is not every local user's to read" "^750$" \
    stat -c %a "$ROOT/etc/jit/policy.d"

# jit-sudo-conf: the sudo.conf edit libpam-jit's maintainer scripts make,
# on a copy (the host's sudo.conf is never touched).
if [[ -d sudo_plugin ]]; then
    SC=$PKG_WORK/sudo.conf
    printf '# the administrator'"'"'s sudo.conf\nSet disable_coredump false\n' >"$SC"
    cp "$SC" "$SC.orig"
    helper=$ROOT/usr/share/libpam-jit/jit-sudo-conf
    plugin=$ROOT/usr/lib/$MULTIARCH/jit/jit_sudo.so
    if [[ $(id -u) -eq 0 ]] && sudo -V 2>/dev/null | grep -q '^Sudo version 1\.9'; then
        "$helper" add "$plugin" "$SC" && "$helper" add "$plugin" "$SC"
        expect_output "jit-sudo-conf add: one marked Plugin line, added once" \
            "^1 Plugin jit_approval $plugin managed_groups=jit-managed managed_uids=60500-60999$" \
            bash -c "grep -c '^Plugin jit_approval' '$SC' | tr '\n' ' '; grep '^Plugin' '$SC'"
        expect_output "jit-sudo-conf add keeps the administrator's lines" "^Set disable_coredump false$" \
            grep '^Set' "$SC"
        if unshare -m true 2>/dev/null; then
            expect_output "with that sudo.conf sudo loads jit_sudo.so, and root's sudo still runs" \
                "jit_sudo approval plugin version.*"$'\n'"daemon$" \
                unshare -m sh -c 'mount --bind "$1" /etc/sudo.conf && sudo -V | grep jit_sudo &&
                    sudo -u daemon id -un' sh "$SC"
        fi
        "$helper" remove "$SC"
        expect_exit 0 "jit-sudo-conf remove restores the file exactly" cmp "$SC" "$SC.orig"
        # On the live path, with a file sudo cannot load as a plugin: sudo -V
        # (run against the candidate in a private namespace) refuses it and
        # sudo.conf stays as it was.  A copy of /etc stands in for the host's.
        if unshare -m true 2>/dev/null; then
            ETC=$PKG_WORK/etc
            cp -a /etc "$ETC"
            cp "$ETC/sudo.conf" "$PKG_WORK/sudo.conf.live" 2>/dev/null || : >"$PKG_WORK/sudo.conf.live"
            unshare -m sh -c 'mount --bind "$1" /etc && "$2" add /usr/bin/true /etc/sudo.conf' \
                sh "$ETC" "$helper" 2>/dev/null
            expect_exit 0 "jit-sudo-conf add: a line sudo refuses never reaches sudo.conf" \
                cmp "$ETC/sudo.conf" "$PKG_WORK/sudo.conf.live"
            expect_exit 0 "... and sudo still runs" \
                unshare -m sh -c 'mount --bind "$1" /etc && sudo -u daemon true' sh "$ETC"
            rm -rf "$ETC"
        fi
    else
        skip "jit-sudo-conf add/remove" "needs root and sudo 1.9 (the plugin must be root's)"
    fi
    "$helper" add /nonexistent/jit_sudo.so "$SC" 2>/dev/null
    expect_exit 0 "jit-sudo-conf add refuses a plugin that is not on disk" cmp "$SC" "$SC.orig"
fi

expect_output "the PAM module lands in libpam's directory /lib/$MULTIARCH/security" "pam_jit.so" \
    ls "$ROOT/lib/$MULTIARCH/security"
expect_output "the installed pam_jit.so is the one just built" "^$(sha256sum <"$BUILD/pam_jit.so")$" \
    sha256sum <"$ROOT/lib/$MULTIARCH/security/pam_jit.so"
# The front loads the core from its own directory (pam_jit(8)).
expect_output "the installed pam_jit_core.so is the one just built, beside pam_jit.so" \
    "^$(sha256sum <"$BUILD/pam_jit_core.so")$" sha256sum <"$ROOT/lib/$MULTIARCH/security/pam_jit_core.so"

echo "# edited by the administrator" >>"$ROOT/etc/jit/jitd.conf"
install_tree "$ROOT"
expect_output "a second make install keeps an edited /etc/jit/jitd.conf" "edited by the administrator" \
    cat "$ROOT/etc/jit/jitd.conf"

LOCAL=$PKG_WORK/local
install_tree "$LOCAL" PREFIX=/usr/local
expect_output "PREFIX=/usr/local: the units run /usr/local/sbin/jitd" "^ExecStart=/usr/local/sbin/jitd$" \
    grep '^ExecStart=' "$LOCAL/lib/systemd/system/jitd.service"
expect_output "PREFIX=/usr/local: the PAM module still goes where libpam looks" "pam_jit.so" \
    ls "$LOCAL/lib/$MULTIARCH/security"

expect_exit 0 "the bash completion parses" bash -n "$ROOT/usr/share/bash-completion/completions/jitctl"
