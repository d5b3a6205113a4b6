// The admin side: requests, approvals, revocations and the list, written to
// etcd as records signed with this host's key.  The person a record names
// (requester, approver, revoker) is the Actor: a [person] that jit-fleet's
// admin socket matched to the caller's uid (admin_socket.cc), or root, which
// acts for the host itself.  Each operation returns the lines to show.
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "daemon/base/ids.h"
#include "daemon/config/ini_file.h"
#include "fleet/etcd.h"
#include "fleet/fleet.h"
#include "fleet/json_strict.h"
#include "fleet/log.h"
#include "fleet/record.h"
#include "fleet/records.h"
#include "jit/timefmt.h"

namespace jit::fleet {

using nlohmann::json;

namespace {

constexpr int64_t kRequestTtl = 3600;
constexpr int64_t kGcMargin = 60;
constexpr size_t kMaxLine = 1024;  // a listed record is cut here

// "--name value" pairs after the positional arguments.
struct Args {
    std::vector<std::string> positional;
    std::map<std::string, std::string> named;
};

Args parse_args(const std::vector<std::string>& args) {
    Args a;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i].rfind("--", 0) == 0 && i + 1 < args.size()) {
            a.named[args[i].substr(2)] = args[i + 1];
            ++i;
        } else {
            a.positional.push_back(args[i]);
        }
    }
    return a;
}

Failure usage(const std::string& what) {
    return fail(what + " (see jit-fleet(8))", EINVAL);
}

// A write etcd refused (RBAC: this host's etcd user may not write that key)
// is journaled, not only returned: it is what a host stepping outside its
// role looks like.
Failure write_failed(const FleetConfig& c, const std::string& key, const Failure& e) {
    if (e.code != EACCES) return e;
    log_event("fleet-etcd-refused", LOG_WARNING,
              "etcd refused " + (c.user.empty() ? std::string("this host") : "user " + c.user) +
                  " writing " + key + ": " + e.message,
              {{"JIT_FLEET_KEY", key}, {"JIT_REASON", e.message}});
    return e;
}

Etcd connect(const Options& o, const FleetConfig& c) {
    return Etcd({c.endpoints, c.user, o.password, c.ca_file, 2000});
}

// The request's body, verified against the trust file.  Its key names the
// requesting host (/jit/v1/requests/<host>/<id>, so etcd's roles can keep
// each host to its own requests); that host must be the signer.
Result<json, Failure> read_request(const FleetConfig& c, Etcd& etcd, const std::string& id) {
    auto got = etcd.get(kRequestsPrefix, true);
    if (!got.ok()) return got.error();
    const KeyValue* found = nullptr;
    for (const auto& kv : got->kvs)
        if (kv.key.size() > id.size() + 1 &&
            kv.key.compare(kv.key.size() - id.size() - 1, std::string::npos, "/" + id) == 0)
            found = &kv;
    if (!found) return fail("no fleet request " + id + " (expired or never made)", ENOENT);
    auto env = parse_envelope(found->value);
    if (!env.ok()) return env.error();
    auto it = c.trusted.find(env->signer);
    if (env->kind != "request" || it == c.trusted.end() ||
        !verify_envelope(*env, it->second.key.get()))
        return fail("request " + id + " is not signed by a trusted host", EPERM);
    if (found->key != request_key(env->signer, id))
        return fail("request " + id + " is stored under another host's key (" + found->key + ")",
                    EPERM);
    auto body = parse_strict(env->body);
    if (!body.ok() || !body->is_object() || body->value("id", "") != id ||
        body->value("host", "") != env->signer)
        return fail("request " + id + " is malformed", EBADMSG);
    return *body;
}

// Every valid approval of request id: (approver envelope texts, distinct names).
std::vector<std::string> approvals_of(const FleetConfig& c, Etcd& etcd, const std::string& id) {
    std::vector<std::string> out;
    auto got = etcd.get(kApprovalsPrefix + id + "/", true);
    if (!got.ok()) return out;
    for (const auto& kv : got->kvs) {
        auto env = parse_envelope(kv.value);
        if (!env.ok() || env->kind != "approval") continue;
        auto it = c.trusted.find(env->signer);
        if (it != c.trusted.end() && verify_envelope(*env, it->second.key.get()))
            out.push_back(kv.value);
    }
    return out;
}

Result<Lines, Failure> mint_grant(const FleetConfig& c, Etcd& etcd, EVP_PKEY* key, const json& req,
                                  const std::vector<std::string>& approvals) {
    GrantRecord g;
    g.id = "fg-" + req.value("id", "").substr(3);
    g.request = req.value("id", "");
    g.account = req.value("account", "");
    g.reason = req.value("reason", "");
    g.services = req.value("services", std::vector<std::string>{});
    auto sel = parse_selectors(req.value("hosts", ""));
    if (!sel.ok() || sel->size() != 1) return fail("request has a bad host selector", EBADMSG);
    g.hosts = sel->front();
    g.not_before = time(nullptr);
    g.not_after = g.not_before + req.value("duration", int64_t(0));
    auto env = seal(key, "grant", c.host, grant_body(g, approvals));
    if (!env.ok()) return env.error();
    auto lease = etcd.lease_grant(g.not_after - g.not_before + kGcMargin);
    if (!lease.ok()) return lease.error();
    auto made = etcd.create(kGrantsPrefix + g.id, *env, *lease);
    if (!made.ok()) return write_failed(c, kGrantsPrefix + g.id, made.error());
    return Lines{std::string(*made ? "granted " : "already granted ") + g.id + ": " + g.account +
                 " on hosts " + format_labels(g.hosts) + " for " +
                 req.value("services", json::array()).dump(-1, ' ', true) + " until " +
                 format_utc(g.not_after)};
}

