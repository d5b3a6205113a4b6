#include "daemon/service/service.h"

#include <errno.h>
#include <malloc.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>

#include "daemon/grants/cidr.h"
#include "daemon/base/ids.h"
#include "jit/escape.h"
#include "jit/timefmt.h"
#include "daemon/requests/request_desk.h"

namespace jit::daemon {

namespace {

constexpr size_t kMaxReason = 1024;
constexpr size_t kListLimit = proto::kMaxRecords;

Failure op_error(int code, std::string message) {
    return Failure{code, std::move(message)};
}

// C0 controls, DEL and C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F).
bool has_control_chars(const std::string& s) {
    for (size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f) return true;
        if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xa0)
            return true;
    }
    return false;
}

}  // namespace

JitService::JitService(Store& store, Journal& journal, const Clock& clock,
                       const AccountDirectory& directory, Config config)
    : store_(store),
      journal_(journal),
      clock_(clock),
      directory_(directory),
      started_(clock.now()),
      own_uid_(geteuid()),
      ledger_(store, journal, clock),
      grant_journal_(journal),
      nss_(store, directory, clock),
      publisher_(journal) {
    apply_config(std::move(config));
    ledger_.subscribe(&grant_journal_);
    desk_ = std::make_unique<RequestDesk>(store_, journal_, clock_, directory_, ledger_,
                                          [this](const std::string& u) { return classify(u); });
    ledger_.subscribe(&nss_on_grants_);
}

void JitService::set_observer(GrantObserver* observer) {
    if (observer_) ledger_.unsubscribe(observer_);
    observer_ = observer;
    if (observer_) ledger_.subscribe(observer_);
}

JitService::~JitService() {
    set_observer(nullptr);
}

void JitService::apply_config(Config config) {
    config_ = std::move(config);
    managed_ = std::make_unique<ManagedAccounts>(config_, directory_);
    nss_.set_ranges(config_.nss);
    if (loaded_) {
        (void)sync_nss(false);  // errors are journaled; the rest applies
        publish_nss();
    }
    managed_->set_nss_accounts(nss_.account_names());
    admin_gid_.reset();
    if (config_.admin_group.empty()) return;
    auto gid = directory_.group(config_.admin_group);
    if (gid && gid->has_value()) {
        admin_gid_ = **gid;
        return;
    }
    journal_.record(Event::ConfigWarning, LOG_WARNING,
                    "admin group " + escape_text(config_.admin_group) +
                        " cannot be resolved; only root may administer",
                    {{"JIT_GROUP", config_.admin_group}});
}

Result<void, Failure> JitService::load() {
    if (auto loaded = ledger_.load(); !loaded) return loaded.error();
    if (auto loaded = desk_->load(); !loaded) return loaded.error();
    // Only a host that holds fleet grants needs the grace (and its wake-up).
    const auto& held = book().grants();
    if (std::any_of(held.begin(), held.end(), [](const Grant& g) { return !g.fleet_id.empty(); }))
        ledger_.set_fleet_restart_grace(clock_.now() + Time(config_.fleet_staleness_seconds));
    expire_due();
    if (auto r = nss_.load(); !r) return r.error();
    if (auto r = sync_nss(true); !r) return r.error();
    managed_->set_nss_accounts(nss_.account_names());
    loaded_ = true;
    publish_nss();
    // Loading left the store's copies of every grant free but inside the
    // heap, behind the book's own, and SQLite's cache full of pages read
    // once: hand those pages back.
    store_.release_cache();
    malloc_trim(0);
    return {};
}

void JitService::refused(const Caller& caller, const std::string& what) {
    journal_.record(Event::RequestRefused, LOG_WARNING,
                    "refused a request from uid " + std::to_string(caller.uid) + " (pid " +
                        std::to_string(caller.pid) + "): " + escape_text(what),
                    {{"JIT_REQUESTER", std::to_string(caller.uid)},
                     {"JIT_CALLER_PID", std::to_string(caller.pid)},
                     {"JIT_REASON", what}});
}

void JitService::reply_lost(const Caller& caller, const std::string& what, const std::string& why) {
    journal_.record(Event::ReplyLost, LOG_WARNING,
                    "the reply to " + what + " from uid " + std::to_string(caller.uid) + " (pid " +
                        std::to_string(caller.pid) + ") was not delivered: " + why +
                        "; the caller decided without it (pam_jit refuses)",
                    {{"JIT_REQUESTER", std::to_string(caller.uid)},
                     {"JIT_CALLER_PID", std::to_string(caller.pid)},
                     {"JIT_REASON", why}});
}

bool JitService::may_check(const Caller& caller) const {
    return caller.uid == 0 || caller.uid == own_uid_;
}

