// Filling the caller's struct passwd / group / spwd from the snapshot, with
// every string and pointer carved out of the caller's buffer.  A buffer that
// is too small is reported, never overrun: the entry points turn it into
// NSS_STATUS_TRYAGAIN with *errnop = ERANGE, and glibc retries larger.
#pragma once

#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <shadow.h>
#include <stddef.h>
#include <stdint.h>

#include "jit/snapshot.h"

namespace jit::nss {

class BufferCarver {
public:
    BufferCarver(char* buf, size_t len) : p_(buf), left_(buf ? len : 0) {}
    // A NUL-terminated copy, or nullptr when it does not fit.
    char* copy(const char* s, size_t len);
    char* copy(const snapshot::Text& t) { return copy(t.data, t.len); }
    // An aligned array of n pointers, or nullptr when it does not fit.
    char** pointers(size_t n);

private:
    char* p_;
    size_t left_;
};

enum class Fill { Ok, TooSmall };

Fill fill_passwd(const snapshot::Account& a, passwd* pw, char* buf, size_t len);
Fill fill_shadow(const snapshot::Account& a, spwd* sp, char* buf, size_t len);
// Members are the memberships of the group active at now.
Fill fill_group(const snapshot::Snapshot& s, const snapshot::Group& g, int64_t now, group* gr,
                char* buf, size_t len);

// The status for a snapshot that MappedSnapshot::open() refused.
nss_status unavailable(int error, int* errnop);
// The status for a buffer that was too small.
nss_status too_small(int* errnop);
// The status for "not ours".
nss_status not_found(int* errnop);

}  // namespace jit::nss
