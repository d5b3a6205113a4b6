// The group database: every jit group, with the members whose grants (or
// standing memberships) cover now, and each account's private group while the
// account is visible.
#include "enumeration.h"
#include "exports.h"
#include "fill.h"
#include "current_snapshot.h"

namespace {

using namespace jit::nss;
using jit::snapshot::Group;
using jit::snapshot::Snapshot;

constinit Cursor g_cursor;

nss_status answer(const CurrentSnapshot& file, bool found, uint32_t index, group* gr, char* buf,
                  size_t len, int* errnop) {
    const Snapshot& s = file.get();
    const int64_t now = file.now();
    Group g;
    if (!found || !s.group(index, &g) || !s.group_visible(g, now)) return not_found(errnop);
    if (fill_group(s, g, now, gr, buf, len) != Fill::Ok) return too_small(errnop);
    return NSS_STATUS_SUCCESS;
}

}  // namespace

nss_status _nss_jit_getgrnam_r(const char* name, group* gr, char* buf, size_t len, int* errnop) {
    if (!name) return not_found(errnop);
    CurrentSnapshot file;
    if (int error = file.acquire()) return unavailable(error, errnop);
    uint32_t index = 0;
    bool found = file.get().find_group(name, &index);
    return answer(file, found, index, gr, buf, len, errnop);
}

nss_status _nss_jit_getgrgid_r(gid_t gid, group* gr, char* buf, size_t len, int* errnop) {
    CurrentSnapshot file;
    if (int error = file.acquire()) return unavailable(error, errnop);
    uint32_t index = 0;
    bool found = file.get().find_group_by_gid(gid, &index);
    return answer(file, found, index, gr, buf, len, errnop);
}

nss_status _nss_jit_setgrent(int) {
    g_cursor.next.store(0, std::memory_order_release);
    return NSS_STATUS_SUCCESS;
}

nss_status _nss_jit_endgrent(void) {
    g_cursor.next.store(0, std::memory_order_release);
    return NSS_STATUS_SUCCESS;
}

nss_status _nss_jit_getgrent_r(group* gr, char* buf, size_t len, int* errnop) {
    return next_entry(
        g_cursor, [](const Snapshot& s) { return s.group_count(); },
        [&](const Snapshot& s, uint32_t i, int64_t now) {
            Group g;
            if (!s.group(i, &g) || !s.group_visible(g, now)) return Step::Skip;
            return fill_group(s, g, now, gr, buf, len) == Fill::Ok ? Step::Filled : Step::TooSmall;
        },
        errnop);
}
