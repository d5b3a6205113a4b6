// The passwd database: jit accounts, each only while it is visible.
#include "enumeration.h"
#include "exports.h"
#include "fill.h"
#include "current_snapshot.h"

namespace {

using namespace jit::nss;
using jit::snapshot::Account;
using jit::snapshot::Snapshot;

constinit Cursor g_cursor;

// The lookup already read and checked the account's block.
nss_status answer(const CurrentSnapshot& file, bool found, const Account& a, passwd* pw, char* buf,
                  size_t len, int* errnop) {
    if (!found || !file.get().account_visible(a, file.now())) return not_found(errnop);
    if (fill_passwd(a, pw, buf, len) != Fill::Ok) return too_small(errnop);
    return NSS_STATUS_SUCCESS;
}

}  // namespace

nss_status _nss_jit_getpwnam_r(const char* name, passwd* pw, char* buf, size_t len, int* errnop) {
    if (!name) return not_found(errnop);
    CurrentSnapshot file;
    if (int error = file.acquire()) return unavailable(error, errnop);
    Account a;
    bool found = file.get().find_account(name, &a);
    return answer(file, found, a, pw, buf, len, errnop);
}

nss_status _nss_jit_getpwuid_r(uid_t uid, passwd* pw, char* buf, size_t len, int* errnop) {
    CurrentSnapshot file;
    if (int error = file.acquire()) return unavailable(error, errnop);
    Account a;
    bool found = file.get().find_account_by_uid(uid, &a);
    return answer(file, found, a, pw, buf, len, errnop);
}

nss_status _nss_jit_setpwent(int) {
    g_cursor.next.store(0, std::memory_order_release);
    return NSS_STATUS_SUCCESS;
}

nss_status _nss_jit_endpwent(void) {
    g_cursor.next.store(0, std::memory_order_release);
    return NSS_STATUS_SUCCESS;
}

nss_status _nss_jit_getpwent_r(passwd* pw, char* buf, size_t len, int* errnop) {
    return next_entry(
        g_cursor, [](const Snapshot& s) { return s.account_count(); },
        [&](const Snapshot& s, uint32_t i, int64_t now) {
            Account a;
            if (!s.account(i, &a) || !s.account_visible(a, now)) return Step::Skip;
            return fill_passwd(a, pw, buf, len) == Fill::Ok ? Step::Filled : Step::TooSmall;
        },
        errnop);
}
