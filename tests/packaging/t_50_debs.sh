# `make deb` builds the packages; lintian finds no error and no warning; the
# packages hold exactly what `make install` lays out (plus their docs), and
# their maintainer scripts do what README and pam_jit(8) promise.
section "Debian packages"
if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null || ! command -v lintian >/dev/null; then
    skip "Debian packages" "dpkg-buildpackage, debhelper or lintian is not installed (scripts/install-deps)"
else
    # The unit layer has run the tests already; nocheck skips them inside.
    if DEB_BUILD_OPTIONS=nocheck make --no-print-directory -s deb >"$PKG_WORK/deb.log" 2>&1; then
        pass "make deb builds the packages"
    else
        fail "make deb builds the packages" "$(tail -n 20 "$PKG_WORK/deb.log")"
    fi
    DEBS=$BUILD/deb
    packages=(libpam-jit jitd)
    [[ -d nss_module ]] && packages+=(libnss-jit)
    [[ -d fleet ]] && packages+=(jit-fleet)
    [[ -d jwks_refresh ]] && packages+=(jit-jwks-refresh)
    for p in "${packages[@]}"; do
        if compgen -G "$DEBS/${p}_*.deb" >/dev/null; then pass "$p is built"; else fail "$p is built"; fi
    done
    if [[ ! -d nss_module ]]; then
        expect_output "without nss_module/, make deb says it leaves out libnss-jit" \
            "nss_module/ is not in this tree: libnss-jit is left out" cat "$PKG_WORK/deb.log"
    fi

    out=$(lintian --allow-root --fail-on error,warning "$DEBS"/*.changes 2>&1)
    if [[ $? -eq 0 ]]; then
        pass "lintian: no errors, no warnings"
    else
        fail "lintian: no errors, no warnings" "$out"
    fi
    [[ -n $out ]] && printf '        lintian: %s\n' "${out//$'\n'/$'\n'        lintian: }"

    CONTENTS=$PKG_WORK/contents
    mkdir -p "$CONTENTS"
    for p in "${packages[@]}"; do dpkg-deb -x "$DEBS/${p}"_*.deb "$CONTENTS"; done
    # Plus their docs and lintian overrides (debian/*.lintian-overrides).
    shipped=$(files_under "$CONTENTS" | grep -v -e '^usr/share/doc/' -e '^usr/share/lintian/overrides/' |
        sed 's/\.gz$//' | LC_ALL=C sort)
    installed=$(files_under "$ROOT" | LC_ALL=C sort)
    if [[ $shipped == "$installed" ]]; then
        pass "the packages ship exactly what make install lays out"
    else
        fail "the packages ship exactly what make install lays out" \
            "$(diff <(echo "$installed") <(echo "$shipped") | grep '^[<>]' | tr '\n' ' ')"
    fi

    expect_output "jitd: /etc/jit/policy.d, empty (no rule until an administrator adds one), root's, 0750" \
        "^drwxr-x--- root/root \./etc/jit/policy\.d/$" \
        bash -c "dpkg-deb -c $DEBS/jitd_*.deb | awk '{print \$1, \$2, \$6}' | grep policy.d"
    expect_output "jitd: postinst gives policy.d jitd's admin group (admin_group of jitd.conf), after sysusers" \
        "systemd-sysusers.*admin_group.*/etc/jit/jitd.conf.*root:root:750.*chgrp \"\\\$group\" \"\\\$dir\"" \
        bash -c "dpkg-deb -I $DEBS/jitd_*.deb postinst | tr '\n' ' '"
    for example in policy.example.conf notify-webhook.example; do
        expect_exit 0 "jitd: the $example of the man pages is in /usr/share/doc/jitd/examples" \
            test -s "$CONTENTS/usr/share/doc/jitd/examples/$example"
    done

    control() { dpkg-deb -I "$DEBS/$1"_*.deb "$2" 2>&1; }
    expect_output "jitd: /etc/jit/jitd.conf is a conffile (kept on upgrade)" "^/etc/jit/jitd.conf$" control jitd conffiles
    expect_output "jitd: postrm removes /var/lib/jit on purge only" \
        'if \[ "\$1" = purge \]; then[[:space:]]+rm -rf "\$\{DPKG_ROOT:-\}/var/lib/jit"' control jitd postrm
    expect_output "jitd: postinst creates the groups (systemd-sysusers) before starting the units" \
        "systemd-sysusers.*jit.conf.*systemd-tmpfiles.*deb-systemd-invoke" \
        bash -c "dpkg-deb -I $DEBS/jitd_*.deb postinst | tr '\n' ' '"
    expect_output "libpam-jit: postinst runs pam-auth-update --package" "pam-auth-update --package[[:space:]]" \
        control libpam-jit postinst
    expect_output "libpam-jit: prerm takes the profile out before the module goes" \
        'if \[ "\$1" = remove \].*pam-auth-update --package --remove jit' \
        bash -c "dpkg-deb -I $DEBS/libpam-jit_*.deb prerm | tr '\n' ' '"
    expect_output "libpam-jit: postinst adds jit_sudo.so to sudo.conf through jit-sudo-conf" \
        "jit-sudo-conf add" control libpam-jit postinst
    expect_output "libpam-jit: prerm takes the sudo.conf line out before the plugin goes" \
        'if \[ "\$1" = remove \].*jit-sudo-conf remove' \
        bash -c "dpkg-deb -I $DEBS/libpam-jit_*.deb prerm | tr '\n' ' '"
    if [[ -d nss_module ]]; then
        for db in passwd group shadow; do
            expect_output "libnss-jit: postinst adds jit to $db" "Installing $db/jit from libnss-jit" control libnss-jit postinst
            expect_output "libnss-jit: postrm removes jit from $db" "/\^$db:" control libnss-jit postrm
        done
    fi
fi
