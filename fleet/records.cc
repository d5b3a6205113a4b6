#include "fleet/records.h"

#include <set>

#include "daemon/base/ids.h"
#include "fleet/json_strict.h"
#include "fleet/record.h"

namespace jit::fleet {

using nlohmann::json;

namespace {

// The envelope at value, verified: the signer is in the trust file with the
// permission for this host, and the signature holds.
Result<std::pair<Envelope, json>, Failure> open_envelope(const FleetConfig& c,
                                                         const std::string& value, const char* kind,
                                                         Permission permission) {
    auto env = parse_envelope(value);
    if (!env.ok()) return env.error();
    if (env->kind != kind)
        return fail(std::string("a ") + env->kind + " record where a " + kind + " belongs",
                    EBADMSG);
    auto it = c.trusted.find(env->signer);
    if (it == c.trusted.end())
        return fail("signed by " + env->signer + ", a host the trust file does not name", EPERM);
    if (!verify_envelope(*env, it->second.key.get()))
        return fail("bad signature for " + env->signer + "'s key", EPERM);
    if (!trusted_for(c, env->signer, permission, c.labels))
        return fail(env->signer + " may not sign " + kind + " records for this host", EPERM);
    auto body = parse_strict(env->body);
    if (!body.ok()) return fail(std::string(kind) + " body: " + body.error().message, EBADMSG);
    if (!body->is_object()) return fail(std::string(kind) + " body is not an object", EBADMSG);
    return std::make_pair(std::move(*env), std::move(*body));
}

bool get_string(const json& j, const char* key, std::string* out, size_t max = 256) {
    if (!j.contains(key) || !j[key].is_string()) return false;
    *out = j[key].get<std::string>();
    return !out->empty() && out->size() <= max;
}

bool get_time(const json& j, const char* key, int64_t* out) {
    if (!j.contains(key) || !j[key].is_number_integer()) return false;
    *out = j[key].get<int64_t>();
    return *out > 0;
}

std::string key_suffix(const std::string& key, const char* prefix) {
    std::string p(prefix);
    return key.rfind(p, 0) == 0 ? key.substr(p.size()) : std::string();
}

Result<void, Failure> read_grant_approvals(const FleetConfig& c, const json& list, GrantRecord* g) {
    if (!list.is_array() || list.size() > 32)
        return fail("grant: approvals is not a list of at most 32", EBADMSG);
    std::set<std::pair<std::string, std::string>> distinct;
    for (const json& item : list) {
        if (!item.is_string()) return fail("grant: an approval is not an envelope", EBADMSG);
        auto a = read_approval(c, item.get<std::string>());
        if (!a.ok()) return fail("grant: approval: " + a.error().message, a.error().code);
        if (a->request != g->request)
            return fail("grant: an approval is for another request", EBADMSG);
        if (distinct.insert({a->signer, a->approver}).second) g->approvals.push_back(*a);
    }
    if (distinct.size() < c.approvals)
        return fail("grant " + g->id + " carries " + std::to_string(distinct.size()) +
                        " approval(s), this host needs " + std::to_string(c.approvals),
                    EPERM);
    return {};
}

}  // namespace

Result<ApprovalRecord, Failure> read_approval(const FleetConfig& c, const std::string& value) {
    auto opened = open_envelope(c, value, "approval", kApprove);
    if (!opened.ok()) return opened.error();
    const json& b = opened->second;
    ApprovalRecord a;
    a.signer = opened->first.signer;
    if (!get_string(b, "request", &a.request) || !get_string(b, "approver", &a.approver) ||
        !get_time(b, "at", &a.at))
        return fail("approval: request, approver or at missing", EBADMSG);
    return a;
}

Result<GrantRecord, Failure> read_grant(const FleetConfig& c, const std::string& key,
                                        const std::string& value) {
    auto opened = open_envelope(c, value, "grant", kGrant);
    if (!opened.ok()) return opened.error();
    const json& b = opened->second;
    GrantRecord g;
    g.signer = opened->first.signer;
    std::string hosts;
    if (!get_string(b, "id", &g.id, 32) || !get_string(b, "request", &g.request, 32) ||
        !get_string(b, "account", &g.account, 32) || !get_string(b, "reason", &g.reason, 1024) ||
        !get_string(b, "hosts", &hosts) || !get_time(b, "not_before", &g.not_before) ||
        !get_time(b, "not_after", &g.not_after))
        return fail("grant: a field is missing or out of bounds", EBADMSG);
    if (key_suffix(key, kGrantsPrefix) != g.id)
        return fail("grant " + g.id + " stored under another key (" + key + ")", EBADMSG);
    if (!daemon::valid_user_name(g.account)) return fail("grant: not an account name", EBADMSG);
    if (g.not_after <= g.not_before)
        return fail("grant: not_after is not after not_before", EBADMSG);
    if (!b.contains("services") || !b["services"].is_array() || b["services"].empty() ||
        b["services"].size() > 16)
        return fail("grant: services is not a list of 1 to 16", EBADMSG);
    for (const json& s : b["services"]) {
        if (!s.is_string() || !daemon::valid_service_name(s.get<std::string>()))
            return fail("grant: bad service", EBADMSG);
        g.services.push_back(s.get<std::string>());
    }
    auto sel = parse_selectors(hosts);
    if (!sel.ok() || sel->size() != 1) return fail("grant: hosts is not one selector", EBADMSG);
    g.hosts = sel->front();
    if (!selector_matches(g.hosts, c.labels))
        return fail("grant " + g.id + " is for other hosts", ENOENT);
    if (auto a = read_grant_approvals(c, b.value("approvals", json::array()), &g); !a.ok())
        return a.error();
    return g;
}

Result<RevocationRecord, Failure> read_revocation(const FleetConfig& c, const std::string& key,
                                                  const std::string& value) {
    auto opened = open_envelope(c, value, "revocation", kRevoke);
    if (!opened.ok()) return opened.error();
    const json& b = opened->second;
    RevocationRecord r;
    r.signer = opened->first.signer;
    if (!get_string(b, "grant", &r.grant, 32) || !get_string(b, "by", &r.by, 64) ||
        !get_string(b, "reason", &r.reason, 1024) || !get_time(b, "at", &r.at))
        return fail("revocation: a field is missing or out of bounds", EBADMSG);
    if (key_suffix(key, kRevocationsPrefix) != r.grant)
        return fail("revocation of " + r.grant + " stored under another key (" + key + ")",
                    EBADMSG);
    return r;
}

std::string grant_body(const GrantRecord& g, const std::vector<std::string>& approval_envelopes) {
    return json{{"id", g.id},
                {"request", g.request},
                {"account", g.account},
                {"services", g.services},
                {"hosts", format_labels(g.hosts)},
                {"not_before", g.not_before},
                {"not_after", g.not_after},
                {"reason", g.reason},
                {"approvals", approval_envelopes}}
        .dump();
}

std::string revocation_body(const RevocationRecord& r) {
    return json{{"grant", r.grant}, {"by", r.by}, {"reason", r.reason}, {"at", r.at}}.dump();
}

std::string approval_body(const ApprovalRecord& a) {
    return json{{"request", a.request}, {"approver", a.approver}, {"at", a.at}}.dump();
}

}  // namespace jit::fleet