bool JitService::may_administer(const Caller& caller) const {
    if (caller.uid == 0 || caller.uid == own_uid_) return true;
    if (!admin_gid_) return false;
    return caller.gid == *admin_gid_ || std::find(caller.groups.begin(), caller.groups.end(),
                                                  *admin_gid_) != caller.groups.end();
}

CheckAnswer JitService::check(const Caller& caller, CheckAsk request) {
    CheckOutcome outcome;
    std::string rule;
    switch (managed_->classify(request.user)) {
        case Membership::No:
            outcome.reason = request.user + " is not managed by jit";
            rule = "unmanaged";
            break;
        case Membership::Unknown:
            outcome.reason = "cannot tell whether " + request.user + " is managed (lookup failed)";
            rule = "lookup-failed";
            break;
        case Membership::Yes:
            outcome = check_managed(caller, request, clock_.now(), &rule);
            break;
    }
    if (outcome.fleet_stale) note_fleet_stale(outcome.grant_id);
    CheckAnswer reply;
    reply.decision = outcome.allow ? proto::Decision::Allow : proto::Decision::Deny;
    reply.reason = outcome.reason;
    reply.grant_id = outcome.grant_id;
    if (outcome.allow) reply.not_after = outcome.not_after;
    reply.rule = rule;
    // Building the entry is half of a decision's work, and nothing in the
    // answer needs it.
    after_answer([this, caller, request = std::move(request), outcome = std::move(outcome),
                  rule = std::move(rule)] {
        desk_->learn_observed();  // the use an allow noted in the risk baseline
        journal_decision(caller, request, outcome, rule);
        // The grant by id, not a copy of it; one ended before the answer went
        // out admits no session (the open decides alone).
        if (outcome.allow && observer_)
            if (const Grant* g = book().find(outcome.grant_id))
                observer_->admitted(caller, {request.user, request.service, request.rhost}, *g);
    });
    return reply;
}

CheckOutcome JitService::admit(const CheckQuery& query) {
    return count_use(book().check(query, clock_.now()), query.service);
}

CheckOutcome JitService::count_use(CheckOutcome outcome, const std::string& service) {
    if (!outcome.allow || service == kUserManagerService) return outcome;
    const Grant* g = book().find(outcome.grant_id);
    // Under a command scope, uses count sudo commands (check_command), not
    // the PAM check that precedes each of them.
    if (!g || !g->uses || !g->commands.empty()) return outcome;
    // The use is on disk before the allow leaves: a crash cannot hand out a
    // use twice.  Any failure denies.
    auto left = ledger_.take_use(g->id);
    if (!left) {
        CheckOutcome denied;
        denied.grant_id = g->id;
        denied.reason = left.error().message;
        return denied;
    }
    outcome.reason +=
        " (" + std::to_string(*left) + " of " + std::to_string(*g->uses) + " uses left)";
    return outcome;
}

void JitService::after_answer(std::function<void()> work) {
    if (defer_after_answer_)
        after_answer_.push_back(std::move(work));
    else
        work();
}

void JitService::run_after_answer() {
    if (after_answer_.empty()) return;
    auto work = std::move(after_answer_);
    after_answer_.clear();
    for (auto& w : work) w();
}

Result<void, Failure> JitService::end_with_session(const std::string& grant_id,
                                                   const std::string& reason) {
    auto ended = ledger_.end(grant_id, GrantState::Expired, std::nullopt, reason);
    if (!ended) return ended.error();
    return {};
}

void JitService::journal_decision(const Caller& caller, const CheckAsk& r,
                                  const CheckOutcome& outcome, const std::string& rule) {
    const char* verdict = outcome.allow ? "allow" : "deny";
    std::string message = std::string(verdict) + " " + escape_text(r.user) + " for " +
                          escape_text(r.service) +
                          (r.rhost.empty() ? "" : " from " + escape_text(r.rhost)) + ": " +
                          escape_text(outcome.reason);
    Fields fields;
    fields.reserve(11);  // one allocation: no copy of the ten before the grant id
    fields.emplace_back("JIT_DECISION", verdict);
    fields.emplace_back("JIT_USER", r.user);
    fields.emplace_back("JIT_SERVICE", r.service);
    fields.emplace_back("JIT_RHOST", r.rhost);
    fields.emplace_back("JIT_TTY", r.tty);
    fields.emplace_back("JIT_RUSER", r.ruser);
    fields.emplace_back("JIT_REASON", outcome.reason);
    fields.emplace_back("JIT_RULE", rule);
    fields.emplace_back("JIT_REQUESTER", std::to_string(caller.uid));
    fields.emplace_back("JIT_CALLER_PID", std::to_string(caller.pid));
    if (!outcome.grant_id.empty()) fields.emplace_back("JIT_GRANT_ID", outcome.grant_id);
    journal_.record(Event::Decision, outcome.allow ? LOG_INFO : LOG_NOTICE, message, fields);
}

