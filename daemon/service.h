// jitd's operations: check, grant, revoke, list, status and expiry.  Works on
// injected parts (store, journal, clock, account directory) and knows nothing
// of sockets or the event loop, so unit tests drive it directly.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "accounts.h"
#include "config.h"
#include "grant_book.h"
#include "journal.h"
#include "jit/messages.h"
#include "jit/request_messages.h"
#include "store.h"

namespace jit::daemon {

class RequestDesk;  // request_desk.h: requests, approvals, implicit grants
struct PolicySet;

struct Caller {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // SO_PEERGROUPS
};

struct OpError {
    int code = 0;         // errno value sent to the client
    std::string message;  // what the client shows
};

class JitService {
public:
    JitService(Store& store, Journal& journal, const Clock& clock,
               const AccountDirectory& directory, Config config);
    ~JitService();

    // Loads the active grants and records the expiry of any that ended while
    // jitd was not running.
    Result<void, OpError> load();
    void apply_config(Config config);
    const Config& config() const { return config_; }
    Journal& journal() { return journal_; }

    // Journals a refused client (permission, malformed frame).
    void refused(const Caller& caller, const std::string& what);

    // Policy: the rules in force, the desk that applies them, and explain
    // (service_policy.cc).
    void apply_policy(std::shared_ptr<const PolicySet> policy);
    RequestDesk& desk() { return *desk_; }
    Membership classify(const std::string& user) const { return managed_->classify(user); }
    msg::ExplainReply explain(const msg::ExplainQuery& query);

    bool may_check(const Caller& caller) const;
    bool may_administer(const Caller& caller) const;

    msg::CheckReply check(const Caller& caller, const msg::CheckRequest& request);
    Result<Grant, OpError> grant(const Caller& caller, const msg::GrantRequest& request);
    Result<std::vector<Grant>, OpError> revoke(const Caller& caller,
                                               const msg::RevokeRequest& request);
    Result<std::vector<Grant>, OpError> list(const msg::ListRequest& request);
    msg::StatusReply status() const;

    // Records every grant whose not_after has passed as expired.  Returns
    // false if a store write failed (the caller retries soon).
    bool expire_due();
    // The next grant expiry or request deadline (pending expiry, notice).
    std::optional<Time> next_expiry() const;
    Time now() const { return clock_.now(); }

private:
    Result<Grant, OpError> build_grant(const Caller& caller, const msg::GrantRequest& request);
    Result<void, OpError> store_new_grant(Grant* grant);
    Result<void, OpError> end_one(const Grant& grant, GrantState state, std::optional<uid_t> by,
                                  const std::string& reason);
    void journal_decision(const Caller& caller, const msg::CheckRequest& request,
                          const CheckOutcome& outcome, const std::string& rule);
    CheckOutcome check_managed(const Caller& caller, const msg::CheckRequest& request, Time now,
                               std::string* rule);

    Store& store_;
    Journal& journal_;
    const Clock& clock_;
    const AccountDirectory& directory_;
    Config config_;
    std::unique_ptr<ManagedAccounts> managed_;
    std::optional<gid_t> admin_gid_;
    GrantBook book_;
    Time started_;
    uid_t own_uid_;
    std::unique_ptr<RequestDesk> desk_;
};

}  // namespace jit::daemon
