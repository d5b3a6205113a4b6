// Requests and approvals: jitd's side of policy.  The desk turns a request
// into a policy decision (decide_request), keeps pending requests until
// enough approvers agree, someone denies or cancels, or they expire; has the
// grant ledger create the grants policy allows (auto-approved, approved,
// implicit) in the same transaction as the request's new state; keeps the
// per-account risk baseline; and journals and notifies every step of a
// request.  It subscribes to the ledger for what it keeps about grants
// (grant-ending notices, the baseline).  Like JitService it knows nothing of
// sockets or the event loop: time comes from the injected clock and the
// runtime calls expire_due() when next_deadline() comes.
//
// It may call the ledger, policy, store, events and below; not the service.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "daemon/base/caller.h"
#include "jit/failure.h"
#include "daemon/events/journal.h"
#include "daemon/events/notify.h"
#include "daemon/ledger/grant_ledger.h"
#include "daemon/policy/managed.h"
#include "daemon/policy/policy_eval.h"
#include "daemon/store/request_store.h"

namespace jit::daemon {

class RequestDesk : public PolicyHistory, public GrantListener {
public:
    using Classifier = std::function<Membership(const std::string& user)>;

    RequestDesk(Store& store, Journal& journal, const Clock& clock,
                const AccountDirectory& directory, GrantLedger& ledger, Classifier classify);
    ~RequestDesk() override;

    // Pending requests and the baseline from the store (after the ledger's load).
    Result<void, Failure> load();
    void set_policy(std::shared_ptr<const PolicySet> policy);
    const PolicySet& policy() const { return *policy_; }
    std::shared_ptr<const PolicySet> policy_ptr() const { return policy_; }
    // Where notifications go (nullptr: nowhere) and how long before a grant
    // ends "grant-ending" is sent.
    void set_notifier(Notifier* notifier, Time ending_lead);

    // The issuers whose tokens are accepted, with their key sets (null: none).
    void set_issuers(std::shared_ptr<const std::vector<identity::Issuer>> issuers);
    std::shared_ptr<const std::vector<identity::Issuer>> issuers() const { return issuers_; }
    // Verifies a workload token for a request or explain about user at now,
    // and refuses one spent before; a refusal is journaled (with the token's
    // digest, never the token) and comes back as EACCES naming the reason.
    Result<identity::VerifiedToken, Failure> verify_token(const std::string& token,
                                                          const std::string& user, Time now);

    Result<Request, Failure> create(const Caller& caller, const RequestAsk& m);
    // IDENTITY_LOGIN (pam_jit's auth phase): the token is the request for
    // user on service from rhost, judged like REQUEST_CREATE with it; the
    // same token asked again (the module re-asks while approvers decide) is
    // answered with the state of the request it made (identity_login.cc).
    struct LoginAnswer {
        bool allow = false;
        std::string grant_id, request_id, message;
        Time not_after = 0;
    };
    LoginAnswer login(const Caller& caller, const LoginAsk& m);
    Result<Request, Failure> approve(const Caller& caller, const RequestStep& m);
    Result<Request, Failure> deny(const Caller& caller, const RequestStep& m);
    Result<Request, Failure> cancel(const Caller& caller, const RequestStep& m, bool administrator);
    Result<Request, Failure> show(const std::string& id);
    Result<std::vector<Request>, Failure> list(const RequestFilter& q);
    // Pending requests for user that name service (for explain).
    std::vector<Request> pending_for(const std::string& user, const std::string& service) const;

    // The check path for a managed account; explain calls it too.
    CheckPlan plan(const CheckQuestion& q, Time at, bool explain) const;
    // Records the implicit grant a plan asks for; the check denies if this fails.
    Result<Grant, Failure> create_implicit(const Caller& caller, const CheckQuestion& q,
                                           const ImplicitGrant& implicit);
    // An allowed check: the source and hour join the account's baseline.
    // Noted at once, for every decision after it (baseline() counts it);
    // learned, and written when new, by learn_observed(), which the check
    // runs after its answer has gone (deriving the source key was most of
    // what observe_use cost).  Anything else that changes the baseline
    // learns the noted uses first.
    void observe_use(const std::string& user, const std::string& rhost, Time now);
    void learn_observed();

    // Expires pending requests, sends grant-ending notices and writes the
    // baseline's counts.  False if a store write failed (retry soon).
    bool expire_due();
    std::optional<Time> next_deadline() const;