// The request's fields, checked; a usage error names the one that is wrong.
Result<json, Failure> request_body(const FleetConfig& c, const Actor& who, const Args& a) {
    if (a.positional.size() != 1 || !a.named.count("hosts") || !a.named.count("service") ||
        !a.named.count("for") || !a.named.count("reason"))
        return usage(
            "request ACCOUNT --hosts SELECTOR --service S[,S] --for DURATION --reason TEXT");
    auto d = parse_duration(a.named.at("for"));
    if (!d.ok() || *d == 0 || *d > 7 * 24 * 3600) return usage("--for: a duration up to 7d");
    auto sel = parse_selectors(a.named.at("hosts"));
    if (!sel.ok()) return usage("--hosts \"" + a.named.at("hosts") + "\": " + sel.error().message);
    if (sel->size() != 1) return usage("--hosts: one selector such as role=web,env=prod (no ';')");
    if (sel->front().empty()) return usage("--hosts: name labels, such as role=web (not *)");
    if (!daemon::valid_user_name(a.positional[0]))
        return usage("\"" + a.positional[0] + "\" is not an account name");
    auto service_list = daemon::split_list(a.named.at("service"));
    if (!service_list.ok() || service_list->empty())
        return usage("--service: a list such as sshd,sudo");
    std::vector<std::string> services;
    for (auto s : *service_list) {
        if (!daemon::valid_service_name(s))
            return usage("--service: \"" + std::string(s) + "\" is not a service name");
        services.emplace_back(s);
    }
    if (a.named.at("reason").empty()) return usage("--reason: say why");
    return json{{"account", a.positional[0]},
                {"services", services},
                {"hosts", format_labels(sel->front())},
                {"duration", int64_t(*d)},
                {"reason", a.named.at("reason")},
                {"requester", who.name},
                {"host", c.host},
                {"at", int64_t(time(nullptr))}};
}

bool valid_fleet_id(const std::string& id, const char* prefix) {
    if (id.size() != 3 + kFleetIdChars || id.rfind(prefix, 0) != 0) return false;
    for (char ch : id.substr(3))
        if (!isalnum(static_cast<unsigned char>(ch))) return false;
    return true;
}

// One verified record per line: key, signer, body (or why it is not believed).
std::string record_line(const FleetConfig& c, const KeyValue& kv) {
    auto env = parse_envelope(kv.value);
    auto it = env.ok() ? c.trusted.find(env->signer) : c.trusted.end();
    bool good = env.ok() && it != c.trusted.end() && verify_envelope(*env, it->second.key.get());
    std::string line = kv.key + "  " + (env.ok() ? env->signer : "-") + "  " +
                       (good ? env->body : "(not verified)");
    return line.size() > kMaxLine ? line.substr(0, kMaxLine - 3) + "..." : line;
}

// Requests that have no grant yet, with their verified approvals.
Lines pending_lines(const FleetConfig& c, const std::vector<KeyValue>& kvs) {
    std::set<std::string> granted;
    std::map<std::string, std::vector<std::string>> approvers;
    for (const auto& kv : kvs) {
        if (kv.key.rfind(kGrantsPrefix, 0) == 0)
            granted.insert(kv.key.substr(strlen(kGrantsPrefix)));
        if (kv.key.rfind(kApprovalsPrefix, 0) != 0) continue;
        auto ap = read_approval(c, kv.value);
        if (ap.ok()) approvers[ap->request].push_back(ap->approver + "@" + ap->signer);
    }
    Lines out;
    for (const auto& kv : kvs) {
        if (kv.key.rfind(kRequestsPrefix, 0) != 0) continue;
        auto env = parse_envelope(kv.value);
        auto it = env.ok() ? c.trusted.find(env->signer) : c.trusted.end();
        if (it == c.trusted.end() || env->kind != "request" ||
            !verify_envelope(*env, it->second.key.get()))
            continue;
        auto body = parse_strict(env->body);
        if (!body.ok() || !body->is_object()) continue;
        std::string id = body->value("id", "");
        if (!valid_fleet_id(id, "fr-") || kv.key != request_key(env->signer, id) ||
            granted.count("fg-" + id.substr(3)))
            continue;
        const auto& by = approvers[id];
        std::string names;
        for (const auto& n : by) names += (names.empty() ? "" : ",") + n;
        std::string line =
            id + "  " + body->value("account", "") + "  " +
            body->value("services", json::array()).dump() + "  hosts " + body->value("hosts", "") +
            "  for " + format_duration(body->value("duration", int64_t(0))) + "  by " +
            body->value("requester", "") + "@" + env->signer + "  approvals " +
            std::to_string(by.size()) + "/" + std::to_string(c.approvals) +
            (names.empty() ? "" : " (" + names + ")") + "  reason: " + body->value("reason", "");
        out.push_back(line.size() > kMaxLine ? line.substr(0, kMaxLine - 3) + "..." : line);
    }
    if (out.empty()) out.push_back("no pending fleet requests");
    return out;
}

}  // namespace

