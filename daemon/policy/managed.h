// Which accounts jit manages: named users, members of named groups, uid
// ranges (the [managed] section of jitd.conf).  The matching is pure; the
// account database is injected so tests need no real users.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "daemon/config/config.h"
#include "jit/result.h"

namespace jit::daemon {

struct UserInfo {
    uid_t uid = 0;
    std::vector<gid_t> groups;  // primary and supplementary
};

class AccountDirectory {
public:
    virtual ~AccountDirectory() = default;
    // nullopt when the user does not exist; an Error when the lookup failed.
    virtual Result<std::optional<UserInfo>> user(const std::string& name) const = 0;
    virtual Result<std::optional<gid_t>> group(const std::string& name) const = 0;
    // Whether a uid (or, with group, a gid) resolves to any name.  jitd
    // allocates NSS ids only where this says no.
    virtual Result<bool> id_in_use(bool group, uint32_t id) const {
        (void)group;
        (void)id;
        return false;
    }
};

// The system's account database through NSS (getpwnam_r, getgrouplist).
class NssDirectory : public AccountDirectory {
public:
    Result<std::optional<UserInfo>> user(const std::string& name) const override;
    Result<std::optional<gid_t>> group(const std::string& name) const override;
    Result<bool> id_in_use(bool group, uint32_t id) const override;
};

enum class Membership { No, Yes, Unknown };

class ManagedAccounts {
public:
    ManagedAccounts(const Config& config, const AccountDirectory& directory)
        : users_(config.managed_users),
          groups_(config.managed_groups),
          uids_(config.managed_uids),
          directory_(directory) {}

    // Unknown when a lookup the answer depends on failed; callers deny.
    Membership classify(const std::string& user) const;
    // The accounts jitd serves through NSS: managed by declaration.
    void set_nss_accounts(std::vector<std::string> names) { nss_users_ = std::move(names); }

private:
    std::vector<std::string> users_;
    std::vector<std::string> nss_users_;
    std::vector<std::string> groups_;
    std::vector<UidRange> uids_;
    const AccountDirectory& directory_;
};

}  // namespace jit::daemon
