// jitctl --fleet's admission in jit-fleet: [person] sections map local
// accounts to the people fleet records name, each with what they may do;
// root acts for the host; only root may name someone with --as; the
// operation table refuses anything it does not list.
#include <errno.h>
#include <gtest/gtest.h>

#include "fleet/admin_socket.h"
#include "fleet/trust.h"

namespace jit::fleet {
namespace {

const std::string kHead = "[fleet]\nhost = admin-1\nkey = /k\nendpoints = http://a:2379\n";

FleetConfig config(const std::string& people) {
    auto c = parse_fleet_config(kHead + people, "f.conf");
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? std::move(*c) : FleetConfig{};
}

std::string error_of(const std::string& people) {
    auto r = parse_fleet_config(kHead + people, "f.conf");
    return r.ok() ? "" : r.error().message;
}

const std::string kPeople =
    "[person alice]\nusers = alice, 4201\n\n"
    "[person bob]\nusers = 4202\nmay = request, approve, revoke\n";

TEST(FleetPeople, PersonSectionsParse) {
    FleetConfig c = config("admin_socket = /x\n" + kPeople);
    EXPECT_EQ(c.admin_socket, "/x");
    ASSERT_EQ(c.people.size(), 2u);
    EXPECT_EQ(c.people["alice"].users, std::vector<std::string>{"alice"});
    EXPECT_EQ(c.people["alice"].uids, std::vector<uint32_t>{4201});
    EXPECT_EQ(c.people["alice"].may, unsigned(kRequest)) << "request only, by default";
    EXPECT_EQ(c.people["bob"].may, unsigned(kRequest | kApprove | kRevoke));
    EXPECT_EQ(config("").admin_socket, "/run/jit/jit-fleet.sock");
}

TEST(FleetPeople, BadPersonSectionsAreConfigErrors) {
    EXPECT_NE(error_of("[person eve]\nmay = approve\n").find("users is required"),
              std::string::npos);
    EXPECT_NE(error_of("[person eve]\nusers = a b!\n").find("neither an account name nor a uid"),
              std::string::npos);
    EXPECT_NE(error_of("[person eve]\nusers = 1\nmay = grant\n").find("grant is a host's"),
              std::string::npos);
    EXPECT_NE(error_of("[person eve]\nusers = 1\n[person eve]\nusers = 2\n").find("twice"),
              std::string::npos);
    EXPECT_NE(error_of("[person eve]\nusers = 1\nkey = x\n").find("unknown key"),
              std::string::npos);
    EXPECT_NE(error_of("[fleet]\nadmin_socket = relative\n").find("absolute"), std::string::npos);
}

TEST(FleetAdmit, APersonActsAsThemselvesWithinTheirMay) {
    FleetConfig c = config(kPeople);
    auto a = admit(c, 4201, "", "request", {"deploy", "--hosts", "role=web"});
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->actor.name, "alice");
    EXPECT_STREQ(a->operation->op, "request");
    EXPECT_EQ(a->args, (std::vector<std::string>{"deploy", "--hosts", "role=web"}));
    EXPECT_TRUE(a->as_note.empty());
    auto by_name = admit(c, 1500, "alice", "list", {});
    ASSERT_TRUE(by_name.ok()) << "an account name in users = matches too";
    EXPECT_EQ(by_name->actor.name, "alice");
    auto no = admit(c, 4201, "", "approve", {"fr-0123456789"});
    ASSERT_FALSE(no.ok());
    EXPECT_EQ(no.error().code, EPERM);
    EXPECT_NE(no.error().message.find("person alice may not approve"), std::string::npos);
    EXPECT_TRUE(admit(c, 4202, "", "approve", {"fr-0123456789"}).ok());
    EXPECT_TRUE(admit(c, 4202, "", "revoke", {"fg-0123456789"}).ok());
}

TEST(FleetAdmit, AnyoneElseIsRefused) {
    FleetConfig c = config(kPeople);
    for (const char* op : {"list", "request", "approve", "revoke"}) {
        auto a = admit(c, 4299, "mallory", op, {});
        ASSERT_FALSE(a.ok()) << op;
        EXPECT_EQ(a.error().code, EPERM);
        EXPECT_NE(a.error().message.find("no fleet person"), std::string::npos);
    }
}

TEST(FleetAdmit, RootActsForTheHostAndOnlyRootMayUseAs) {
    FleetConfig c = config(kPeople);
    auto root = admit(c, 0, "root", "approve", {"fr-0123456789"});
    ASSERT_TRUE(root.ok());
    EXPECT_EQ(root->actor.name, "root");
    EXPECT_TRUE(root->as_note.empty());
    auto as = admit(c, 0, "root", "approve", {"fr-0123456789", "--as", "carol"});
    ASSERT_TRUE(as.ok());
    EXPECT_EQ(as->actor.name, "carol");
    EXPECT_EQ(as->args, std::vector<std::string>{"fr-0123456789"}) << "--as is not passed on";
    EXPECT_NE(as->as_note.find("root acts as carol"), std::string::npos) << "journaled";
    auto bob_as = admit(c, 4202, "", "approve", {"fr-0123456789", "--as", "carol"});
    ASSERT_FALSE(bob_as.ok());
    EXPECT_EQ(bob_as.error().code, EPERM);
    EXPECT_FALSE(admit(c, 0, "root", "approve", {"x", "--as"}).ok()) << "--as needs a name";
    EXPECT_FALSE(admit(c, 0, "root", "approve", {"x", "--as", "a/b"}).ok());
}

TEST(FleetAdmit, TheTableRefusesWhatItDoesNotList) {
    FleetConfig c = config(kPeople);
    for (const char* op : {"mint", "grant", "", "LIST", "list "}) {
        auto a = admit(c, 0, "root", op, {});
        ASSERT_FALSE(a.ok()) << op;
        EXPECT_EQ(a.error().code, EINVAL) << op;
    }
}

}  // namespace
}  // namespace jit::fleet
