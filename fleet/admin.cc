// The admin side: requests, approvals, revocations and the list, written to
// etcd as records signed with this host's key.  These commands read the
// host key, so they run as root; --as names the person, and the record says
// which host vouches for that name.
#include <stdio.h>
#include <syslog.h>
#include <time.h>

#include <nlohmann/json.hpp>

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

int usage(const char* what) {
    fprintf(stderr, "jit-fleet: %s (see jit-fleet(8))\n", what);
    return 2;
}

int failed(const std::string& what) {
    fprintf(stderr, "jit-fleet: %s\n", what.c_str());
    return 1;
}

// A write etcd refused (RBAC: this host's etcd user may not write that key)
// is journaled, not only printed: it is what a host stepping outside its
// role looks like.
int write_failed(const FleetConfig& c, const std::string& key, const Error& e) {
    if (e.code != EACCES) return failed(e.message);
    log_event("fleet-etcd-refused", LOG_WARNING,
              "etcd refused " + (c.user.empty() ? std::string("this host") : "user " + c.user) +
                  " writing " + key + ": " + e.message,
              {{"JIT_FLEET_KEY", key}, {"JIT_REASON", e.message}});
    return 1;
}

Etcd connect(const Options& o, const FleetConfig& c) {
    return Etcd({c.endpoints, c.user, o.password, c.ca_file, 2000});
}

// The request's body, verified against the trust file.  Its key names the
// requesting host (/jit/v1/requests/<host>/<id>, so etcd's roles can keep
// each host to its own requests); that host must be the signer.
Result<json, Error> read_request(const FleetConfig& c, Etcd& etcd, const std::string& id) {
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

int mint_grant(const FleetConfig& c, Etcd& etcd, EVP_PKEY* key, const json& req,
               const std::vector<std::string>& approvals) {
    GrantRecord g;
    g.id = "fg-" + req.value("id", "").substr(3);
    g.request = req.value("id", "");
    g.account = req.value("account", "");
    g.reason = req.value("reason", "");
    g.services = req.value("services", std::vector<std::string>{});
    auto sel = parse_selectors(req.value("hosts", ""));
    if (!sel.ok() || sel->size() != 1) return failed("request has a bad host selector");
    g.hosts = sel->front();
    g.not_before = time(nullptr);
    g.not_after = g.not_before + req.value("duration", int64_t(0));
    auto env = seal(key, "grant", c.host, grant_body(g, approvals));
    if (!env.ok()) return failed(env.error().message);
    auto lease = etcd.lease_grant(g.not_after - g.not_before + kGcMargin);
    if (!lease.ok()) return failed(lease.error().message);
    auto made = etcd.create(kGrantsPrefix + g.id, *env, *lease);
    if (!made.ok()) return write_failed(c, kGrantsPrefix + g.id, made.error());
    printf("%s %s: %s on hosts %s for %s until %s\n", *made ? "granted" : "already granted",
           g.id.c_str(), g.account.c_str(), format_labels(g.hosts).c_str(),
           req.value("services", json::array()).dump(-1, ' ', true).c_str(),
           format_utc(g.not_after).c_str());
    return 0;
}

}  // namespace

int run_request(const Options& o, const FleetConfig& c, const std::vector<std::string>& argv) {
    Args a = parse_args(argv);
    if (a.positional.size() != 1 || !a.named.count("hosts") || !a.named.count("service") ||
        !a.named.count("for") || !a.named.count("reason"))
        return usage(
            "request ACCOUNT --hosts SELECTOR --service S[,S] --for DURATION --reason TEXT [--as "
            "NAME]");
    auto d = parse_duration(a.named["for"]);
    auto sel = parse_selectors(a.named["hosts"]);
    if (!d.ok() || *d == 0 || *d > 7 * 24 * 3600) return usage("--for: a duration up to 7d");
    if (!sel.ok() || sel->size() != 1)
        return usage("--hosts: one selector such as role=web,env=prod");
    if (!daemon::valid_user_name(a.positional[0])) return usage("not an account name");
    auto service_list = daemon::split_list(a.named["service"]);
    if (!service_list.ok() || service_list->empty())
        return usage("--service: a list such as sshd,sudo");
    std::vector<std::string> services;
    for (auto s : *service_list) {
        if (!daemon::valid_service_name(s)) return usage("--service: not a service name");
        services.emplace_back(s);
    }
    auto key = load_private_key(c.key_path);
    if (!key.ok()) return failed(key.error().message);
    auto new_id = daemon::new_random_id("fr-", kFleetIdChars);
    if (!new_id.ok())
        return failed(std::string("cannot make a request id: ") + new_id.error().what);
    std::string id = *new_id;
    json body = {{"id", id},
                 {"account", a.positional[0]},
                 {"services", services},
                 {"hosts", format_labels(sel->front())},
                 {"duration", int64_t(*d)},
                 {"reason", a.named["reason"]},
                 {"requester", a.named.count("as") ? a.named["as"] : "root"},
                 {"host", c.host},
                 {"at", int64_t(time(nullptr))}};
    auto env = seal(key->get(), "request", c.host, body.dump());
    Etcd etcd = connect(o, c);
    auto lease = etcd.lease_grant(kRequestTtl);
    if (!env.ok() || !lease.ok())
        return failed(env.ok() ? lease.error().message : env.error().message);
    if (auto p = etcd.put(request_key(c.host, id), *env, *lease); !p.ok())
        return write_failed(c, request_key(c.host, id), p.error());
    printf("%s\n", id.c_str());
    return 0;
}

