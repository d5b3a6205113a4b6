// The request desk's state: loading, the implicit-grant path of checks, the
// risk baseline, deadlines, and the journal and notifications of requests.
#include <errno.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>

#include "daemon/events/identity_fields.h"
#include "daemon/time/civil_time.h"
#include "jit/escape.h"
#include "jit/timefmt.h"
#include "daemon/requests/request_desk.h"

namespace jit::daemon {

namespace {

constexpr Time kFlushDelay = 60;      // baseline counts are written at most this late
constexpr size_t kMaxSources = 1024;  // remembered per account; beyond, every source is new
constexpr Time kRetryDelay = 5;

struct Added {
    bool known_source = false;
    bool new_source = false;
    bool new_hour = false;
};

// One use from the source key at the hour, in memory: what the baseline
// learns from it, and what a decision reads before it is learned.
Added add_use(Baseline& b, const std::string& key, int hour) {
    Added a;
    a.known_source = b.sources.count(key) != 0;
    a.new_source = !a.known_source && b.sources.size() < kMaxSources;
    a.new_hour = b.hours[size_t(hour)] == 0;
    if (a.new_source) b.sources.insert(key);
    b.hours[size_t(hour)]++;
    b.observations++;
    return a;
}

Failure op_error(int code, std::string message) {
    return Failure{code, std::move(message)};
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
    return out;
}

std::string approvers_of(const Request& r) {
    std::string out;
    for (const auto& a : r.approvals)
        if (a.verdict == Verdict::Approve)
            out += (out.empty() ? "" : ",") + std::to_string(a.approver);
    return out;
}

std::string hour_key(int hour) {  // "00" to "23"
    return {char('0' + hour / 10 % 10), char('0' + hour % 10)};
}

}  // namespace

RequestDesk::RequestDesk(Store& store, Journal& journal, const Clock& clock,
                         const AccountDirectory& directory, GrantLedger& ledger,
                         Classifier classify)
    : store_(store),
      requests_(store),
      journal_(journal),
      clock_(clock),
      directory_(directory),
      ledger_(ledger),
      classify_(std::move(classify)),
      policy_(std::make_shared<PolicySet>()) {
    ledger_.subscribe(this);
}

RequestDesk::~RequestDesk() {
    ledger_.unsubscribe(this);
}

Result<void, Failure> RequestDesk::load() {
    auto pending = requests_.pending();
    if (!pending) return op_error(EIO, "cannot read requests: " + pending.error().message);
    for (auto& r : *pending) pending_[r.id] = std::move(r);
    auto baselines = requests_.baselines();
    if (!baselines)
        return op_error(EIO, "cannot read the risk baseline: " + baselines.error().message);
    for (auto& [user, b] : *baselines) baselines_[user] = std::move(b);
    // Grants already inside their last minutes at start are not announced
    // again: they were, or the notice no longer helps.
    Time now = clock_.now();
    for (const auto& g : ledger_.book().grants())
        if (g.not_after - ending_lead_ <= now) warned_.insert(g.id);
    return {};
}

void RequestDesk::set_policy(std::shared_ptr<const PolicySet> policy) {
    policy_ = policy ? std::move(policy) : std::make_shared<PolicySet>();
}

void RequestDesk::set_notifier(Notifier* notifier, Time ending_lead) {
    notifier_ = notifier;
    ending_lead_ = ending_lead;
}

CheckPlan RequestDesk::plan(const CheckQuestion& q, Time at, bool explain) const {
    return plan_check(ledger_.book(), *policy_, q, at, EvalContext{directory_, *this}, explain);
}

Result<Grant, Failure> RequestDesk::create_implicit(const Caller& caller, const CheckQuestion& q,
                                                    const ImplicitGrant& implicit) {
    auto id = new_request_id();
    if (!id) return op_error(id.error().code, id.error().what);
    Request r;
    r.id = *id;
    r.kind = RequestKind::Implicit;
    r.user = q.user;
    r.services = {q.service};
    r.source = implicit.source;
    r.not_before = implicit.not_before;
    r.duration = uint64_t(implicit.not_after - implicit.not_before);
    r.reason = "implicit grant: first " + q.service + " use in rule " + implicit.rule->name;
    r.requester = caller.uid;
    r.rule = implicit.rule->name;
    r.created = implicit.not_before;
    for (RiskSignal s : implicit.signals) r.risk.emplace_back(signal_name(s));
    auto done = create_approved(std::move(r), geteuid());
    if (!done) return done.error();
    const Grant* g = ledger_.book().find(done->grant_id);
    if (!g) return op_error(EIO, "the implicit grant vanished");
    return *g;
}

GrantOrigin RequestDesk::origin_of(const Request& r) {
    GrantOrigin o;
    o.rule = r.rule;
    o.request_id = r.id;
    o.requester = r.requester;
    o.approvers = approvers_of(r);
    o.ticket = r.ticket;
    o.request_reason = r.reason;
    return o;
}

void RequestDesk::grant_changed(const GrantChange& change) {
    const Grant& g = change.grant;
    if (change.kind == GrantChange::Kind::Ended) {
        warned_.erase(g.id);
        return;
    }
    if (!change.origin.from_request()) return;
    if (g.not_after - ending_lead_ <= clock_.now()) warned_.insert(g.id);
    learn(g.user, g.source.empty() ? "any" : source_key(g.source), g.not_before);
    for (const auto& claim : g.identity->claims) remember(g.user, workload_key(claim));
}

// A workload's claim value joins the account's baseline (not an
// observation of its own: the grant was counted once).
void RequestDesk::remember(const std::string& user, const std::string& key) {
    learn_observed();
    Baseline& b = baselines_[user];
    if (b.sources.count(key) || b.sources.size() >= kMaxSources) return;
    b.sources.insert(key);
    unsaved_[{user, "source", key}]++;
    flush_baseline();
}

void RequestDesk::observe_use(const std::string& user, const std::string& rhost, Time now) {
    observed_.push_back({user, rhost, now});
}

void RequestDesk::learn_observed() {
    // Swapped out first: learn() comes back here and finds nothing left (or
    // a list being learned, which the outer call finishes).  Both lists keep
    // their capacity, so a stream of checks allocates none.
    if (observed_.empty() || !learning_.empty()) return;
    learning_.swap(observed_);
    for (const auto& use : learning_) learn(use.user, source_key(use.rhost), use.when);
    learning_.clear();
}

// One observation: in memory at once; new entries are written at once
// (they change what is judged new), counts within kFlushDelay.
void RequestDesk::learn(const std::string& user, const std::string& key, Time when) {
    learn_observed();  // uses noted earlier are learned first, in their order
    // Every allowed check comes here: the hour and the source looked up once.
    const int hour = civil_from_seconds(when).hour;
    const Added added = add_use(baselines_[user], key, hour);
    if (added.known_source || added.new_source) unsaved_[{user, "source", key}]++;
    unsaved_[{user, "hour", hour_key(hour)}]++;
    if (flush_at_ == 0) flush_at_ = clock_.now() + kFlushDelay;
    if (added.new_source || added.new_hour) flush_baseline();
}

bool RequestDesk::flush_baseline() {
    Time now = clock_.now();
    for (auto it = unsaved_.begin(); it != unsaved_.end();) {
        const auto& [user, kind, value] = it->first;
        if (auto saved = requests_.observe(user, kind.c_str(), value, it->second, now); !saved) {
            journal_.record(Event::StoreFailed, LOG_WARNING,
                            "cannot record the risk baseline: " + saved.error().message,
                            {{"JIT_USER", user}});
            flush_at_ = now + kRetryDelay;
            return false;
        }
        it = unsaved_.erase(it);
    }
    flush_at_ = 0;
    return true;
}

bool RequestDesk::expire_due() {
    learn_observed();
    Time now = clock_.now();
    bool ok = true;
    std::vector<Request> due;
    for (const auto& [id, r] : pending_)
        if (r.expires <= now) due.push_back(r);
    for (Request r : due) {
        r.state = RequestState::Expired;
        r.decided_at = now;
        r.comment = "nobody decided within the rule's pending_ttl";
        auto written = commit_journaled(
            [&](StoreTx& tx) { return requests_.finish(tx, r, nullptr); },
            request_entry(Event::RequestExpired, LOG_NOTICE, "expired undecided", r, ""));
        if (!written) {
            journal_.record(
                Event::StoreFailed, LOG_ERR,
                "cannot record the expiry of request " + r.id + ": " + written.error().message,
                {{"JIT_REQUEST_ID", r.id}});
            ok = false;
            continue;
        }
        pending_.erase(r.id);
        send("request-expired", r);
    }
    // By end, earliest first, up to the first grant not yet inside its last
    // minutes: a wake-up here costs the grants due a notice, not the book.
    if (notifier_)
        ledger_.book().by_end([&](const Grant& g) {
            if (g.not_after - ending_lead_ > now) return false;
            if (warned_.count(g.id) || g.not_after <= now || g.not_before > now) return true;
            warned_.insert(g.id);
            notifier_->notify("grant-ending",
                              grant_event_json("grant-ending", g, ledger_.origin(g.id).rule, now));
            return true;
        });
    if (flush_at_ != 0 && flush_at_ <= now && !flush_baseline()) ok = false;
    return ok;
}

std::optional<Time> RequestDesk::next_deadline() const {
    std::optional<Time> next;
    auto consider = [&](Time t) {
        if (!next || t < *next) next = t;
    };
    for (const auto& [id, r] : pending_) consider(r.expires);
    // A grant's notice is due at max(not_before, not_after - lead), never
    // before not_after - lead: walking by end, the first unwarned grant whose
    // not_after - lead is past the best so far ends the search.
    if (notifier_)
        ledger_.book().by_end([&](const Grant& g) {
            if (next && g.not_after - ending_lead_ >= *next) return false;
            if (!warned_.count(g.id)) consider(std::max(g.not_before, g.not_after - ending_lead_));
            return true;
        });
    if (flush_at_ != 0) consider(flush_at_);
    return next;
}

size_t RequestDesk::active_grants(const std::string& rule, const std::string& user) const {
    size_t n = 0;
    ledger_.book().of_user(user, [&](const Grant& g) {
        const GrantOrigin& origin = ledger_.origin(g.id);
        if (origin.from_request() && origin.rule == rule) ++n;
    });
    return n;
}

size_t RequestDesk::created_since(const std::string& rule, const std::string& user,
                                  Time since) const {
    auto n = requests_.count_since(rule, user, since);
    // Fail closed: a count we cannot read exceeds every limit.
    return n ? *n : SIZE_MAX;
}

// With the uses noted but not yet learned (observe_use): a decision made
// before they are learned sees them all the same.
Baseline RequestDesk::baseline(const std::string& user) const {
    auto it = baselines_.find(user);
    Baseline b = it == baselines_.end() ? Baseline{} : it->second;
    for (const auto& use : observed_)
        if (use.user == user) add_use(b, source_key(use.rhost), civil_from_seconds(use.when).hour);
    return b;
}

void RequestDesk::send(const std::string& event, const Request& r) {
    if (notifier_) notifier_->notify(event, request_event_json(event, r, clock_.now()));
}

void RequestDesk::journal_request(Event e, int priority, const std::string& what, const Request& r,
                                  const std::string& extra) {
    journal_.record_entry(request_entry(e, priority, what, r, extra));
}

JournalEntry RequestDesk::request_entry(Event e, int priority, const std::string& what,
                                        const Request& r, const std::string& extra) {
    std::string message = "request " + (r.id.empty() ? std::string("(refused)") : r.id) + " for " +
                          escape_text(r.user) + " on " + escape_text(join(r.services)) +
                          " by uid " + std::to_string(r.requester) + ": " + escape_text(what);
    if (!extra.empty()) message += ": " + escape_text(extra);
    if (!r.identity.empty()) message += " (" + describe_identity(r.identity) + ")";
    JournalEntry entry{e,
                       priority,
                       message,
                       {{"JIT_REQUEST_ID", r.id},
                        {"JIT_USER", r.user},
                        {"JIT_SERVICE", join(r.services)},
                        {"JIT_SOURCE", r.source},
                        {"JIT_REQUESTER", std::to_string(r.requester)},
                        {"JIT_APPROVERS", approvers_of(r)},
                        {"JIT_RULE", r.rule},
                        {"JIT_REASON", r.reason},
                        {"JIT_TICKET", r.ticket},
                        {"JIT_STATE", state_name(r.state)},
                        {"JIT_RISK", join(r.risk)},
                        {"JIT_COMMENT", extra.empty() ? r.comment : extra},
                        {"JIT_GRANT_ID", r.grant_id}}};
    add_identity_fields(r.identity, &entry.fields);
    return entry;
}

}  // namespace jit::daemon
