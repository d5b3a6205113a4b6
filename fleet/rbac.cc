#include "fleet/rbac.h"

#include "fleet/records.h"

namespace jit::fleet {

namespace {

using Command = std::vector<std::string>;

void host_role(const std::string& host, unsigned may, std::vector<Command>& out) {
    const std::string role = role_name(host);
    auto grant = [&](const char* perm, const std::string& key, bool prefix) {
        Command c = {"role", "grant-permission", role, perm, key};
        if (prefix) c.push_back("--prefix");
        out.push_back(std::move(c));
    };
    out.push_back({"role", "add", role});
    grant("read", kPrefix, true);
    grant("readwrite", kHostsPrefix + host, false);
    grant("readwrite", kRequestsPrefix + host + "/", true);
    grant("readwrite", kAuditPrefix + host + "/", true);
    grant("readwrite", kCosignaturesPrefix + host + "/", true);
    if (may & kApprove) grant("readwrite", kApprovalsPrefix, true);
    if (may & kGrant) grant("readwrite", kGrantsPrefix, true);
    if (may & kRevoke) grant("readwrite", kRevocationsPrefix, true);
    out.push_back({"user", "grant-role", host, role});
}

}  // namespace

std::string role_name(const std::string& host) {
    return "jit-host-" + host;
}

std::vector<Command> etcd_role_commands(const FleetConfig& c) {
    std::vector<Command> out;
    if (!c.trusted.count(c.host)) host_role(c.host, kRequest, out);
    for (const auto& [name, h] : c.trusted) host_role(name, h.may, out);
    return out;
}

}  // namespace jit::fleet
