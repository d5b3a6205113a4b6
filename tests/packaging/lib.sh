# Helpers of the packaging layer (on top of tests/integration/lib.sh).

MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
PKG_WORK=$PWD/$BUILD/packaging
rm -rf "$PKG_WORK"
mkdir -p "$PKG_WORK"

# install_tree DIR [MAKE VARIABLES...]: `make install` into DIR, quietly.
install_tree() {
    local dir=$1
    shift
    make --no-print-directory -s install DESTDIR="$dir" PREFIX=/usr "$@" >"$PKG_WORK/install.log" 2>&1 ||
        { cat "$PKG_WORK/install.log" >&2; return 1; }
}

# The files `make install` must produce, from what the tree holds.
expected_install_files() {
    local f
    printf '%s\n' etc/jit/jitd.conf usr/sbin/jitd usr/bin/jitctl \
        "lib/$MULTIARCH/security/pam_jit.so" "lib/$MULTIARCH/security/pam_jit_core.so" usr/share/pam-configs/jit usr/share/pam-configs/jit-session \
        usr/lib/tmpfiles.d/jit.conf usr/lib/sysusers.d/jit.conf \
        usr/lib/systemd/catalog/jit.catalog usr/share/bash-completion/completions/jitctl
    [[ -d nss_module ]] && echo "usr/lib/$MULTIARCH/libnss_jit.so.2"
    [[ -d sweep ]] && echo usr/sbin/jit-sweep
    [[ -d fleet ]] && echo usr/sbin/jit-fleet
    [[ -d jwks_refresh ]] && echo usr/sbin/jit-jwks-refresh
    [[ -d sudo_plugin ]] && printf '%s\n' "usr/lib/$MULTIARCH/jit/jit_sudo.so" \
        usr/share/libpam-jit/jit-sudo-conf
    for f in systemd/*.service systemd/*.socket systemd/*.timer; do
        [[ -e $f ]] && echo "lib/systemd/system/${f##*/}"
    done
    for f in man/*.[1-8]; do echo "usr/share/man/man${f##*.}/${f##*/}"; done
    for f in conf/policy.d/*; do [[ -e $f ]] && echo "etc/jit/policy.d/${f##*/}"; done
    return 0
}

# files_under DIR: every file and symlink below DIR, relative, sorted.
files_under() {
    (cd "$1" && find . \( -type f -o -type l \) -printf '%P\n' | LC_ALL=C sort)
}

# A root for systemd-analyze verify: the install, the host's own units (for
# sysinit.target and friends) and the few host programs our units run.
verify_root() {
    local root=$1
    cp -an /lib/systemd/system/. "$root/lib/systemd/system/"
    mkdir -p "$root/usr/bin"
    [[ -e $root/bin ]] || ln -s usr/bin "$root/bin"
    cp -n /usr/bin/kill "$root/usr/bin/kill"
    # jit-jwks-refresh.service tells jitd to reload through systemctl.
    cp -n /usr/bin/sh "$root/usr/bin/sh"
    cp -n /usr/bin/systemctl "$root/usr/bin/systemctl"
}

summary() {
    echo
    echo "packaging: $PASSED passed, $FAILED failed, $SKIPPED skipped"
    [[ $FAILED -eq 0 ]]
}
