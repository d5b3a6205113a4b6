// NSS accounts and jit groups: plain data shared by the store, the service,
// the snapshot writer and the dispatch layer (like grant.h for grants).
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "daemon/model/grant.h"
#include "jit/snapshot.h"

namespace jit::daemon {

using snapshot::Visibility;

// Where an account was declared.  A jitd.conf account follows the file (it is
// removed when the file stops naming it); a jitctl account stays until
// `jitctl account remove`.
enum class AccountOrigin : uint32_t {
    Config = 1,
    Jitctl = 2,
};

struct NssAccount {
    std::string name;
    uint32_t uid = 0;
    uint32_t gid = 0;  // the gid of the account's private group (same name)
    std::string gecos;
    std::string home;
    std::string shell;
    Visibility visibility = Visibility::Granted;
    std::vector<std::string> groups;  // jit groups it always belongs to (while visible)
    AccountOrigin origin = AccountOrigin::Jitctl;
    Time created = 0;
};

struct NssGroup {
    std::string name;
    uint32_t gid = 0;
    Time created = 0;
};

inline constexpr size_t kMaxAccountGroups = 16;  // standing groups of one account
inline constexpr size_t kMaxGrantGroups = 16;    // groups one grant adds

}  // namespace jit::daemon
