// The policy keys commands = and runas = (jit-policy(5), COMMANDS): parsed
// into normalised patterns, refused with the reason where they cannot work.
#include <gtest/gtest.h>

#include <string>

#include "daemon/policy/policy.h"

namespace jit::daemon {
namespace {

Result<PolicySet, Failure> parse(const std::string& text) {
    PolicySet set;
    auto r = parse_policy_text(text, "t.conf", PolicyOptions{}, &set);
    if (!r) return r.error();
    return set;
}

const std::string kRule =
    "[web-restart]\naccounts = deploy\nservices = sudo\nduration = 1m..15m\napproval = auto\n";

TEST(PolicyCommands, TheIssueExampleParses) {
    auto set = parse(kRule +
                     "commands = /usr/bin/systemctl restart web.service, "
                     "/usr/bin/journalctl  -u web.service --since *\nrunas = root\nuses = 5\n");
    ASSERT_TRUE(set) << set.error().to_string();
    const Rule& r = set->rules.at(0);
    EXPECT_EQ(r.commands,
              (std::vector<std::string>{"/usr/bin/systemctl restart web.service",
                                        "/usr/bin/journalctl -u web.service --since *"}));
    EXPECT_EQ(r.runas, std::vector<std::string>{"root"});
    EXPECT_EQ(r.uses, std::optional<uint32_t>(5));
}

TEST(PolicyCommands, RefusesWhatCannotBeMatchedSafely) {
    struct Case {
        std::string extra, key, needle;
    } cases[] = {
        {"commands = systemctl restart web.service\n", "commands", "absolute path"},
        {"commands = /usr/bin/../bin/systemctl\n", "commands", "normal"},
        {"commands = /usr/bin/*\n", "commands", "'*'"},
        {"runas = postgres\n", "runas", "only used with commands"},
        {"commands = /bin/true\nrunas = Bad Name\n", "runas", "not an account name"},
        {"uses = 0\n", "uses", "at least 1"},
        {"uses = 1000001\n", "uses", ""},
        {"uses = five\n", "uses", ""},
    };
    for (const auto& c : cases) {
        auto set = parse(kRule + c.extra);
        ASSERT_FALSE(set) << c.extra;
        EXPECT_EQ(set.error().place.key, c.key) << set.error().to_string();
        EXPECT_NE(set.error().message.find(c.needle), std::string::npos) << set.error().to_string();
    }
    auto ssh = parse(
        "[r]\naccounts = deploy\nservices = sshd\nduration = 1m..15m\napproval = auto\n"
        "commands = /bin/true\n");
    ASSERT_FALSE(ssh);
    EXPECT_EQ(ssh.error().place.key, "commands");
}

}  // namespace
}  // namespace jit::daemon
