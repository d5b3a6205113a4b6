// jitd.conf's policy and notification keys: defaults, valid values and the
// errors, each on its line and key.
#include <gtest/gtest.h>

#include "daemon/config/config.h"

namespace jit::daemon {
namespace {

TEST(ConfigPolicyKeys, Defaults) {
    auto c = parse_config("", "t.conf");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->policy_dir, "/etc/jit/policy.d");
    EXPECT_EQ(c->identity_dir, "/etc/jit/identity.d");
    EXPECT_EQ(c->notify_command, "");
    EXPECT_EQ(c->notify_timeout_ms, 10000);
    EXPECT_EQ(c->notify_before_seconds, 300u);
}

TEST(ConfigPolicyKeys, Values) {
    auto c = parse_config(
        "[jitd]\npolicy_dir = /srv/jit/policy\nidentity_dir = /srv/jit/identity\nnotify_command = "
        "/usr/local/lib/jit/notify\n"
        "notify_timeout = 30s\nnotify_before = 10m\n",
        "t.conf");
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    EXPECT_EQ(c->policy_dir, "/srv/jit/policy");
    EXPECT_EQ(c->identity_dir, "/srv/jit/identity");
    EXPECT_EQ(c->notify_command, "/usr/local/lib/jit/notify");
    EXPECT_EQ(c->notify_timeout_ms, 30000);
    EXPECT_EQ(c->notify_before_seconds, 600u);
}

TEST(ConfigPolicyKeys, Errors) {
    const struct {
        const char* text;
        const char* expected;
    } cases[] = {
        {"[jitd]\npolicy_dir = policy.d\n", "t.conf:2: policy_dir: must be an absolute path"},
        {"[jitd]\nidentity_dir = identity.d\n", "t.conf:2: identity_dir: must be an absolute path"},
        {"[jitd]\nnotify_command = /usr/bin/curl -d @-\n",
         "t.conf:2: notify_command: a path, run directly without a shell: no arguments (use a "
         "script)"},
        {"[jitd]\nnotify_command = notify.sh\n",
         "t.conf:2: notify_command: must be an absolute path"},
        {"[jitd]\nnotify_command = /a/../b\n",
         "t.conf:2: notify_command: path must not contain . or .. components"},
        {"[jitd]\nnotify_timeout = 6m\n",
         "t.conf:2: notify_timeout: notify_timeout must be at most 5m"},
        {"[jitd]\nnotify_before = soon\n",
         "t.conf:2: notify_before: duration must look like 90s, 15m, 2h or 1d"},
    };
    for (const auto& c : cases) {
        auto r = parse_config(c.text, "t.conf");
        ASSERT_FALSE(r.ok()) << c.text;
        EXPECT_EQ(r.error().to_string(), c.expected);
    }
}

}  // namespace
}  // namespace jit::daemon