namespace {

// Grants go to managed accounts only; an account jitd cannot look up gets none.
Result<void, Failure> check_grantable(const std::string& user, const ManagedAccounts& managed) {
    if (!valid_user_name(user))
        return op_error(EINVAL, "invalid account name '" + escape_text(user) + "'");
    switch (managed.classify(user)) {
        case Membership::No:
            return op_error(EINVAL,
                            user + " is not a managed account (see [managed] in jitd.conf)");
        case Membership::Unknown:
            return op_error(EIO, "cannot look up account " + user);
        case Membership::Yes:
            break;
    }
    return {};
}

// The services (each once, in the order asked), the reason and the source.
Result<void, Failure> set_what_and_why(const GrantAsk& request, Grant* g) {
    for (const auto& s : request.services) {
        if (!valid_service_name(s))
            return op_error(EINVAL, "invalid service name '" + escape_text(s) + "'");
        if (std::find(g->services.begin(), g->services.end(), s) == g->services.end())
            g->services.push_back(s);
    }
    if (request.reason.empty() || request.reason.size() > kMaxReason ||
        has_control_chars(request.reason))
        return op_error(EINVAL, "a reason is required: printable text, at most 1024 bytes");
    g->reason = request.reason;
    if (!request.source.empty()) {
        auto cidr = Cidr::parse(request.source);
        if (!cidr) return op_error(EINVAL, "invalid source '" + escape_text(request.source) + "'");
        g->source = cidr->to_string();
    }
    return {};
}

// A duration starts now (capped so that now + it cannot overflow); else the
// request names both ends (checked by check_window).
void set_window(const GrantAsk& request, Time now, Grant* g) {
    if (request.duration) {
        g->not_before = now;
        g->not_after = now + Time(std::min<uint64_t>(*request.duration, uint64_t(1) << 40));
    } else {
        g->not_before = *request.not_before;
        g->not_after = *request.not_after;
    }
    g->until_session_end = request.until_session_end;
}

Result<void, Failure> set_uses(const GrantAsk& request, Grant* g) {
    if (!request.uses) return {};
    if (*request.uses == 0 || *request.uses > proto::kMaxUses)
        return op_error(EINVAL, "--uses must be between 1 and " + std::to_string(proto::kMaxUses));
    g->uses = uint32_t(*request.uses);
    g->uses_left = g->uses;
    return {};
}

// The fleet grant this one mirrors (jit-fleet names it fg-...).
Result<void, Failure> set_fleet_id(const GrantAsk& request, Grant* g) {
    if (request.fleet_id.empty()) return {};
    if (request.fleet_id.size() > 64 || request.fleet_id.rfind("fg-", 0) != 0 ||
        has_control_chars(request.fleet_id))
        return op_error(EINVAL, "invalid fleet grant id '" + escape_text(request.fleet_id) + "'");
    g->fleet_id = request.fleet_id;
    return {};
}

Result<void, Failure> check_window(const Grant& g, Time now, uint64_t max_grant_seconds) {
    if (g.not_after <= g.not_before || g.not_after <= now)
        return op_error(EINVAL, "the grant must end after it starts, and in the future");
    if (uint64_t(g.not_after - std::max(g.not_before, now)) > max_grant_seconds)
        return op_error(EINVAL, "grant longer than max_grant (" +
                                    format_duration(Time(max_grant_seconds)) + ")");
    return {};
}

}  // namespace

// Checked in this order, so a request with several faults is told the first.
Result<Grant, Failure> JitService::build_grant(const Caller& caller, const GrantAsk& request) {
    if (auto grantable = check_grantable(request.user, *managed_); !grantable)
        return grantable.error();
    Grant g;
    g.user = request.user;
    if (auto what = set_what_and_why(request, &g); !what) return what.error();
    const Time now = clock_.now();
    g.created = now;
    g.granted_by = caller.uid;
    set_window(request, now, &g);
    if (auto uses = set_uses(request, &g); !uses) return uses.error();
    if (auto scoped = apply_command_scope(request.commands, request.runas, &g); !scoped)
        return scoped.error();
    if (auto fleet = set_fleet_id(request, &g); !fleet) return fleet.error();
    if (auto window = check_window(g, now, config_.max_grant_seconds); !window)
        return window.error();
    if (auto groups = check_grant_groups(request, &g); !groups) return groups.error();
    return g;
}

Result<Grant, Failure> JitService::grant(const Caller& caller, const GrantAsk& request) {
    auto built = build_grant(caller, request);
    if (!built) return built.error();
    GrantOrigin origin;
    origin.requester = caller.uid;
    return ledger_.create(std::move(*built), std::move(origin));
}

