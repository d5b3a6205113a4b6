// The one owner of grants.  The grant ledger alone holds the grant book and
// alone writes the grant tables (grants, grant_services, grant_limits,
// grant_groups; through the Store's grant writers), inside the caller's
// StoreTx when the grant is part of a larger change, so a request's approval
// and its grant commit together.  Every path that makes a grant (jitctl
// grant, an auto-approved or approved request, an implicit grant at a PAM
// check) or ends one (revoke, expiry, until-session-end) goes through it,
// and so does taking a use of a use-limited grant.  Once a change is
// durable it tells its listeners: the journal (GrantJournal), the sessions,
// the NSS snapshot and the request desk hang off that one event, so no path
// can forget one of them.
//
// Each change carries its journal entry in its transaction (StoreTx::audit),
// so the audit log records it in the same commit.
//
// It may call the store, the journal (for its own write failures), the grant
// book and the model; it knows nothing of requests, policy, NSS or sockets.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jit/failure.h"
#include "daemon/events/journal.h"
#include "daemon/grants/grant_book.h"
#include "daemon/store/store.h"

namespace jit::daemon {

// Where a grant came from: for its journal entries and notices.
struct GrantOrigin {
    std::string rule = "manual-grant";  // the policy rule, or manual-grant
    std::string request_id;             // the request, when policy made the grant
    uid_t requester = 0;                // who asked (jitctl grant: who granted)
    std::string approvers;              // uids that approved, comma-separated
    std::string ticket;
    std::string request_reason;  // the request's own reason (may be empty)
    bool from_request() const { return !request_id.empty(); }
};

// The one event: a grant was created or ended (and the change is durable).
struct GrantChange {
    enum class Kind { Created, Ended };
    Kind kind;
    const Grant& grant;  // Ended: state, ended_at, ended_by and end_reason filled in
    const GrantOrigin& origin;
    // The change's record in the audit log, written in its transaction
    // (none when the log is off).
    std::optional<uint64_t> audit_seq;
};

class GrantListener {
public:
    virtual ~GrantListener() = default;
    virtual void grant_changed(const GrantChange& change) = 0;
    // Once the operation that made changes is over (one grant, or several as
    // at expiry or revoke by user): for work done once per operation, such
    // as writing the NSS snapshot.
    virtual void grants_settled() {}
};

class GrantLedger {
public:
    GrantLedger(Store& store, Journal& journal, const Clock& clock);

    // The active grants and where each came from.  Grants recorded as
    // created in the future are journaled and ignored.
    Result<void, Failure> load();
    // Listeners are told in the order they subscribed.
    void subscribe(GrantListener* listener);
    void unsubscribe(GrantListener* listener);

    const GrantBook& book() const { return book_; }
    // Until when fleet grants decide checks (GrantBook::set_fleet_fresh_until).
    void set_fleet_fresh_until(Time t) { book_.set_fleet_fresh_until(t); }
    void set_fleet_restart_grace(Time t) { book_.set_fleet_restart_grace(t); }
    // manual-grant for a grant that no request made.
    const GrantOrigin& origin(const std::string& grant_id) const;

    // Gives g a fresh id and writes it whole inside tx; once tx commits, the
    // grant joins the book and the listeners are told.  Nothing happens to
    // the book if tx is rolled back.  EIO: the store failed, and the
    // message is the store's own words, for the caller to journal and wrap.
    Result<Grant, Failure> create(StoreTx& tx, Grant g, GrantOrigin origin);
    // The same in a transaction of its own: durable when it returns.
    Result<Grant, Failure> create(Grant g, GrantOrigin origin);
    // Ends an active grant, durably: Revoked (by whom, why) or Expired (why,
    // e.g. its session closed).  EALREADY if it is no longer active.
    Result<Grant, Failure> end(const std::string& id, GrantState state, std::optional<uid_t> by,
                               const std::string& reason);
    // Expires every grant whose not_after has passed.  False if a store
    // write failed (the caller retries soon).
    bool expire_due();
    // Takes one use of a use-limited grant, durably, before the allow it
    // backs goes out.  EDQUOT when none is left; other codes: not recorded.
    // The last use does not end the grant: the session it admitted lives on.
    Result<uint32_t, Failure> take_use(const std::string& grant_id);

    // Holds grants_settled() until the last Batch of a nested set ends.
    class [[nodiscard]] Batch {
    public:
        explicit Batch(GrantLedger& ledger) : ledger_(ledger) { ++ledger_.depth_; }
        ~Batch() {
            if (--ledger_.depth_ == 0) ledger_.settle();
        }
        Batch(const Batch&) = delete;
        Batch& operator=(const Batch&) = delete;

    private:
        GrantLedger& ledger_;
    };
    Batch batch() { return Batch(*this); }

private:
    void added(const Grant& g, const GrantOrigin& origin, std::optional<uint64_t> audit_seq);
    void emit(GrantChange::Kind kind, const Grant& g, const GrantOrigin& origin,
              std::optional<uint64_t> audit_seq);
    void settle();
    // detail: what the store said.
    Failure store_failed(const std::string& logged, const std::string& told, const Grant& g,
                         const std::string& detail);
    Failure not_durable(const std::string& what, const Grant& g, const std::string& detail);

    Store& store_;
    Journal& journal_;
    const Clock& clock_;
    GrantBook book_;
    std::map<std::string, GrantOrigin> origins_;  // grants from requests, by grant id
    std::vector<GrantListener*> listeners_;
    int depth_ = 0;
    bool unsettled_ = false;
};

}  // namespace jit::daemon
