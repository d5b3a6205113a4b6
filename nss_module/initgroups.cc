// initgroups: the jit groups a user belongs to now, for initgroups(3) and
// getgrouplist(3).  Works for any user name, so a grant can put an account
// from /etc/passwd into a jit group for its window.
#include <errno.h>
#include <stdlib.h>

#include "exports.h"
#include "fill.h"
#include "current_snapshot.h"

namespace {

using namespace jit::nss;
using jit::snapshot::Account;
using jit::snapshot::Group;
using jit::snapshot::Member;
using jit::snapshot::Snapshot;

struct GidList {
    long int* start;
    long int* size;
    gid_t** groups;
    long int limit;
    gid_t skip;

    // false only when the array could not grow (ENOMEM); a list at its limit
    // is left as it is, as glibc's own modules do.
    bool add(gid_t gid) {
        if (gid == skip) return true;
        for (long int i = 0; i < *start; ++i)
            if ((*groups)[i] == gid) return true;
        if (*start == *size) {
            if (limit > 0 && *size >= limit) return true;
            long int grown = *size > 0 ? *size * 2 : 16;
            if (limit > 0 && grown > limit) grown = limit;
            auto* bigger = static_cast<gid_t*>(realloc(*groups, size_t(grown) * sizeof(gid_t)));
            if (!bigger) return false;
            *groups = bigger;
            *size = grown;
        }
        (*groups)[(*start)++] = gid;
        return true;
    }
};

}  // namespace

nss_status _nss_jit_initgroups_dyn(const char* user, gid_t skip, long int* start, long int* size,
                                   gid_t** groups, long int limit, int* errnop) {
    if (!user || !start || !size || !groups) return not_found(errnop);
    CurrentSnapshot file;
    if (int error = file.acquire()) return unavailable(error, errnop);
    const Snapshot& s = file.get();
    const int64_t now = file.now();
    GidList list{start, size, groups, limit, skip};
    bool known = false;
    Account a;
    if (s.find_account(user, &a) && s.account_visible(a, now)) known = true;
    uint32_t first, last;
    s.members_named(user, &first, &last);
    for (uint32_t i = first; i < last; ++i) {
        Member m;
        Group g;
        // Checked again, record by record: a damaged table may not be sorted.
        if (!s.member(i, &m) || m.name.view() != user || !s.member_active(m, now) ||
            !s.group(m.group, &g) || g.kind != jit::snapshot::GroupKind::Jit)
            continue;
        known = true;
        if (!list.add(g.gid)) {
            *errnop = ENOMEM;
            return NSS_STATUS_TRYAGAIN;
        }
    }
    return known ? NSS_STATUS_SUCCESS : not_found(errnop);
}