Result<std::vector<Grant>, Failure> JitService::revoke(const Caller& caller,
                                                       const RevokeAsk& request) {
    if (!request.reason.empty() &&
        (request.reason.size() > kMaxReason || has_control_chars(request.reason)))
        return op_error(EINVAL, "the reason must be printable text, at most 1024 bytes");
    std::vector<Grant> targets;
    if (!request.grant_id.empty()) {
        if (!valid_grant_id(request.grant_id))
            return op_error(EINVAL, "invalid grant id '" + escape_text(request.grant_id) + "'");
        const Grant* g = book().find(request.grant_id);
        if (!g) {
            auto exists = store_.grant_id_exists(request.grant_id);
            if (exists && *exists)
                return op_error(EALREADY, "grant " + request.grant_id + " has already ended");
            return op_error(ENOENT, "no grant " + request.grant_id);
        }
        targets.push_back(*g);
    } else {
        targets = book().for_user(request.user);
        if (targets.empty())
            return op_error(ENOENT, "no active grant for " + escape_text(request.user));
    }
    // The account and its jit groups go now, not at not_after: one snapshot
    // once every grant has ended.
    auto batch = ledger_.batch();
    std::vector<Grant> revoked;
    for (const auto& g : targets) {
        auto ended = ledger_.end(g.id, GrantState::Revoked, caller.uid, request.reason);
        if (!ended) return ended.error();
        revoked.push_back(std::move(*ended));
    }
    return revoked;
}

Result<std::vector<Grant>, Failure> JitService::list(const ListAsk& request) {
    expire_due();  // so nothing past its end is listed as active
    auto grants = store_.list_grants(request.user, request.include_ended, kListLimit);
    if (!grants) return op_error(EIO, "cannot read grants: " + grants.error().message);
    return std::move(*grants);
}

std::vector<Grant> JitService::fleet_page(const std::string& after, size_t max) {
    expire_due();
    std::vector<const Grant*> fleet;
    for (const Grant& g : book().grants())
        if (g.state == GrantState::Active && !g.fleet_id.empty() && *g.fleet_id > after)
            fleet.push_back(&g);
    size_t n = std::min(max, fleet.size());
    std::partial_sort(fleet.begin(), fleet.begin() + long(n), fleet.end(),
                      [](const Grant* a, const Grant* b) { return *a->fleet_id < *b->fleet_id; });
    std::vector<Grant> page;
    for (size_t i = 0; i < n; ++i) page.push_back(*fleet[i]);
    return page;
}

StatusReport JitService::status() const {
    StatusReport s;
    s.version = JIT_VERSION;
    s.pid = getpid();
    Time now = clock_.now();
    s.uptime = uint64_t(std::max<Time>(0, now - started_));
    s.now = now;
    s.active_grants = book().in_force(now);
    s.state_dir = config_.state_dir;
    s.schema_version = uint64_t(store_.schema_version());
    s.managed_users = config_.managed_users;
    s.managed_groups = config_.managed_groups;
    for (const auto& r : config_.managed_uids)
        s.managed_uids.push_back(std::to_string(r.first) + "-" + std::to_string(r.last));
    return s;
}

Time JitService::fleet_fresh(const Caller& caller, Time until) {
    Time now = clock_.now();
    Time applied = std::min<Time>(until, now + Time(config_.fleet_staleness_seconds));
    ledger_.set_fleet_fresh_until(applied);
    if (fleet_stale_noted_ && now < applied) {
        fleet_stale_noted_ = false;
        journal_.record(Event::FleetFresh, LOG_NOTICE,
                        "jit-fleet (uid " + std::to_string(caller.uid) +
                            ") vouches for fleet grants again, until " + format_utc(applied),
                        {{"JIT_REQUESTER", std::to_string(caller.uid)},
                         {"JIT_FRESH_UNTIL", std::to_string(applied)}});
    }
    return applied;
}

void JitService::note_fleet_stale(const std::string& grant_id) {
    if (fleet_stale_noted_) return;
    fleet_stale_noted_ = true;
    Time until = book().fleet_fresh_until();
    journal_.record(Event::FleetStale, LOG_WARNING,
                    "fleet grants refused: jit-fleet's word ran out " +
                        (until ? format_utc(until) : std::string("(none since jitd started)")) +
                        " (dead, or cut off from etcd); local grants are unaffected",
                    {{"JIT_GRANT_ID", grant_id}, {"JIT_FRESH_UNTIL", std::to_string(until)}});
}

bool JitService::expire_due() {
    bool ok = ledger_.expire_due();
    if (!desk_->expire_due()) ok = false;
    return ok;
}

}  // namespace jit::daemon
