// How jit-fleet reaches etcd: the connection settings that must hang
// together (fleet.conf), and the etcd roles printed from the trust file.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>

#include "fleet/rbac.h"
#include "fleet/record.h"
#include "fleet/trust.h"

namespace jit::fleet {
namespace {

const std::string kHead = "[fleet]\nhost = web-1\nkey = /k\n";

std::string error_of(const std::string& text) {
    auto r = parse_fleet_config(text, "f.conf");
    return r.ok() ? "" : r.error().message;
}

TEST(FleetAccess, APasswordNeverCrossesPlainHttp) {
    EXPECT_NE(error_of(kHead + "endpoints = http://a:2379\nuser = web-1\npassword_file = /p\n")
                  .find("would cross http:// in clear"),
              std::string::npos);
    EXPECT_EQ(error_of(kHead + "endpoints = https://a:2379\nuser = web-1\npassword_file = /p\n"),
              "");
}

TEST(FleetAccess, SettingsMustHangTogether) {
    EXPECT_NE(error_of(kHead + "endpoints = https://a:2379, http://b:2379\n").find("not a mix"),
              std::string::npos);
    EXPECT_NE(error_of(kHead + "endpoints = https://a:2379\nuser = web-1\n")
                  .find("user: needs password_file"),
              std::string::npos);
    EXPECT_NE(error_of(kHead + "endpoints = https://a:2379\npassword_file = /p\n")
                  .find("password_file: needs user"),
              std::string::npos);
    EXPECT_NE(error_of(kHead + "endpoints = http://a:2379\nca_file = /ca.pem\n")
                  .find("only for https://"),
              std::string::npos);
    EXPECT_NE(error_of(kHead + "endpoints = https://a:2379\nuser = a b\npassword_file = /p\n"), "");
}

bool has(const std::vector<std::vector<std::string>>& lines, std::vector<std::string> line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
}

TEST(FleetAccess, RolesGiveApproverPrefixesOnlyToApproverHosts) {
    Pkey k(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    std::string pub = public_key_base64(k.get()).value();
    auto c = parse_fleet_config(
                 kHead + "endpoints = http://a:2379\n[host admin-1]\nkey = " + pub +
                     "\nmay = approve, grant, revoke\nfor = *\n[host web-2]\nkey = " + pub +
                     "\nmay = request\nfor = *\n",
                 "f.conf")
                 .value();
    auto lines = etcd_role_commands(c);
    // This host (not in its own trust file) gets a role too.
    EXPECT_TRUE(has(lines, {"user", "grant-role", "web-1", "jit-host-web-1"}));
    EXPECT_TRUE(has(lines, {"role", "grant-permission", "jit-host-web-2", "readwrite",
                            "/jit/v1/requests/web-2/", "--prefix"}));
    EXPECT_TRUE(has(
        lines, {"role", "grant-permission", "jit-host-web-2", "readwrite", "/jit/v1/hosts/web-2"}));
    EXPECT_TRUE(has(lines, {"role", "grant-permission", "jit-host-admin-1", "readwrite",
                            "/jit/v1/approvals/", "--prefix"}));
    for (const auto& line : lines) {
        if (line.size() < 5 || line[2] == "jit-host-admin-1") continue;
        // Nobody but admin-1 may write approvals, grants, revocations, or
        // another host's keys.
        if (line[3] == "read") {
            EXPECT_EQ(line[4], "/jit/v1/");
            continue;
        }
        const std::string host = line[2].substr(9);
        EXPECT_NE(line[4].find(host), std::string::npos) << line[2] << " " << line[4];
    }
}

}  // namespace
}  // namespace jit::fleet
