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

TEST(ConfigAuditKeys, SegmentsAndTheDiskBound) {
    auto d = parse_config("", "t.conf");
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->audit.segment_records, 100000u);
    EXPECT_EQ(d->audit.max_disk, uint64_t(1) << 30);
    auto c = parse_config("[jitd]\naudit_segment_records = 5000\naudit_max_disk = 512M\n", "t");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->audit.segment_records, 5000u);
    EXPECT_EQ(c->audit.max_disk, uint64_t(512) << 20);
    auto off = parse_config("[jitd]\naudit_max_disk = 0\n", "t");
    ASSERT_TRUE(off.ok());
    EXPECT_EQ(off->audit.max_disk, 0u);
    for (const char* bad : {"audit_segment_records = 99", "audit_segment_records = x",
                            "audit_max_disk = 5T", "audit_max_disk = -1", "audit_max_disk = M"})
        EXPECT_FALSE(parse_config(std::string("[jitd]\n") + bad + "\n", "t").ok()) << bad;
}

}  // namespace
}  // namespace jit::daemon
