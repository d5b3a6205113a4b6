// The checks a session open may claim (CheckAdmissions): matched by the
// process (pid and the kernel's key, or pid and start time), for the account
// checked, within the TTL, once; a process's newer check replaces its older
// one, and past the cap the oldest goes.
#include "daemon/sessions/check_admissions.h"

#include <gtest/gtest.h>

namespace jit::daemon {
namespace {

constexpr Time kT0 = 1700000000;

CheckAdmission check(pid_t pid, uint64_t key, uint64_t start, Time at,
                     const std::string& user = "deploy", const std::string& grant = "g-1") {
    return CheckAdmission{pid, key, start, CheckQuery{user, "sshd", "192.0.2.1"}, grant, at};
}

TEST(CheckAdmissions, TakenOnceByTheSameProcessForTheCheckedAccount) {
    CheckAdmissions book;
    book.add(check(100, 5001, 0, kT0));
    EXPECT_FALSE(book.take(100, 5002, 0, kT0, "deploy", "")) << "same pid, another process";
    EXPECT_FALSE(book.take(101, 5001, 0, kT0, "deploy", "")) << "another pid";
    EXPECT_FALSE(book.take(100, 5001, 0, kT0, "backup", "")) << "another account";
    auto a = book.take(100, 5001, 0, kT0 + 1, "root", "deploy");  // sudo: PAM_RUSER
    ASSERT_TRUE(a);
    EXPECT_EQ(a->grant_id, "g-1");
    EXPECT_EQ(a->query.rhost, "192.0.2.1");
    EXPECT_FALSE(book.take(100, 5001, 0, kT0 + 1, "deploy", "")) << "taken once";
    EXPECT_EQ(book.size(), 0u);
}

TEST(CheckAdmissions, WithoutAKeyTheStartTimeNamesTheProcess) {
    CheckAdmissions book;
    book.add(check(100, 0, 777, kT0));
    EXPECT_FALSE(book.take(100, 0, 778, kT0, "deploy", ""));
    EXPECT_TRUE(book.take(100, 9, 777, kT0, "deploy", ""));
}

TEST(CheckAdmissions, ExpireAfterTheTtl) {
    CheckAdmissions book;
    book.add(check(100, 5001, 0, kT0));
    EXPECT_FALSE(book.take(100, 5001, 0, kT0 + CheckAdmissions::kTtl + 1, "deploy", ""));
    EXPECT_TRUE(book.take(100, 5001, 0, kT0 + CheckAdmissions::kTtl, "deploy", ""));
    book.add(check(100, 5001, 0, kT0));
    book.add(check(200, 5002, 0, kT0 + CheckAdmissions::kTtl + 1));
    EXPECT_EQ(book.size(), 1u) << "an expired entry goes when a later one is recorded";
}

TEST(CheckAdmissions, ANewerCheckOfTheSameProcessReplacesTheOlder) {
    CheckAdmissions book;
    book.add(check(100, 5001, 0, kT0, "deploy", "g-1"));
    book.add(check(100, 5001, 0, kT0 + 5, "deploy", "g-2"));
    book.add(check(100, 5003, 0, kT0 + 6, "deploy", "g-3"));  // pid reused: kept apart
    EXPECT_EQ(book.size(), 2u);
    auto a = book.take(100, 5001, 0, kT0 + 10, "deploy", "");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->grant_id, "g-2");
    EXPECT_FALSE(book.take(100, 5001, 0, kT0 + 10, "deploy", ""));
    auto b = book.take(100, 5003, 0, kT0 + 10, "deploy", "");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->grant_id, "g-3");
}

TEST(CheckAdmissions, OfTwoThatMatchTheOlderIsTaken) {
    CheckAdmissions book;
    book.add(check(100, 0, 777, kT0, "deploy", "g-old"));  // recorded without a key
    book.add(check(100, 5001, 777, kT0 + 1, "deploy", "g-new"));
    auto a = book.take(100, 5001, 777, kT0 + 2, "deploy", "");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->grant_id, "g-old");
}

TEST(CheckAdmissions, PastTheCapTheOldestGoes) {
    CheckAdmissions book;
    for (pid_t pid = 1; pid <= pid_t(CheckAdmissions::kMax) + 10; ++pid)
        book.add(check(pid, 10000 + uint64_t(pid), 0, kT0));
    EXPECT_EQ(book.size(), CheckAdmissions::kMax);
    for (pid_t pid = 1; pid <= 10; ++pid)
        EXPECT_FALSE(book.take(pid, 10000 + uint64_t(pid), 0, kT0, "deploy", "")) << pid;
    EXPECT_TRUE(book.take(11, 10011, 0, kT0, "deploy", ""));
    const pid_t last = pid_t(CheckAdmissions::kMax) + 10;
    EXPECT_TRUE(book.take(last, 10000 + uint64_t(last), 0, kT0, "deploy", ""));
}

}  // namespace
}  // namespace jit::daemon
