// The accounts and jit groups jitd serves through libnss_jit.so.2: their
// rules, their id allocation, and their reconciliation with jitd.conf.  Works
// on the injected store, clock and system account directory; knows nothing
// of sockets or the snapshot file.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/policy/managed.h"
#include "daemon/config/config.h"
#include "daemon/model/nss_account.h"
#include "jit/failure.h"
#include "daemon/store/store.h"
#include "jit/values.h"

namespace jit::daemon {

// An account to declare (jitctl account add, or an [account] section).
// Empty or absent fields take jitd's defaults; add() validates every field.
struct AccountAsk {
    std::string name;
    std::optional<uint64_t> uid;
    std::vector<std::string> groups;  // standing jit groups
    std::string home, shell, gecos;   // empty: jitd's default
    // Absent: granted.  As the wire's number, so that an unknown one is refused.
    std::optional<proto::AccountVisibility> visibility;
};

class NssRegistry {
public:
    NssRegistry(Store& store, const AccountDirectory& system, const Clock& clock)
        : store_(store), system_(system), clock_(clock) {}

    Result<void, Failure> load();
    void set_ranges(const NssConfig& nss) { nss_ = nss; }

    // jitctl account add (origin Jitctl) or an [account] section (origin Config).
    Result<NssAccount, Failure> add(const AccountAsk& request, AccountOrigin origin);
    // jitctl account remove refuses an account jitd.conf declares.
    Result<NssAccount, Failure> remove(const std::string& name, AccountOrigin by);
    // Each name is a jit group afterwards (created with a gid from gid_range
    // if new), or nothing was created and the error says why.  Names that
    // the system's group database already resolves are refused.
    Result<void, Failure> ensure_groups(const std::vector<std::string>& names);

    struct SyncNote {
        enum Kind { Added, Removed, Error } kind;
        std::string message;
    };
    // Makes the Config-origin accounts and [nss] groups match jitd.conf:
    // adds, updates and removes.  What happened, for the journal.
    std::vector<SyncNote> sync(const Config& config);

    const std::vector<NssAccount>& accounts() const { return accounts_; }
    const std::vector<NssGroup>& groups() const { return groups_; }
    std::vector<std::string> account_names() const;
    const NssAccount* find(const std::string& name) const;
    bool is_group(const std::string& name) const;
    // Whether jitd maintains the snapshot: [nss] configured, or something declared.
    bool in_use() const { return nss_.configured || !accounts_.empty() || !groups_.empty(); }
    // The jit groups created since the last call, for the caller's journal.
    std::vector<NssGroup> take_created_groups() { return std::exchange(created_, {}); }

private:
    Result<NssAccount, Failure> build(const AccountAsk& request, AccountOrigin origin);
    Result<uint32_t, Failure> pick_id(Store::IdKind kind, const std::string& name,
                                      std::optional<uint32_t> wanted,
                                      std::optional<uint32_t> prefer);
    Result<void, Failure> name_is_free(const std::string& name, bool as_group);
    Result<NssAccount, Failure> update_from_config(NssAccount& account, const AccountDecl& decl);

    Store& store_;
    const AccountDirectory& system_;
    const Clock& clock_;
    NssConfig nss_;
    std::vector<NssAccount> accounts_;  // by name
    std::vector<NssGroup> groups_;      // by name
    std::vector<NssGroup> created_;
};

// The request an [account NAME] section stands for.
AccountAsk request_for(const AccountDecl& decl);

}  // namespace jit::daemon
