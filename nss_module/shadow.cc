// The shadow database: the same accounts as passwd, password always locked.
#include "enumeration.h"
#include "exports.h"
#include "fill.h"
#include "current_snapshot.h"

namespace {

using namespace jit::nss;
using jit::snapshot::Account;
using jit::snapshot::Snapshot;

constinit Cursor g_cursor;

}  // namespace

nss_status _nss_jit_getspnam_r(const char* name, spwd* sp, char* buf, size_t len, int* errnop) {
    if (!name) return not_found(errnop);
    CurrentSnapshot file;
    if (int error = file.acquire()) return unavailable(error, errnop);
    const Snapshot& s = file.get();
    Account a;
    if (!s.find_account(name, &a) || !s.account_visible(a, file.now())) return not_found(errnop);
    if (fill_shadow(a, sp, buf, len) != Fill::Ok) return too_small(errnop);
    return NSS_STATUS_SUCCESS;
}

nss_status _nss_jit_setspent(int) {
    g_cursor.next.store(0, std::memory_order_release);
    return NSS_STATUS_SUCCESS;
}

nss_status _nss_jit_endspent(void) {
    g_cursor.next.store(0, std::memory_order_release);
    return NSS_STATUS_SUCCESS;
}

nss_status _nss_jit_getspent_r(spwd* sp, char* buf, size_t len, int* errnop) {
    return next_entry(
        g_cursor, [](const Snapshot& s) { return s.account_count(); },
        [&](const Snapshot& s, uint32_t i, int64_t now) {
            Account a;
            if (!s.account(i, &a) || !s.account_visible(a, now)) return Step::Skip;
            return fill_shadow(a, sp, buf, len) == Fill::Ok ? Step::Filled : Step::TooSmall;
        },
        errnop);
}
