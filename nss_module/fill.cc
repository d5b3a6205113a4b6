#include "fill.h"

#include <errno.h>
#include <string.h>

namespace jit::nss {

char* BufferCarver::copy(const char* s, size_t len) {
    if (len >= left_) return nullptr;
    char* out = p_;
    memcpy(out, s, len);
    out[len] = '\0';
    p_ += len + 1;
    left_ -= len + 1;
    return out;
}

char** BufferCarver::pointers(size_t n) {
    uintptr_t at = reinterpret_cast<uintptr_t>(p_);
    size_t pad = (alignof(char*) - at % alignof(char*)) % alignof(char*);
    if (pad > left_ || n > (left_ - pad) / sizeof(char*)) return nullptr;
    char** out = reinterpret_cast<char**>(p_ + pad);
    p_ += pad + n * sizeof(char*);
    left_ -= pad + n * sizeof(char*);
    return out;
}

Fill fill_passwd(const snapshot::Account& a, passwd* pw, char* buf, size_t len) {
    BufferCarver c(buf, len);
    char* name = c.copy(a.name);
    char* password = c.copy("x", 1);  // the password lives in shadow, locked
    char* gecos = c.copy(a.gecos);
    char* home = c.copy(a.home);
    char* shell = c.copy(a.shell);
    if (!name || !password || !gecos || !home || !shell) return Fill::TooSmall;
    pw->pw_name = name;
    pw->pw_passwd = password;
    pw->pw_uid = a.uid;
    pw->pw_gid = a.gid;
    pw->pw_gecos = gecos;
    pw->pw_dir = home;
    pw->pw_shell = shell;
    return Fill::Ok;
}

// No password can ever match "!*": jit accounts log in with keys (or not at
// all) and only inside a grant.  -1 leaves every aging field unset, so
// pam_unix's account phase neither expires nor forces a password change.
Fill fill_shadow(const snapshot::Account& a, spwd* sp, char* buf, size_t len) {
    BufferCarver c(buf, len);
    char* name = c.copy(a.name);
    char* password = c.copy("!*", 2);
    if (!name || !password) return Fill::TooSmall;
    sp->sp_namp = name;
    sp->sp_pwdp = password;
    sp->sp_lstchg = -1;
    sp->sp_min = -1;
    sp->sp_max = -1;
    sp->sp_warn = -1;
    sp->sp_inact = -1;
    sp->sp_expire = -1;
    sp->sp_flag = ~0ul;
    return Fill::Ok;
}

namespace {

// Calls f(member) for each distinct member name active at now, in order.
template <typename F>
void for_each_active_member(const snapshot::Snapshot& s, const snapshot::Group& g, int64_t now,
                            F f) {
    snapshot::Text last{};
    for (uint32_t k = 0; k < g.member_count; ++k) {
        snapshot::Member m;
        if (!s.group_member(g, k, &m) || !s.member_active(m, now)) continue;
        if (last.data && last.view() == m.name.view()) continue;
        last = m.name;
        f(m.name);
    }
}

}  // namespace

Fill fill_group(const snapshot::Snapshot& s, const snapshot::Group& g, int64_t now, group* gr,
                char* buf, size_t len) {
    size_t count = 0;
    for_each_active_member(s, g, now, [&](const snapshot::Text&) { ++count; });
    BufferCarver c(buf, len);
    char** members = c.pointers(count + 1);
    char* name = c.copy(g.name);
    char* password = c.copy("x", 1);
    if (!members || !name || !password) return Fill::TooSmall;
    size_t n = 0;
    bool fits = true;
    for_each_active_member(s, g, now, [&](const snapshot::Text& t) {
        char* copy = c.copy(t);
        if (!copy) fits = false;
        if (fits && n < count) members[n++] = copy;
    });
    if (!fits) return Fill::TooSmall;
    members[n] = nullptr;
    gr->gr_name = name;
    gr->gr_passwd = password;
    gr->gr_gid = g.gid;
    gr->gr_mem = members;
    return Fill::Ok;
}

// ENOENT whatever the cause: "this source has nothing" to glibc, so jit's
// accounts vanish while every other source keeps answering.
nss_status unavailable(int error, int* errnop) {
    (void)error;
    *errnop = ENOENT;
    return NSS_STATUS_UNAVAIL;
}

nss_status too_small(int* errnop) {
    *errnop = ERANGE;
    return NSS_STATUS_TRYAGAIN;
}

nss_status not_found(int* errnop) {
    *errnop = ENOENT;
    return NSS_STATUS_NOTFOUND;
}

}  // namespace jit::nss
