// The answers that wait: for their audit records to be durable, for the
// turn's group commit of grants, and for the NSS snapshot their change asked
// for.  Each hold keeps the connection unread until its answer may go.
#include <errno.h>

#include <algorithm>
#include <vector>

#include "daemon/base/crash_point.h"
#include "daemon/server/server.h"
#include "daemon/server/server_parts.h"

namespace jit::daemon {

using server_parts::JournalAfterAnswer;
#ifdef JIT_CRASH_POINTS
using server_parts::crash_context;
#endif

// The turn's flush runs below every connection's priority: the answers of
// all the requests read in this turn wait for one commit.  A cap keeps a
// flood from holding answers for long.
constexpr int64_t kAuditTurnPriority = SD_EVENT_PRIORITY_NORMAL + 50;
constexpr size_t kMaxHeld = 256;
constexpr uint64_t kBatchedFlushUsec = 100000;

void Server::set_audit(AuditTrail* trail) {
    trail_ = trail && trail->active() ? trail : nullptr;
    if (!trail_) return;
    audit_failure_ = trail_->config().failure;
    sd_event_source* s = nullptr;
    if (sd_event_add_defer(event_, &s, on_audit_turn, this) >= 0) {
        audit_turn_.reset(s);
        sd_event_source_set_priority(s, kAuditTurnPriority);
        sd_event_source_set_enabled(s, SD_EVENT_OFF);
    }
    if (sd_event_add_time_relative(event_, &s, CLOCK_MONOTONIC, kBatchedFlushUsec, 10000,
                                   on_audit_timer, this) >= 0) {
        audit_timer_.reset(s);
        sd_event_source_set_enabled(s, SD_EVENT_OFF);
    }
}

// True when c's answer must wait for its audit records.
bool Server::hold_for_audit(Connection& c) {
    if (!trail_ || c.audit_mark == 0 || trail_->durable() >= c.audit_mark) return false;
    if (trail_->config().durability == AuditConfig::Durability::Batched) {
        arm_audit_timer();
        return false;
    }
    c.held = true;
    if (c.io) sd_event_source_set_enabled(c.io.get(), SD_EVENT_OFF);
    held_.push_back(&c);
    if (held_.size() >= kMaxHeld || !audit_turn_)
        release_held();
    else
        sd_event_source_set_enabled(audit_turn_.get(), SD_EVENT_ONESHOT);
    return true;
}

static bool is_access_check(const msg::Frame& in) {
    auto header = wire::parse_header(in.data(), proto::kHeaderSize);
    if (!header) return true;
    return header->type == proto::MsgType::CheckRequest ||
           header->type == proto::MsgType::CommandCheckRequest ||
           header->type == proto::MsgType::SessionOpenRequest;
}

// One commit for the turn; then every held answer goes.  If the log could
// not be written, audit_failure = deny turns the access answers among them
// into refusals (pam_jit denies on a refusal); = log lets them go as they are.
void Server::release_held() {
    JIT_CRASH_CONTEXT("audit");  // audit.committed, audit.keyed, audit.replied (the first answer)
    const bool written = trail_->flush();
    auto held = std::move(held_);
    held_.clear();
    for (Connection* c : held) {
        c->held = false;
        if (!written && audit_failure_ == AuditConfig::Failure::Deny && is_access_check(c->in)) {
            auto header = wire::parse_header(c->in.data(), proto::kHeaderSize);
            c->out = Dispatcher::refusal(header ? header->request_id : 0,
                                         "the audit log cannot be written: access refused "
                                         "(audit_failure = deny)");
        }
        if (c->io) sd_event_source_set_enabled(c->io.get(), SD_EVENT_ON);
        if (!write_some(*c)) close_connection(c);
    }
    JIT_CRASH_CONTEXT("idle");
}

int Server::on_audit_turn(sd_event_source*, void* userdata) {
    auto* self = static_cast<Server*>(userdata);
    if (!self->held_.empty()) self->release_held();
    return 0;
}

void Server::arm_audit_timer() {
    if (!audit_timer_) return;
    int enabled = SD_EVENT_OFF;
    sd_event_source_get_enabled(audit_timer_.get(), &enabled);
    if (enabled != SD_EVENT_OFF) return;
    sd_event_source_set_time_relative(audit_timer_.get(), kBatchedFlushUsec);
    sd_event_source_set_enabled(audit_timer_.get(), SD_EVENT_ONESHOT);
}

int Server::on_audit_timer(sd_event_source*, uint64_t, void* userdata) {
    auto* self = static_cast<Server*>(userdata);
    JIT_CRASH_CONTEXT("audit");
    if (self->trail_->waiting()) self->trail_->flush();
    JIT_CRASH_CONTEXT("idle");
    return 0;
}

// ---- group commit of writes ---------------------------------------------------

// The connection waits, not read, with the exchange's deadline, until the
// turn's end.
bool Server::queue_for_group(Connection& c) {
    if (!watch_connection(c)) return false;
    sd_event_source_set_enabled(c.io.get(), SD_EVENT_OFF);
    group_.push_back(&c);
    sd_event_source_set_enabled(group_turn_.get(), SD_EVENT_ONESHOT);
    return true;
}

int Server::on_group_turn(sd_event_source*, void* userdata) {
    auto* self = static_cast<Server*>(userdata);
    if (!self->group_.empty()) self->run_group();
    return 0;
}

// Decides every grant of the turn inside one transaction, commits it once,
// then answers.  A grant refused on its own merits is answered with its
// refusal; if the commit fails, every grant that joined it fails with it
// (none of them is acknowledged), and says why.  When the group cannot
// begin (writes refused after a commit not confirmed durable), each request
// is decided alone and gets that refusal.
void Server::run_group() {
    JournalAfterAnswer journal_after(service_.journal());
    std::vector<Connection*> members = std::move(group_);
    group_.clear();
    Store& store = service_.store();
    std::vector<bool> joined(members.size(), false);
    const uint64_t published = service_.nss_requested();
    {
        auto settle_once = service_.ledger().batch();  // one NSS snapshot for the group
        const bool grouped = bool(store.begin_group());
        for (size_t i = 0; i < members.size(); ++i) {
            Connection& c = *members[i];
            c.grouped = false;
            auto request = wire::decode_frame(c.in.data(), c.in.size());
            if (!request) {  // decoded once already: cannot happen
                c.out = Dispatcher::protocol_error(0, request.error());
                continue;
            }
            JIT_CRASH_CONTEXT(crash_context(request->header.type));
            const size_t before = store.group_members();
            const uint64_t audited = trail_ ? trail_->enqueued() : 0;
            answer_request(c, *request);
            note_audit_mark(c, audited);
            joined[i] = grouped && store.group_members() > before;
        }
        if (grouped) {
            if (auto committed = store.commit_group(); !committed) {
                const int code = committed.error().code == ENOTRECOVERABLE ? ENOTRECOVERABLE : EIO;
                const std::string why =
                    code == ENOTRECOVERABLE
                        ? "the grant committed but is not durable: " + committed.error().message +
                              "; jitd refuses writes until it is restarted"
                        : "cannot store the grant: " + committed.error().message;
                for (size_t i = 0; i < members.size(); ++i) {
                    if (!joined[i]) continue;
                    auto header = wire::parse_header(members[i]->in.data(), proto::kHeaderSize);
                    members[i]->out =
                        Dispatcher::failure(header ? header->request_id : 0, code, why);
                }
            }
        }
    }
    // The group's one snapshot is asked for when its batch ends: every
    // member's answer waits for it.
    if (service_.nss_requested() != published)
        for (Connection* c : members) c->nss_mark = service_.nss_requested();
    for (Connection* c : members) {
        JIT_CRASH_CONTEXT("grant");  // what groupable() admits
        JIT_CRASH_POINT("decided");
        release_member(*c);
    }
}

void Server::release_member(Connection& c) {
    sd_event_source_set_enabled(c.io.get(), SD_EVENT_ON);
    if (hold_for_nss(c) || hold_for_audit(c)) return;
    if (!write_some(c)) close_connection(&c);
}

// ---- answers waiting for the NSS snapshot ------------------------------------

// False when the answer may go; true when it waits (or the connection was
// closed because it could not wait: the caller never sees the answer early).
bool Server::hold_for_nss(Connection& c) {
    if (c.nss_mark == 0 || service_.nss_settled() >= c.nss_mark) return false;
    if (!watch_connection(c)) {
        close_connection(&c);
        return true;
    }
    c.nss_held = true;
    sd_event_source_set_enabled(c.io.get(), SD_EVENT_OFF);
    nss_held_.push_back(&c);
    return true;
}

void Server::release_nss() {
    const uint64_t settled = service_.nss_settled();
    std::vector<Connection*> ready;
    for (Connection* c : nss_held_)
        if (c->nss_mark <= settled) ready.push_back(c);
    std::erase_if(nss_held_, [&](Connection* c) { return c->nss_mark <= settled; });
    for (Connection* c : ready) {
        c->nss_held = false;
        sd_event_source_set_enabled(c->io.get(), SD_EVENT_ON);
        if (hold_for_audit(*c)) continue;
        if (!write_some(*c)) close_connection(c);
    }
}

}  // namespace jit::daemon
