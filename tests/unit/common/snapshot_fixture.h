// A small NSS world for the snapshot tests, and reseal(): recomputes every
// record check and the file checksum after a test has edited a snapshot, so
// the edit reaches the rule it targets instead of the checksums.
#pragma once

#include <vector>

#include "daemon/accounts/snapshot_writer.h"
#include "jit/snapshot.h"
#include "tests/fuzz/snapshot_reseal.h"

namespace jit::testing {

inline constexpr daemon::Time kT0 = 1'800'000'000;

inline daemon::NssAccount nss_account(const char* name, uint32_t uid, uint32_t gid,
                                      daemon::Visibility v) {
    daemon::NssAccount a;
    a.name = name;
    a.uid = uid;
    a.gid = gid;
    a.visibility = v;
    a.home = std::string("/home/") + name;
    a.shell = "/bin/sh";
    return a;
}

inline daemon::Grant nss_grant(const char* user, daemon::Time from, daemon::Time until,
                               std::vector<std::string> groups) {
    daemon::Grant g;
    g.user = user;
    g.services = {"sshd"};
    g.not_before = from;
    g.not_after = until;
    g.groups = std::move(groups);
    return g;
}

// deploy: granted twice (overlapping) with jit-sudo; ci: granted later with
// jit-ops; ops: always, standing member of jit-ops; alice: not a jit account,
// in jit-sudo by grant; and one grant long over.
inline daemon::SnapshotInput sample_input() {
    using daemon::Visibility;
    daemon::SnapshotInput in;
    in.now = kT0;
    in.groups = {{"jit-sudo", 62000, kT0}, {"jit-ops", 62001, kT0}};
    in.accounts.push_back(nss_account("deploy", 61000, 62100, Visibility::Granted));
    in.accounts.back().gecos = "Deploy bot";
    in.accounts.back().home = "/srv/deploy";
    in.accounts.back().shell = "/bin/bash";
    in.accounts.push_back(nss_account("ci", 61001, 62101, Visibility::Granted));
    in.accounts.push_back(nss_account("ops", 61002, 62102, Visibility::Always));
    in.accounts.back().groups = {"jit-ops"};
    in.grants = {nss_grant("deploy", kT0 - 60, kT0 + 900, {"jit-sudo"}),
                 nss_grant("deploy", kT0 + 600, kT0 + 1800, {"jit-sudo"}),
                 nss_grant("alice", kT0 - 60, kT0 + 900, {"jit-sudo"}),
                 nss_grant("ci", kT0 + 3600, kT0 + 7200, {"jit-ops"}),
                 nss_grant("deploy", kT0 - 7200, kT0 - 3600, {})};
    return in;
}

inline uint32_t rd32(const std::vector<uint8_t>& b, size_t at) {
    return uint32_t(b[at]) | uint32_t(b[at + 1]) << 8 | uint32_t(b[at + 2]) << 16 |
           uint32_t(b[at + 3]) << 24;
}
inline void wr32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = uint8_t(v >> (8 * i));
}
inline void wr64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
    for (int i = 0; i < 8; ++i) b[at + i] = uint8_t(v >> (8 * i));
}

// The layout a header announces; total_size 0 when it is not one.
inline snapshot::Layout layout_of(const std::vector<uint8_t>& b) {
    snapshot::Layout l{};
    if (b.size() < snapshot::kHeaderSize ||
        !snapshot::canonical_layout(rd32(b, 40), rd32(b, 44), rd32(b, 48), rd32(b, 52), rd32(b, 56),
                                    &l))
        l.total_size = 0;
    return l;
}

inline void reseal(std::vector<uint8_t>& b) {
    fuzz::reseal(b.data(), b.size());
}

}  // namespace jit::testing