    // PolicyHistory, for decide_request and plan_check.
    size_t active_grants(const std::string& rule, const std::string& user) const override;
    size_t created_since(const std::string& rule, const std::string& user,
                         Time since) const override;
    Baseline baseline(const std::string& user) const override;

    // GrantListener: notices and the baseline follow the ledger's grants.
    void grant_changed(const GrantChange& change) override;

private:
    struct Decided;  // the parts of an approval's grant
    Result<Request, Failure> build_request(const Caller& caller, const RequestAsk& m, Time now);
    Result<Request, Failure> create_as(const Caller& caller, const RequestAsk& m,
                                       const identity::VerifiedToken* token, Time now);
    Result<Request, Failure> create_approved(Request r, uid_t granted_by);
    // The token's signature and claims, not whether it was spent.
    Result<identity::VerifiedToken, Failure> verify_signed(const std::string& token,
                                                           const std::string& user, Time now);
    Result<bool, Failure> is_spent(const identity::VerifiedToken& t, Time now);
    // The answer for a login whose token already made a request.
    LoginAnswer login_again(const LoginAsk& m, const identity::VerifiedToken& t);
    RequestAsk login_request(const LoginAsk& m, const identity::VerifiedToken& t) const;
    LoginAnswer answer_for(const Request& r) const;
    LoginAnswer claimed(LoginAnswer a, const LoginAsk& m, const identity::VerifiedToken& t);
    Result<Request, Failure> store_pending(Request r, const std::string& why);
    Failure token_refused(const std::string& user, const std::string& reason,
                          const std::string& detail, const std::string& digest);
    // The token's workload and the claims rule matched, on r; and the replay
    // keys r's first write spends.
    void bind_identity(Request* r, const identity::VerifiedToken& t, const Rule* rule) const;
    Result<Request, Failure> pending_request(const std::string& id) const;
    Result<void, Failure> may_decide(const Caller& caller, const Request& r);
    Result<Request, Failure> narrowed(const Request& r, const RequestStep& m) const;
    Result<Grant, Failure> grant_for(const Request& r, uid_t by, Time now);
    // Writes the grant (through the ledger), the request's rows (write) and
    // their audit records in one transaction; sets r->grant_id; once
    // committed, journals RequestApproved (what, extra).
    using RowWriter = std::function<Result<void, Failure>(StoreTx&, const Request&)>;
    Result<void, Failure> commit_with_grant(Request* r, Grant g, const RowWriter& write,
                                            const std::string& failure, const std::string& what,
                                            const std::string& extra = "");
    static GrantOrigin origin_of(const Request& r);
    // Writes a request's rows (write) and the entry's audit record in one
    // transaction; once committed, journals the entry, naming its record.
    // The error's message is the store's detail; its code the writer's.
    using TxWriter = std::function<Result<void, Failure>(StoreTx&)>;
    Result<void, Failure> commit_journaled(const TxWriter& write, JournalEntry entry);
    // Moves r out of pending with its audit record (event, what) in one
    // transaction, and journals it.
    Result<Request, Failure> finish(Request r, RequestState state, const Caller& caller,
                                    const std::string& comment, const Approval* vote, Event event,
                                    const std::string& what);
    void learn(const std::string& user, const std::string& key, Time when);
    void remember(const std::string& user, const std::string& key);
    bool flush_baseline();
    void send(const std::string& event, const Request& r);
    void journal_request(Event e, int priority, const std::string& what, const Request& r,
                         const std::string& extra = "");
    static JournalEntry request_entry(Event e, int priority, const std::string& what,
                                      const Request& r, const std::string& extra);

    Store& store_;
    mutable RequestStore requests_;
    Journal& journal_;
    const Clock& clock_;
    const AccountDirectory& directory_;
    GrantLedger& ledger_;
    Classifier classify_;
    std::shared_ptr<const PolicySet> policy_;
    std::shared_ptr<const std::vector<identity::Issuer>> issuers_;
    Notifier* notifier_ = nullptr;
    Time ending_lead_ = 300;

    std::map<std::string, Request> pending_;     // by id
    std::set<std::string> warned_;               // grants told "ending"
    std::map<std::string, Baseline> baselines_;  // by user
    struct Use {
        std::string user, rhost;
        Time when;
    };
    std::vector<Use> observed_;  // noted, not yet learned (observe_use)
    std::vector<Use> learning_;  // being learned (learn_observed)
    std::map<std::tuple<std::string, std::string, std::string>, uint32_t> unsaved_;
    Time flush_at_ = 0;  // 0: nothing unsaved
};

}  // namespace jit::daemon