Result<Lines, Failure> fleet_request(const Options& o, const FleetConfig& c, const Actor& who,
                                     const std::vector<std::string>& argv) {
    auto body = request_body(c, who, parse_args(argv));
    if (!body.ok()) return body.error();
    auto key = load_private_key(c.key_path);
    if (!key.ok()) return key.error();
    auto new_id = daemon::new_random_id("fr-", kFleetIdChars);
    if (!new_id.ok())
        return fail(std::string("cannot make a request id: ") + new_id.error().what, EIO);
    std::string id = *new_id;
    (*body)["id"] = id;
    auto env = seal(key->get(), "request", c.host, body->dump());
    if (!env.ok()) return env.error();
    Etcd etcd = connect(o, c);
    auto lease = etcd.lease_grant(kRequestTtl);
    if (!lease.ok()) return lease.error();
    if (auto p = etcd.put(request_key(c.host, id), *env, *lease); !p.ok())
        return write_failed(c, request_key(c.host, id), p.error());
    return Lines{id};
}

Result<Lines, Failure> fleet_approve(const Options& o, const FleetConfig& c, const Actor& who,
                                     const std::vector<std::string>& argv) {
    Args a = parse_args(argv);
    if (a.positional.size() != 1 || !a.named.empty()) return usage("approve REQUEST");
    const std::string& id = a.positional[0];
    if (!valid_fleet_id(id, "fr-"))
        return usage("\"" + id + "\" is not a fleet request id (fr-...)");
    Etcd etcd = connect(o, c);
    auto req = read_request(c, etcd, id);
    if (!req.ok()) return req.error();
    if (req->value("requester", "") == who.name)
        return fail("nobody approves their own request", EPERM);
    auto key = load_private_key(c.key_path);
    if (!key.ok()) return key.error();
    ApprovalRecord ap{c.host, id, who.name, int64_t(time(nullptr))};
    auto env = seal(key->get(), "approval", c.host, approval_body(ap));
    auto lease = etcd.lease_grant(kRequestTtl);
    if (!env.ok() || !lease.ok()) return fail("cannot sign or lease the approval", EIO);
    const std::string at = kApprovalsPrefix + id + "/" + c.host + "." + ap.approver;
    if (auto p = etcd.put(at, *env, *lease); !p.ok()) return write_failed(c, at, p.error());
    auto approvals = approvals_of(c, etcd, id);
    if (approvals.size() < c.approvals)
        return Lines{"approved " + id + " (" + std::to_string(approvals.size()) + " of " +
                     std::to_string(c.approvals) + ")"};
    return mint_grant(c, etcd, key->get(), *req, approvals);
}

Result<Lines, Failure> fleet_revoke(const Options& o, const FleetConfig& c, const Actor& who,
                                    const std::vector<std::string>& argv) {
    Args a = parse_args(argv);
    if (a.positional.size() != 1 || a.named.size() > a.named.count("reason"))
        return usage("revoke GRANT [--reason TEXT]");
    if (!valid_fleet_id(a.positional[0], "fg-"))
        return usage("\"" + a.positional[0] + "\" is not a fleet grant id (fg-...)");
    auto key = load_private_key(c.key_path);
    if (!key.ok()) return key.error();
    RevocationRecord r{c.host, a.positional[0], who.name,
                       a.named.count("reason") ? a.named["reason"] : "no reason given",
                       int64_t(time(nullptr))};
    auto env = seal(key->get(), "revocation", c.host, revocation_body(r));
    Etcd etcd = connect(o, c);
    // Kept a week, longer than any grant (at most 7d): a revocation must
    // outlive the grant it ends.
    auto lease = etcd.lease_grant(7 * 24 * 3600 + kGcMargin);
    if (!env.ok() || !lease.ok()) return fail("cannot sign or lease the revocation", EIO);
    if (auto p = etcd.put(kRevocationsPrefix + r.grant, *env, *lease); !p.ok())
        return write_failed(c, kRevocationsPrefix + r.grant, p.error());
    return Lines{"revoked " + r.grant};
}

Result<Lines, Failure> fleet_list(const Options& o, const FleetConfig& c, const Actor&,
                                  const std::vector<std::string>& argv) {
    bool pending = argv.size() == 1 && argv[0] == "--pending";
    if (!argv.empty() && !pending) return usage("list [--pending]");
    Etcd etcd = connect(o, c);
    auto all = etcd.get(kPrefix, true);
    if (!all.ok()) return all.error();
    if (pending) return pending_lines(c, all->kvs);
    Lines out;
    for (const auto& kv : all->kvs) out.push_back(record_line(c, kv));
    return out;
}

}  // namespace jit::fleet
