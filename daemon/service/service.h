// jitd's operations: check, grant, revoke, list, status and expiry.  Works on
// injected parts (store, journal, clock, account directory) and knows nothing
// of sockets or the event loop, so unit tests drive it directly.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/accounts/nss_publisher.h"
#include "daemon/accounts/nss_registry.h"
#include "daemon/base/caller.h"
#include "jit/failure.h"
#include "daemon/config/config.h"
#include "daemon/events/journal.h"
#include "daemon/ledger/grant_journal.h"
#include "daemon/ledger/grant_ledger.h"
#include "daemon/model/request.h"
#include "daemon/policy/managed.h"
#include "daemon/policy/policy_eval.h"
#include "daemon/model/command.h"
#include "daemon/store/store.h"
#include "jit/values.h"

namespace jit::daemon {

class RequestDesk;  // request_desk.h: requests, approvals, implicit grants
struct PolicySet;

class SessionService;

// The answer to one sudo command (service_command.cc).
struct CommandOutcome {
    bool allow = false;
    std::string reason;
    std::string grant_id;
    std::string pattern;  // the command pattern that matched, if a scope did
    Time not_after = 0;
};

// Validates a requested command scope and puts it on g (which names its
// services already): patterns (jit-policy(5)) and runas accounts.
Result<void, Failure> apply_command_scope(const std::vector<std::string>& commands,
                                          const std::vector<std::string>& runas, Grant* g);

// The session side: told of every grant created or ended (coverage of
// sessions may have changed) by the ledger it subscribes to, and of every
// admission by the check.  Called synchronously.
class GrantObserver : public GrantListener {
public:
    // A check allowed the caller under grant (an admission); a session open
    // from the same process follows.
    virtual void admitted(const Caller& caller, const CheckQuery& query, const Grant& grant) = 0;
};

// What a PAM account check asks (CHECK_REQUEST), and its answer.
struct CheckAsk {
    std::string user, service, rhost, tty, ruser;
};
struct CheckAnswer {
    proto::Decision decision = proto::Decision::Deny;
    std::string reason;
    std::string grant_id;           // set when allowed
    std::optional<Time> not_after;  // set when allowed
    std::string rule;               // what decided (a rule, "grant", "unmanaged", ...)
};

// Which grants (or sessions) jitctl list asks for.
struct ListAsk {
    std::string user;  // empty: everyone's
    bool include_ended = false;
};

// What jitctl status shows.
struct StatusReport {
    std::string version;
    pid_t pid = 0;
    uint64_t uptime = 0;  // seconds
    Time now = 0;
    uint64_t active_grants = 0;
    std::string state_dir;
    uint64_t schema_version = 0;
    std::vector<std::string> managed_users, managed_groups, managed_uids;
};

// What jitctl grant asks for; grant() validates every field.
struct GrantAsk {
    std::string user;
    std::vector<std::string> services;
    std::string reason;
    std::string source;                         // CIDR; empty: any
    std::optional<uint64_t> duration;           // from now, or else
    std::optional<Time> not_before, not_after;  // a window
    bool until_session_end = false;
    std::optional<uint64_t> uses;
    std::vector<std::string> groups;           // jit groups for the window
    std::vector<std::string> commands, runas;  // sudo command scope (jit-policy(5) COMMANDS)
    std::string fleet_id;                      // jit-fleet's mirror: the fleet grant's id
};

// What jitctl revoke asks for: one grant, or every grant of a user.
struct RevokeAsk {
    std::string grant_id;  // exactly one of grant_id and user
    std::string user;
    std::string reason;
};

// What explain answers: the check's plan for a user, service and source at
// a time, rule by rule, with the pending requests that would change it.
struct ExplainQuestion {
    std::string user, service, rhost;
    std::optional<Time> at;  // none: now
    // A verified workload token (explain --id-token): the rules for its
    // issuer are judged against it.  Not spent.
    const identity::VerifiedToken* identity = nullptr;
};
struct Explanation {
    Time now = 0, at = 0;
    bool managed = false;
    bool allow = false;
    std::string reason, rule, grant_id;
    std::optional<Time> not_after;  // when allowed
    struct RuleLine {
        std::string name, kind, origin, outcome;
    };
    struct ConditionLine {
        std::string rule, name;
        CondState state;
        std::string detail;
    };
    std::vector<RuleLine> rules;
    std::vector<ConditionLine> conditions;
    std::vector<Request> pending;
};

class JitService {
public:
    JitService(Store& store, Journal& journal, const Clock& clock,
               const AccountDirectory& directory, Config config);
    ~JitService();

