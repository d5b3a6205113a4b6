#include "daemon/ledger/grant_ledger.h"

#include <errno.h>
#include <syslog.h>

#include <algorithm>

#include "daemon/base/ids.h"
#include "daemon/ledger/grant_journal.h"
#include "daemon/store/request_store.h"

namespace jit::daemon {

namespace {

constexpr int kIdAttempts = 5;
constexpr Time kFutureSlack = 300;  // a record created later than this is not ours

const GrantOrigin kManual{};

}  // namespace

GrantLedger::GrantLedger(Store& store, Journal& journal, const Clock& clock)
    : store_(store), journal_(journal), clock_(clock) {}

Result<void, Failure> GrantLedger::load() {
    auto grants = store_.active_grants();
    if (!grants)
        return Failure{grants.error().code, "cannot read grants: " + grants.error().message};
    Time now = clock_.now();
    book_.reserve(grants->size());
    for (auto& g : *grants) {
        // A record created in the future was not written by a sane jitd on
        // this clock; it never grants anything.
        if (g.created > now + kFutureSlack) {
            journal_.record(Event::StoreFailed, LOG_WARNING,
                            "ignoring grant " + g.id + " created in the future",
                            {{"JIT_GRANT_ID", g.id}, {"JIT_USER", g.user}});
            continue;
        }
        book_.add(std::move(g));
    }
    RequestStore requests(store_);
    auto origins = requests.grant_origins();
    if (!origins) return Failure{EIO, "cannot read requests: " + origins.error().message};
    for (auto& o : *origins) {
        if (!book_.find(o.grant_id)) continue;  // only grants that can still end
        GrantOrigin& origin = origins_[o.grant_id];
        origin.rule = std::move(o.rule);
        origin.request_id = std::move(o.request_id);
    }
    return {};
}

void GrantLedger::subscribe(GrantListener* listener) {
    listeners_.push_back(listener);
}

void GrantLedger::unsubscribe(GrantListener* listener) {
    listeners_.erase(std::remove(listeners_.begin(), listeners_.end(), listener), listeners_.end());
}

const GrantOrigin& GrantLedger::origin(const std::string& grant_id) const {
    auto it = origins_.find(grant_id);
    return it == origins_.end() ? kManual : it->second;
}

Result<Grant, Failure> GrantLedger::create(StoreTx& tx, Grant g, GrantOrigin origin) {
    g.state = GrantState::Active;
    for (int attempt = 0;; ++attempt) {
        if (attempt == kIdAttempts) return Failure{EEXIST, "could not allocate a unique grant id"};
        auto id = new_grant_id();
        if (!id) return Failure{id.error().code, id.error().what};
        g.id = *id;
        auto stored = store_.insert_grant(tx, g);
        if (stored) break;
        if (stored.error().code != EEXIST) return Failure{EIO, stored.error().message};
    }
    const size_t slot = tx.audit(grant_entry(GrantChange::Kind::Created, g, origin));
    tx.after_commit([this, g, origin = std::move(origin), seq = tx.audit_seq_later(slot)] {
        added(g, origin, seq());
    });
    // A member of a group commit is answered by the server once the group
    // commits; if it does not, the journal says what became of this grant.
    tx.if_lost([this, g](const Failure& why) {
        if (why.code == ENOTRECOVERABLE)
            (void)not_durable("grant " + g.id, g, why.message);
        else
            (void)store_failed("cannot store grant for " + g.user, "cannot store the grant", g,
                               why.message);
    });
    return g;
}

Result<Grant, Failure> GrantLedger::create(Grant g, GrantOrigin origin) {
    const std::string logged = "cannot store grant for " + g.user;
    StoreTx tx(store_);
    if (auto begun = tx.begin(); !begun)
        return store_failed(logged, "cannot store the grant", g, begun.error().message);
    auto made = create(tx, g, std::move(origin));
    if (!made) {
        if (made.error().code == EIO)
            return store_failed(logged, "cannot store the grant", g, made.error().message);
        return made;
    }
    if (auto done = tx.commit(); !done) {
        if (done.error().code == ENOTRECOVERABLE)
            return not_durable("grant " + made->id, *made, done.error().message);
        return store_failed(logged, "cannot store the grant", g, done.error().message);
    }
    return made;
}

// A change that committed but whose high-water mark could not be written:
// jitd acts on it (it is in jit.db) but does not acknowledge it as durable.
// Journaled at LOG_CRIT: writes are refused until jitd restarts.
Failure GrantLedger::not_durable(const std::string& what, const Grant& g,
                                 const std::string& detail) {
    Fields fields = {{"JIT_USER", g.user}};
    if (!g.id.empty()) fields.insert(fields.begin(), {"JIT_GRANT_ID", g.id});
    const std::string told = what + " committed but not durable: " + detail +
                             "; jitd refuses writes until it is restarted";
    journal_.record(Event::StoreFailed, LOG_CRIT, told, fields);
    return Failure{ENOTRECOVERABLE, told};
}

// Journals a failed write (the operation is not acknowledged) and says it.
Failure GrantLedger::store_failed(const std::string& logged, const std::string& told,
                                  const Grant& g, const std::string& detail) {
    Fields fields = {{"JIT_USER", g.user}};
    if (!g.id.empty()) fields.insert(fields.begin(), {"JIT_GRANT_ID", g.id});
    journal_.record(Event::StoreFailed, LOG_ERR, logged + ": " + detail, fields);
    return Failure{EIO, told + ": " + detail};
}

void GrantLedger::added(const Grant& g, const GrantOrigin& origin,
                        std::optional<uint64_t> audit_seq) {
    book_.add(g);
    if (origin.from_request()) origins_[g.id] = origin;
    emit(GrantChange::Kind::Created, g, origin, audit_seq);
}

Result<Grant, Failure> GrantLedger::end(const std::string& id, GrantState state,
                                        std::optional<uid_t> by, const std::string& reason) {
    const Grant* held = book_.find(id);
    if (!held) return Failure{EALREADY, "grant " + id + " has already ended"};
    Grant g = *held;
    Time now = clock_.now();
    g.state = state;
    g.ended = GrantEnd{now, by, reason};
    GrantOrigin origin = this->origin(id);
    StoreTx tx(store_);
    const size_t slot = tx.audit(grant_entry(GrantChange::Kind::Ended, g, origin));
    auto ended = tx.begin();
    if (ended) ended = store_.end_grant(tx, id, state, now, by, reason);
    // EALREADY: the store already holds the end; the book catches up.
    if (ended || ended.error().code != EALREADY) {
        if (ended) ended = tx.commit();
        if (!ended && ended.error().code != ENOTRECOVERABLE) {
            const std::string what = "cannot record the end of grant " + id;
            return store_failed(what, what, *held, ended.error().message);
        }
    }
    book_.remove(id);
    origins_.erase(id);
    emit(GrantChange::Kind::Ended, g, origin, tx.audit_seq(slot));
    // The end is in jit.db, so the book follows it; a revocation is never
    // left in force in memory because its mark failed.
    if (!ended && ended.error().code == ENOTRECOVERABLE)
        return not_durable("the end of grant " + id, g, ended.error().message);
    return g;
}

bool GrantLedger::expire_due() {
    auto held = batch();
    bool ok = true;
    for (const auto& g : book_.due(clock_.now()))
        if (!end(g.id, GrantState::Expired, std::nullopt, "")) ok = false;
    return ok;
}

Result<uint32_t, Failure> GrantLedger::take_use(const std::string& grant_id) {
    StoreTx tx(store_);
    auto begun = tx.begin();
    Result<uint32_t, Failure> left =
        begun ? store_.consume_use(tx, grant_id) : Result<uint32_t, Failure>(begun.error());
    if (left) {
        if (auto done = tx.commit(); !done) left = done.error();
    }
    if (!left) {
        if (left.error().code == EDQUOT)
            return Failure{EDQUOT, "grant " + grant_id + " has no use left"};
        return Failure{left.error().code,
                       "cannot record the use of grant " + grant_id + ": " + left.error().message};
    }
    book_.set_uses_left(grant_id, *left);
    return *left;
}

void GrantLedger::emit(GrantChange::Kind kind, const Grant& g, const GrantOrigin& origin,
                       std::optional<uint64_t> audit_seq) {
    const GrantChange change{kind, g, origin, audit_seq};
    auto listeners = listeners_;  // a listener may unsubscribe while told
    for (auto* l : listeners) l->grant_changed(change);
    unsettled_ = true;
    if (depth_ == 0) settle();
}

void GrantLedger::settle() {
    if (!unsettled_) return;
    unsettled_ = false;
    auto listeners = listeners_;
    for (auto* l : listeners) l->grants_settled();
}

}  // namespace jit::daemon
