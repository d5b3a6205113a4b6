#include "fleet/jitd_link.h"

#include <string.h>
#include <unistd.h>

#include <vector>

#include "jit/client.h"
#include "jit/fleet_messages.h"
#include "jit/messages.h"

namespace jit::fleet {

namespace {

uint32_t next_request_id() {
    static uint32_t id = uint32_t(getpid()) << 8;
    return ++id;
}

// One exchange with jitd; the reply frame is checked for its type.
Result<wire::MessageView, Failure> exchange(const std::string& socket, int timeout_ms,
                                            const Result<msg::Frame>& request,
                                            proto::MsgType expected, std::vector<uint8_t>& buf) {
    if (!request) return fail(std::string("cannot encode request: ") + request.error().what);
    ClientOptions options;
    options.socket_path = socket.c_str();
    options.trusted_uids[0] = 0;
    options.trusted_uids[1] = getuid();
    options.trusted_count = 2;
    options.timeout_ms = timeout_ms;
    buf.assign(proto::kMaxFrame, 0);
    auto got = roundtrip(options, request->data(), request->size(), buf.data(), buf.size());
    if (!got)
        return fail(socket + ": " + got.error().what + ": " + strerror(got.error().code),
                    got.error().code);
    if (got->header.type == proto::MsgType::ErrorReply) {
        auto err = msg::decode_error_reply(*got);
        return fail("jitd: " + err.message, int(err.code));
    }
    if (got->header.type != expected)
        return fail("jitd answered with an unexpected message", EPROTO);
    return *got;
}

Result<std::vector<msg::GrantRecord>, Failure> call(const std::string& socket, int timeout_ms,
                                                    const Result<msg::Frame>& request,
                                                    proto::MsgType expected) {
    std::vector<uint8_t> buf;
    auto got = exchange(socket, timeout_ms, request, expected, buf);
    if (!got.ok()) return got.error();
    return msg::decode_grant_list(*got).grants;
}

}  // namespace

std::string local_reason(const GrantRecord& g) {
    return "fleet grant " + g.id + " (" + g.signer + "): " + g.reason;
}

Result<std::string, Failure> JitdLink::grant(const GrantRecord& g) const {
    msg::GrantRequest req;
    req.user = g.account;
    req.services = g.services;
    req.reason = local_reason(g);
    req.not_before = g.not_before;
    req.not_after = g.not_after;
    req.fleet_id = g.id;
    auto r =
        call(socket_, timeout_ms_, msg::encode(req, next_request_id()), proto::MsgType::GrantReply);
    if (!r.ok()) return r.error();
    if (r->size() != 1)
        return fail("jitd answered a grant with " + std::to_string(r->size()) + " records", EPROTO);
    return r->front().id;
}

Result<void, Failure> JitdLink::revoke(const std::string& local_id,
                                       const std::string& reason) const {
    msg::RevokeRequest req;
    req.grant_id = local_id;
    req.reason = reason.size() > 900 ? reason.substr(0, 900) : reason;
    auto r = call(socket_, timeout_ms_, msg::encode(req, next_request_id()),
                  proto::MsgType::RevokeReply);
    if (!r.ok() && r.error().code != ENOENT) return r.error();
    return {};
}

// Paged by fleet id (LIST with FleetAfter): a plain LIST stops at
// kMaxRecords grants, and a host may hold many more fleet grants.
Result<std::vector<msg::GrantRecord>, Failure> JitdLink::fleet_grants() const {
    std::vector<msg::GrantRecord> out;
    msg::ListRequest req;
    req.fleet_after = "";
    while (true) {
        auto r = call(socket_, timeout_ms_, msg::encode(req, next_request_id()),
                      proto::MsgType::ListReply);
        if (!r.ok()) return r.error();
        if (r->empty()) return out;
        for (auto& g : *r) {
            if (g.fleet_id.empty() || g.fleet_id <= *req.fleet_after)
                return fail("jitd's fleet grant pages are out of order", EPROTO);
            req.fleet_after = g.fleet_id;
            if (g.state == proto::GrantState::Active) out.push_back(std::move(g));
        }
    }
}

Result<int64_t, Failure> JitdLink::fresh(int64_t until) const {
    std::vector<uint8_t> buf;
    auto got = exchange(
        socket_, timeout_ms_,
        msg::encode(proto::MsgType::FleetFreshRequest, msg::FleetFresh{until}, next_request_id()),
        proto::MsgType::FleetFreshReply, buf);
    if (!got.ok()) return got.error();
    return msg::decode_fleet_fresh(*got).until;
}

Result<JitdLink::AuditText, Failure> JitdLink::audit_read(std::optional<uint64_t> from) const {
    msg::AuditRead req;
    req.from = from;
    std::vector<uint8_t> buf;
    auto got = exchange(socket_, timeout_ms_, msg::encode(req, next_request_id()),
                        proto::MsgType::AuditReadReply, buf);
    if (!got.ok()) return got.error();
    auto page = msg::decode_audit_page(*got);
    AuditText out;
    for (const auto& piece : page.text) out.text += piece;
    out.next = page.next;
    out.done = page.done;
    return out;
}

}  // namespace jit::fleet