    // Loads the active grants and records the expiry of any that ended while
    // jitd was not running.
    Result<void, Failure> load();
    void apply_config(Config config);
    const Config& config() const { return config_; }
    Journal& journal() { return journal_; }
    // Work that follows a decision without deciding it (its journal entry;
    // recording a checked process's admission: a pidfd and its inode): with
    // deferral on (the server), it waits until run_after_answer(), which the
    // server calls once the answer is sent and before the connection closes,
    // or before the answer waits for its audit record (which the entry
    // makes); off (the default), it runs at once.
    void defer_after_answer(bool on) { defer_after_answer_ = on; }
    void run_after_answer();
    // For reads of table families the service does not own (the audit log).
    Store& store() { return store_; }

    // Journals a refused client (permission, malformed frame).
    void refused(const Caller& caller, const std::string& what);
    // The reply to a request (what: e.g. "check (request 7)") never reached
    // its caller, who gave up first: the answer journaled for it did not
    // take effect.
    void reply_lost(const Caller& caller, const std::string& what, const std::string& why);

    // Policy: the rules in force, the desk that applies them, and explain
    // (service_policy.cc).
    void apply_policy(std::shared_ptr<const PolicySet> policy);
    RequestDesk& desk() { return *desk_; }
    const AccountDirectory& directory() const { return directory_; }
    Membership classify(const std::string& user) const { return managed_->classify(user); }
    Explanation explain(const ExplainQuestion& question);

    bool may_check(const Caller& caller) const;
    bool may_administer(const Caller& caller) const;

    CheckAnswer check(const Caller& caller, CheckAsk request);
    // jit_sudo.so's question: this command, through sudo, now (service_command.cc).
    CheckAnswer check_command(const Caller& caller, const CommandAsk& request);
    // jit_sudo.so's audit record: how an approved command ended (service_command_exit.cc).
    void record_command_exit(const Caller& caller, const CommandEnd& request);
    Result<Grant, Failure> grant(const Caller& caller, const GrantAsk& request);
    Result<std::vector<Grant>, Failure> revoke(const Caller& caller, const RevokeAsk& request);
    Result<std::vector<Grant>, Failure> list(const ListAsk& request);
    // LIST with FleetAfter: up to max active grants that mirror a fleet
    // grant, in fleet id order, after `after` (from the book, not the store:
    // jit-fleet takes them back after a restart, 10,000 and more).
    std::vector<Grant> fleet_page(const std::string& after, size_t max);
    StatusReport status() const;
    // jit-fleet's heartbeat (FLEET_FRESH): fleet grants may decide until
    // `until`, capped at now + [fleet] max_staleness.  Returns the time
    // applied.  Journals the end of a stale episode.
    Time fleet_fresh(const Caller& caller, Time until);

    // Records every grant whose not_after has passed as expired.  Returns
    // false if a store write failed (the caller retries soon).
    bool expire_due();
    // The next grant expiry, request deadline (pending expiry, notice), or
    // the end of jit-fleet's word, when running fleet sessions are judged.
    std::optional<Time> next_expiry() const;
    Time now() const { return clock_.now(); }

