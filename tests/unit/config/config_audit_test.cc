// jitd.conf's audit keys: defaults, valid values and the errors.
#include <gtest/gtest.h>

#include "daemon/config/config.h"

namespace jit::daemon {
namespace {

TEST(ConfigAuditKeys, Defaults) {
    auto c = parse_config("", "t.conf");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->audit.mode, AuditConfig::Mode::Auto) << "on once jitd --audit-init has run";
    EXPECT_EQ(c->audit.durability, AuditConfig::Durability::BeforeAnswer);
    EXPECT_EQ(c->audit.failure, AuditConfig::Failure::Deny);
    EXPECT_EQ(c->audit.checkpoint_records, 1000u);
    EXPECT_EQ(c->audit.checkpoint_seconds, 60u);
}

TEST(ConfigAuditKeys, Values) {
    auto c = parse_config(
        "[jitd]\naudit = off\naudit_durability = batched\naudit_failure = log\n"
        "checkpoint_every = 500 records / 10m\n",
        "t.conf");
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    EXPECT_EQ(c->audit.mode, AuditConfig::Mode::Off);
    EXPECT_EQ(c->audit.durability, AuditConfig::Durability::Batched);
    EXPECT_EQ(c->audit.failure, AuditConfig::Failure::Log);
    EXPECT_EQ(c->audit.checkpoint_records, 500u);
    EXPECT_EQ(c->audit.checkpoint_seconds, 600u);
    auto records_only = parse_config("[jitd]\naudit = on\ncheckpoint_every = 10 records\n", "t");
    ASSERT_TRUE(records_only.ok());
    EXPECT_EQ(records_only->audit.mode, AuditConfig::Mode::On);
    EXPECT_EQ(records_only->audit.checkpoint_records, 10u);
    EXPECT_EQ(records_only->audit.checkpoint_seconds, 0u) << "the other trigger is off";
    auto time_only = parse_config("[jitd]\ncheckpoint_every = 30s\n", "t");
    ASSERT_TRUE(time_only.ok());
    EXPECT_EQ(time_only->audit.checkpoint_records, 0u);
    EXPECT_EQ(time_only->audit.checkpoint_seconds, 30u);
}

TEST(ConfigAuditKeys, Errors) {
    const struct {
        const char* text;
        const char* expected;
    } cases[] = {
        {"[jitd]\naudit = yes\n", "t.conf:2: audit: on or off"},
        {"[jitd]\naudit_durability = fsync\n",
         "t.conf:2: audit_durability: before-answer or batched"},
        {"[jitd]\naudit_failure = allow\n", "t.conf:2: audit_failure: deny or log"},
        {"[jitd]\ncheckpoint_every = often\n",
         "t.conf:2: checkpoint_every: N records / DURATION (such as 1000 records / 1m), or "
         "either alone"},
        {"[jitd]\ncheckpoint_every = x records / 1m\n",
         "t.conf:2: checkpoint_every: N records / DURATION (such as 1000 records / 1m), or "
         "either alone"},
    };
    for (const auto& c : cases) {
        auto r = parse_config(c.text, "t.conf");
        ASSERT_FALSE(r.ok()) << c.text;
        EXPECT_EQ(r.error().to_string(), c.expected);
    }
}

}  // namespace
}  // namespace jit::daemon
