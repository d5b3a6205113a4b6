// jitd.conf's [nss] section and [account NAME] sections: what a valid file
// declares, and each error with the line (or file) it is reported on.
#include <string>

#include <gtest/gtest.h>

#include "daemon/config/config.h"

namespace jit::daemon {
namespace {

TEST(ConfigNss, DeclaresAccountsAndRanges) {
    auto c = parse_config(
        "[nss]\n"
        "snapshot = /run/jit-test/nss.snapshot\n"
        "uid_range = 60500-60999\n"
        "gid_range = 60500-60999\n"
        "groups = jit-sudo, jit-ops\n"
        "[account deploy]\n"
        "uid = 60555\n"
        "groups = jit-ops\n"
        "home = /srv/deploy\n"
        "shell = /bin/bash\n"
        "gecos = Deploy bot, release 4\n"
        "visible = always\n"
        "[account backup]\n"
        "[account deploy]\n"  // a repeated section adds to the same account
        "; nothing more\n",
        "t.conf");
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    EXPECT_TRUE(c->nss.configured);
    EXPECT_EQ(c->nss.snapshot_path, "/run/jit-test/nss.snapshot");
    ASSERT_TRUE(c->nss.uid_range && c->nss.gid_range);
    EXPECT_EQ(c->nss.uid_range->first, 60500u);
    EXPECT_EQ(c->nss.gid_range->last, 60999u);
    EXPECT_EQ(c->nss.groups, (std::vector<std::string>{"jit-sudo", "jit-ops"}));
    ASSERT_EQ(c->accounts.size(), 2u);
    const AccountDecl& d = c->accounts[0];
    EXPECT_EQ(d.name, "deploy");
    EXPECT_EQ(d.uid, std::optional<uid_t>(60555));
    EXPECT_EQ(d.groups, std::vector<std::string>{"jit-ops"});
    EXPECT_EQ(d.home, "/srv/deploy");
    EXPECT_EQ(d.shell, "/bin/bash");
    EXPECT_EQ(d.gecos, "Deploy bot, release 4");
    EXPECT_TRUE(d.always_visible);
    const AccountDecl& b = c->accounts[1];
    EXPECT_EQ(b.name, "backup");
    EXPECT_FALSE(b.uid.has_value());
    EXPECT_FALSE(b.always_visible) << "granted is the default";
    EXPECT_TRUE(b.home.empty());
}

TEST(ConfigNss, DefaultsLeaveNssAlone) {
    auto c = parse_config("[jitd]\nmax_grant = 1d\n", "t.conf");
    ASSERT_TRUE(c.ok());
    EXPECT_FALSE(c->nss.configured);
    EXPECT_EQ(c->nss.snapshot_path, "/run/jit/nss.snapshot");
    EXPECT_TRUE(c->accounts.empty());
}

struct Bad {
    const char* text;
    int line;
    const char* key;
    const char* message;
};

TEST(ConfigNss, EachErrorWithItsLine) {
    const Bad cases[] = {
        {"[nss]\nuid_range = 5-1\n", 2, "uid_range", "uid range 5-1 is reversed"},
        {"[nss]\nuid_range = 1-5, 8-9\n", 2, "uid_range", "one uid range, such as 60500-60999"},
        {"[nss]\ngid_range = 0-9\n", 2, "gid_range", "uid 0 (root) cannot be managed"},
        {"[nss]\nsnapshot = relative\n", 2, "snapshot", "must be an absolute path"},
        {"[nss]\ngroups = jit-ok, Bad\n", 2, "groups", "invalid group name 'Bad'"},
        {"[nss]\nbogus = 1\n", 2, "bogus", "unknown key in [nss]"},
        {"[account Deploy]\n", 1, "", "invalid account name 'Deploy'"},
        {"[account root]\n", 1, "", "root cannot be an NSS account"},
        {"[account deploy]\nuid = 0\n", 2, "uid", "uid 0 (root) cannot be an NSS account"},
        {"[account deploy]\nuid = x1\n", 2, "uid", "'x1' is not a uid"},
        {"[account deploy]\nhome = /a:b\n", 2, "home", "':' or a control character in path"},
        {"[account deploy]\nshell = bin/sh\n", 2, "shell", "must be an absolute path"},
        {"[account deploy]\ngecos = a:b\n", 2, "gecos", "':' or a control character in gecos"},
        {"[account deploy]\nvisible = sometimes\n", 2, "visible", "must be always or granted"},
        {"[account deploy]\ncolour = blue\n", 2, "colour", "unknown key in [account deploy]"},
        {"[account deploy]\nuid = 1\nuid = 2\n", 3, "uid", "key given twice in [account deploy]"},
        {"[account deploy]\nshell =\n", 2, "shell",
         "empty value (leave the key out to get the default)"},
    };
    for (const Bad& b : cases) {
        auto c = parse_config(b.text, "t.conf");
        ASSERT_FALSE(c.ok()) << b.text;
        EXPECT_EQ(c.error().place.line, b.line) << b.text << c.error().to_string();
        EXPECT_EQ(c.error().place.key, b.key) << b.text << c.error().to_string();
        EXPECT_EQ(c.error().message, b.message) << b.text;
    }
}

TEST(ConfigNss, RulesAcrossSectionsAreFileErrors) {
    const std::pair<const char*, const char*> cases[] = {
        {"[account deploy]\n", "[account] sections need uid_range and gid_range in [nss]"},
        {"[nss]\nuid_range = 60500-60999\n[account deploy]\n",
         "[account] sections need uid_range and gid_range in [nss]"},
        {"[nss]\nuid_range = 60500-60999\ngid_range = 60500-60999\n[account deploy]\nuid = 7\n",
         "[account deploy] uid 7 is outside [nss] uid_range"},
        {"[nss]\nuid_range = 60500-60999\ngid_range = 60500-60999\ngroups = deploy\n"
         "[account deploy]\n",
         "[account deploy] has the name of a jit group in [nss] groups"},
        {"[nss]\nuid_range = 60500-60999\ngid_range = 60500-60999\n"
         "[account a]\nuid = 60501\n[account b]\nuid = 60501\n",
         "[account a] and [account b] share a uid"},
        {"[nss]\nuid_range = 60500-60999\ngid_range = 60500-60999\n"
         "[account a]\ngroups = b\n[account b]\n",
         "[account a] names the account b as a group"},
    };
    for (const auto& [text, message] : cases) {
        auto c = parse_config(text, "t.conf");
        ASSERT_FALSE(c.ok()) << text;
        EXPECT_EQ(c.error().place.line, 0) << text;
        EXPECT_EQ(c.error().message, message) << text;
    }
}

}  // namespace
}  // namespace jit::daemon