    // ---- for the session side (session_service.cc) ----
    // The observer also subscribes to the ledger's grant changes.
    void set_observer(GrantObserver* observer);
    GrantLedger& ledger() { return ledger_; }
    void attach_sessions(SessionService* sessions) { sessions_ = sessions; }
    SessionService* sessions() const { return sessions_; }
    const GrantBook& book() const { return ledger_.book(); }
    // The admission decision for a managed account: the check, and for a
    // use-limited grant one use taken durably before the allow is returned.
    CheckOutcome admit(const CheckQuery& query);
    // For an allow under a use-limited grant: takes one use, durably, or
    // turns the allow into a denial when none is left or it cannot be recorded.
    // The user manager (kUserManagerService) never takes one.
    CheckOutcome count_use(CheckOutcome outcome, const std::string& service);
    // Ends an until-session-end grant because its session closed.
    Result<void, Failure> end_with_session(const std::string& grant_id, const std::string& reason);
    // ---- NSS accounts and the snapshot (service_accounts.cc) ----
    // Where the snapshot goes; none (the default) writes nothing.
    void set_snapshot_sink(SnapshotSink* sink) { publisher_.set_sink(sink); }
    Result<NssAccount, Failure> add_account(const Caller& caller, const AccountAsk& request);
    Result<NssAccount, Failure> remove_account(const Caller& caller, const std::string& name);
    const std::vector<NssAccount>& accounts() const { return nss_.accounts(); }
    // Publishes the snapshot (at once, or through the background writer), if
    // jitd serves NSS at all (see NssRegistry::in_use).
    void publish_nss();
    // When publish_nss() must run next: a window edge or a retry.
    std::optional<Time> next_nss_wakeup() const { return publisher_.next_wakeup(); }
    // The snapshot is written by a forked child from now on (NssPublisher).
    void write_nss_in_background(sd_event* event, std::function<void()> settled) {
        publisher_.write_in_background(event, std::move(settled));
    }
    // Publications asked for, and finished: a reply to a request that asked
    // for one waits until it is finished (Server).
    uint64_t nss_requested() const { return publisher_.requested(); }
    uint64_t nss_settled() const { return publisher_.settled(); }
    uint64_t snapshots_written() const { return publisher_.written(); }

private:
    // Applies jitd.conf's accounts; at startup any error is fatal.
    Result<void, Failure> sync_nss(bool startup);
    void journal_created_groups();
    Result<void, Failure> check_grant_groups(const GrantAsk& request, Grant* grant);
    Result<Grant, Failure> build_grant(const Caller& caller, const GrantAsk& request);
    void after_answer(std::function<void()> work);
    void journal_decision(const Caller& caller, const CheckAsk& request,
                          const CheckOutcome& outcome, const std::string& rule);
    CommandOutcome judge_sudo_command(const CommandAsk& request, Time now);
    struct SudoMatch;
    SudoMatch match_sudo_grants(const CommandAsk& request, Time now);
    CommandOutcome take_sudo_use(const Grant& chosen, CommandOutcome out);
    void journal_command(const Caller& caller, const CommandAsk& request,
                         const CommandOutcome& outcome, const std::string& rule);
    CheckOutcome check_managed(const Caller& caller, const CheckAsk& request, Time now,
                               std::string* rule);
    // A decision refused a fleet grant as stale: journaled once per episode.
    void note_fleet_stale(const std::string& grant_id);

    Store& store_;
    Journal& journal_;
    const Clock& clock_;
    const AccountDirectory& directory_;
    Config config_;
    std::unique_ptr<ManagedAccounts> managed_;
    std::optional<gid_t> admin_gid_;
    Time started_;
    uid_t own_uid_;
    GrantLedger ledger_;
    bool defer_after_answer_ = false;
    std::vector<std::function<void()>> after_answer_;
    GrantJournal grant_journal_;
    // The NSS snapshot's subscription: written once per settled change.
    struct NssOnGrants : GrantListener {
        explicit NssOnGrants(JitService& s) : service(s) {}
        void grant_changed(const GrantChange&) override {}
        void grants_settled() override { service.publish_nss(); }
        JitService& service;
    } nss_on_grants_{*this};
    GrantObserver* observer_ = nullptr;
    SessionService* sessions_ = nullptr;
    NssRegistry nss_;
    NssPublisher publisher_;
    bool loaded_ = false;
    bool fleet_stale_noted_ = false;  // this stale episode is journaled
    std::unique_ptr<RequestDesk> desk_;
};

}  // namespace jit::daemon
