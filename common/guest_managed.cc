#include "jit/guest_managed.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>

#include "jit/guest_text.h"

namespace jit::guest {

namespace {

constexpr size_t kMaxLookupBuffer = 1 << 20;

bool not_found(int err) {
    return err == 0 || err == ENOENT || err == ESRCH || err == EBADF || err == EPERM;
}

// getpwnam_r with a buffer that grows on ERANGE.  Returns 0 and sets *found.
int lookup_user(const char* user, uid_t* uid, gid_t* gid, bool* found) {
    size_t size = 4096;
    for (;;) {
        char* buf = static_cast<char*>(malloc(size));
        if (!buf) return ENOMEM;
        passwd pw, *result = nullptr;
        int err = getpwnam_r(user, &pw, buf, size, &result);
        if (err == 0 && result) {
            *uid = pw.pw_uid;
            *gid = pw.pw_gid;
        }
        free(buf);
        if (err == ERANGE && size < kMaxLookupBuffer) {
            size *= 2;
            continue;
        }
        if (result) {
            *found = true;
            return 0;
        }
        *found = false;
        return not_found(err) ? 0 : err;
    }
}

int lookup_group(const char* name, gid_t* gid, bool* found) {
    size_t size = 4096;
    for (;;) {
        char* buf = static_cast<char*>(malloc(size));
        if (!buf) return ENOMEM;
        group gr, *result = nullptr;
        int err = getgrnam_r(name, &gr, buf, size, &result);
        if (err == 0 && result) *gid = gr.gr_gid;
        free(buf);
        if (err == ERANGE && size < kMaxLookupBuffer) {
            size *= 2;
            continue;
        }
        *found = result != nullptr;
        return (result || not_found(err)) ? 0 : err;
    }
}

// Whether the user belongs to any group named in the comma-separated list.
Managed in_managed_group(const char* groups, const char* user, gid_t primary) {
    int n = 64;
    gid_t* gids = static_cast<gid_t*>(malloc(sizeof(gid_t) * size_t(n)));
    if (!gids) return Managed::Unknown;
    int want = n;
    if (getgrouplist(user, primary, gids, &want) < 0) {
        // glibc reports the size it needs; one retry with that size.
        free(gids);
        if (want <= n || want > 65536) return Managed::Unknown;
        n = want;
        gids = static_cast<gid_t*>(malloc(sizeof(gid_t) * size_t(n)));
        if (!gids) return Managed::Unknown;
        if (getgrouplist(user, primary, gids, &want) < 0) {
            free(gids);
            return Managed::Unknown;
        }
    }
    n = want;
    Managed verdict = Managed::No;
    char name[256];
    for (const char* p = groups; *p && verdict == Managed::No;) {
        const char* comma = text::find(p, ',');
        size_t len = comma ? size_t(comma - p) : text::length(p);
        if (len >= sizeof name) {
            verdict = Managed::Unknown;
            break;
        }
        for (size_t i = 0; i < len; ++i) name[i] = p[i];
        name[len] = '\0';
        gid_t gid = 0;
        bool found = false;
        if (lookup_group(name, &gid, &found) != 0)
            verdict = Managed::Unknown;
        else if (found)
            for (int i = 0; i < n; ++i)
                if (gids[i] == gid) verdict = Managed::Yes;
        p = comma ? comma + 1 : p + len;
    }
    free(gids);
    return verdict;
}

}  // namespace

// root is never managed, whatever the arguments say: the module must not be
// able to lock the superuser out of a host because jitd is down.
Managed classify_user(const ModuleArgs& args, const char* user) {
    if (text::equal(user, "root")) return Managed::No;
    if (list_contains(args.managed_users, user)) return Managed::Yes;
    if (args.uid_range_count == 0 && !args.managed_groups) return Managed::No;
    uid_t uid = 0;
    gid_t gid = 0;
    bool found = false;
    if (lookup_user(user, &uid, &gid, &found) != 0) return Managed::Unknown;
    if (!found) return Managed::No;  // no such account: nothing here can let it in
    if (uid == 0) return Managed::No;
    for (int i = 0; i < args.uid_range_count; ++i)
        if (uid >= args.uid_ranges[i].first && uid <= args.uid_ranges[i].last) return Managed::Yes;
    if (args.managed_groups) return in_managed_group(args.managed_groups, user, gid);
    return Managed::No;
}

}  // namespace jit::guest
