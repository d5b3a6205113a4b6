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
    [[ $f == usr/sbin/* || $f == usr/bin/* ]] && want_mode=755
    mode=$(stat -c %a "$ROOT/$f")
    [[ $mode == "$want_mode" ]] || { modes_ok=0; fail "mode of $f" "$mode, wanted $want_mode"; }
done < <(files_under "$ROOT")
[[ $modes_ok -eq 1 ]] && pass "programs are 0755, everything else 0644"

expect_output "the PAM module lands in libpam's directory /lib/$MULTIARCH/security" "pam_jit.so" \
    ls "$ROOT/lib/$MULTIARCH/security"
expect_output "the installed pam_jit.so is the one just built" "^$(sha256sum <"$BUILD/pam_jit.so")$" \
    sha256sum <"$ROOT/lib/$MULTIARCH/security/pam_jit.so"

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