int run_approve(const Options& o, const FleetConfig& c, const std::vector<std::string>& argv) {
    Args a = parse_args(argv);
    if (a.positional.size() != 1 || !a.named.count("as")) return usage("approve REQUEST --as NAME");
    const std::string& id = a.positional[0];
    Etcd etcd = connect(o, c);
    auto req = read_request(c, etcd, id);
    if (!req.ok()) return failed(req.error().message);
    if (req->value("requester", "") == a.named["as"])
        return failed("nobody approves their own request");
    auto key = load_private_key(c.key_path);
    if (!key.ok()) return failed(key.error().message);
    ApprovalRecord ap{c.host, id, a.named["as"], int64_t(time(nullptr))};
    auto env = seal(key->get(), "approval", c.host, approval_body(ap));
    auto lease = etcd.lease_grant(kRequestTtl);
    if (!env.ok() || !lease.ok()) return failed("cannot sign or lease the approval");
    const std::string at = kApprovalsPrefix + id + "/" + c.host + "." + ap.approver;
    if (auto p = etcd.put(at, *env, *lease); !p.ok()) return write_failed(c, at, p.error());
    auto approvals = approvals_of(c, etcd, id);
    if (approvals.size() < c.approvals) {
        printf("approved %s (%zu of %u)\n", id.c_str(), approvals.size(), c.approvals);
        return 0;
    }
    return mint_grant(c, etcd, key->get(), *req, approvals);
}

int run_revoke(const Options& o, const FleetConfig& c, const std::vector<std::string>& argv) {
    Args a = parse_args(argv);
    if (a.positional.size() != 1 || !a.named.count("reason"))
        return usage("revoke GRANT --reason TEXT [--as NAME]");
    auto key = load_private_key(c.key_path);
    if (!key.ok()) return failed(key.error().message);
    RevocationRecord r{c.host, a.positional[0], a.named.count("as") ? a.named["as"] : "root",
                       a.named["reason"], int64_t(time(nullptr))};
    auto env = seal(key->get(), "revocation", c.host, revocation_body(r));
    Etcd etcd = connect(o, c);
    // Kept a week, longer than any grant (at most 7d): a revocation must
    // outlive the grant it ends.
    auto lease = etcd.lease_grant(7 * 24 * 3600 + kGcMargin);
    if (!env.ok() || !lease.ok()) return failed("cannot sign or lease the revocation");
    if (auto p = etcd.put(kRevocationsPrefix + r.grant, *env, *lease); !p.ok())
        return write_failed(c, kRevocationsPrefix + r.grant, p.error());
    printf("revoked %s\n", r.grant.c_str());
    return 0;
}

int run_list(const Options& o, const FleetConfig& c, const std::vector<std::string>&) {
    Etcd etcd = connect(o, c);
    auto all = etcd.get(kPrefix, true);
    if (!all.ok()) return failed(all.error().message);
    for (const auto& kv : all->kvs) {
        auto env = parse_envelope(kv.value);
        auto it = env.ok() ? c.trusted.find(env->signer) : c.trusted.end();
        bool good =
            env.ok() && it != c.trusted.end() && verify_envelope(*env, it->second.key.get());
        printf("%-60s %-10s %s\n", kv.key.c_str(), env.ok() ? env->signer.c_str() : "-",
               good ? env->body.c_str() : "(not verified)");
    }
    return 0;
}

}  // namespace jit::fleet
