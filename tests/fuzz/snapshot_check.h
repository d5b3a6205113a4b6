// The properties the NSS snapshot reader (and the module's fill code on top
// of it) must hold for ANY input bytes.  Shared by the libFuzzer target
// (snapshot_fuzz.cc), which aborts on a violation, and by the corpus replay
// unit test, which reports it.
//
// For every input:
//   - Snapshot::open either accepts it or fails with EBADMSG/EMSGSIZE and a
//     reason; verify() on an opened file either passes or fails with EBADMSG
//     and a reason;
//   - on any opened file, verified or not, every accessor, lookup and
//     visibility test, and the module's fill_passwd/fill_shadow/fill_group
//     into buffers of exact small sizes, stay inside their memory (ASan and
//     UBSan in the fuzzer, the sanitize layer for the replay);
//   - on a verified file the answers are consistent: every record reads,
//     every name and id lookup finds the record it came from, every group's
//     members are its own, and the fill functions copy exactly the record.
#pragma once

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <shadow.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <string_view>

#include "jit/snapshot.h"
#include "nss_module/fill.h"

namespace jit::fuzz {

struct SnapshotVerdict {
    bool opened = false;
    bool verified = false;
    const char* violation = nullptr;
};

namespace snapshot_detail {

using namespace jit::snapshot;

constexpr int64_t kTimes[] = {INT64_MIN, -1, 0, 1'800'000'000, INT64_MAX - 1};
constexpr size_t kBufferSizes[] = {0, 1, 7, 40, 200, 4096};

// Runs fill into a heap buffer of exactly len bytes: any overrun is a
// sanitizer report, not a silent write into a larger stack buffer.
template <typename Fill>
nss::Fill fill_exact(size_t len, Fill fill) {
    char* buf = len ? static_cast<char*>(malloc(len)) : nullptr;
    nss::Fill r = fill(buf, len);
    free(buf);
    return r;
}

inline void exercise_fills(const Snapshot& s, const Account* a, const Group* g) {
    for (size_t len : kBufferSizes) {
        if (a) {
            passwd pw;
            spwd sp;
            fill_exact(len, [&](char* b, size_t l) { return nss::fill_passwd(*a, &pw, b, l); });
            fill_exact(len, [&](char* b, size_t l) { return nss::fill_shadow(*a, &sp, b, l); });
        }
        if (g) {
            group gr;
            for (int64_t t : {kTimes[0], kTimes[3]})
                fill_exact(len,
                           [&](char* b, size_t l) { return nss::fill_group(s, *g, t, &gr, b, l); });
        }
    }
}

// Every read the module can make, on a file that may not be verified.
inline void exercise_everything(const Snapshot& s) {
    const uint32_t limit = 64;  // records tried per table (plus past-the-end)
    uint32_t idx, first, last;
    for (uint32_t i = 0; i < limit + 2; ++i) {
        Account a;
        Group g;
        Member m;
        Window w;
        bool have_a = s.account(i, &a), have_g = s.group(i, &g);
        for (uint32_t k = 0; have_a && k < a.window_count && k < limit; ++k) s.window(a, k, &w);
        s.window(a, a.window_count, &w);  // past the end
        if (s.member(i, &m)) {
            for (int64_t t : kTimes) s.member_active(m, t);
            s.members_named(m.name.view(), &first, &last);
        }
        if (have_a) {
            for (int64_t t : kTimes) s.account_visible(a, t);
            s.find_account(a.name.view(), &idx);
            s.find_account_by_uid(a.uid, &idx);
            s.members_named(a.name.view(), &first, &last);
        }
        if (have_g) {
            for (int64_t t : kTimes) s.group_visible(g, t);
            s.find_group(g.name.view(), &idx);
            s.find_group_by_gid(g.gid, &idx);
            for (uint32_t k = 0; k < g.member_count && k < limit; ++k) s.group_member(g, k, &m);
        }
        exercise_fills(s, have_a ? &a : nullptr, have_g ? &g : nullptr);
    }
    for (std::string_view name : {"", "a", "deploy", "zzzzzzzz"}) {
        s.find_account(name, &idx);
        s.find_group(name, &idx);
        s.members_named(name, &first, &last);
    }
    for (uint32_t id : {0u, 1u, 60500u, 0xffffffffu}) {
        s.find_account_by_uid(id, &idx);
        s.find_group_by_gid(id, &idx);
    }
}

inline const char* check_accounts(const Snapshot& s) {
    for (uint32_t i = 0; i < s.account_count(); ++i) {
        Account a;
        uint32_t idx;
        if (!s.account(i, &a)) return "a verified file has an unreadable account";
        if (!s.find_account(a.name.view(), &idx) || idx != i)
            return "an account is not found by its name";
        if (!s.find_account_by_uid(a.uid, &idx) || idx != i)
            return "an account is not found by its uid";
        Group g;
        if (!s.find_group(a.name.view(), &idx) || !s.group(idx, &g) ||
            g.kind != GroupKind::Private || g.owner != i || g.gid != a.gid)
            return "an account has no private group of its name and gid";
        passwd pw;
        char buf[4096];
        if (nss::fill_passwd(a, &pw, buf, sizeof buf) != nss::Fill::Ok ||
            std::string_view(pw.pw_name) != a.name.view() || pw.pw_uid != a.uid ||
            pw.pw_gid != a.gid || std::string_view(pw.pw_dir) != a.home.view() ||
            std::string_view(pw.pw_shell) != a.shell.view() ||
            std::string_view(pw.pw_gecos) != a.gecos.view())
            return "fill_passwd does not copy the account exactly";
    }
    return nullptr;
}

inline const char* check_groups(const Snapshot& s) {
    for (uint32_t i = 0; i < s.group_count(); ++i) {
        Group g;
        uint32_t idx;
        if (!s.group(i, &g)) return "a verified file has an unreadable group";
        if (!s.find_group(g.name.view(), &idx) || idx != i) return "a group is not found by name";
        if (!s.find_group_by_gid(g.gid, &idx) || idx != i) return "a group is not found by gid";
        for (uint32_t k = 0; k < g.member_count; ++k) {
            Member m;
            if (!s.group_member(g, k, &m) || m.group != i)
                return "a group lists a membership that is not its own";
        }
        group gr;
        static char buf[1 << 16];
        if (g.member_count < 512 &&
            nss::fill_group(s, g, kTimes[3], &gr, buf, sizeof buf) == nss::Fill::Ok) {
            if (std::string_view(gr.gr_name) != g.name.view() || gr.gr_gid != g.gid)
                return "fill_group does not copy the group exactly";
            for (char** member = gr.gr_mem; *member; ++member) {
                uint32_t a, b;
                s.members_named(*member, &a, &b);
                bool found = false;
                for (uint32_t k = a; k < b && !found; ++k) {
                    Member m;
                    found = s.member(k, &m) && m.group == i && s.member_active(m, kTimes[3]);
                }
                if (!found) return "fill_group lists a member that is not active in the group";
            }
        }
    }
    return nullptr;
}

inline const char* check_members(const Snapshot& s) {
    for (uint32_t i = 0; i < s.member_count(); ++i) {
        Member m;
        uint32_t first, last;
        if (!s.member(i, &m)) return "a verified file has an unreadable membership";
        s.members_named(m.name.view(), &first, &last);
        if (i < first || i >= last) return "a membership is not found by its name";
        if (m.account != kNoAccount) {
            Account a;
            if (!s.account(m.account, &a) || a.name.view() != m.name.view())
                return "a membership references another account";
        }
        for (int64_t t : kTimes)
            if (s.member_active(m, t) && !m.window.covers(t))
                return "a membership is active outside its window";
    }
    return nullptr;
}

}  // namespace snapshot_detail

inline SnapshotVerdict check_snapshot(const uint8_t* data, size_t len) {
    using namespace snapshot_detail;
    SnapshotVerdict v;
    auto opened = Snapshot::open(data, len);
    if (!opened) {
        const Error& e = opened.error();
        if (e.code != EBADMSG && e.code != EMSGSIZE) v.violation = "open failed with another errno";
        if (!e.what || !*e.what) v.violation = "open failed without a reason";
        return v;
    }
    v.opened = true;
    exercise_everything(*opened);
    auto verified = opened->verify();
    if (!verified) {
        if (verified.error().code != EBADMSG) v.violation = "verify failed with another errno";
        if (!verified.error().what || !*verified.error().what)
            v.violation = "verify failed without a reason";
        return v;
    }
    v.verified = true;
    if (const char* bad = check_accounts(*opened)) v.violation = bad;
    if (const char* bad = check_groups(*opened); bad && !v.violation) v.violation = bad;
    if (const char* bad = check_members(*opened); bad && !v.violation) v.violation = bad;
    return v;
}

}  // namespace jit::fuzz
