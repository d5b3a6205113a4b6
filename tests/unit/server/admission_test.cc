#include "daemon/server/admission.h"

#include <gtest/gtest.h>

namespace jit::daemon {
namespace {

TEST(Admission, OneUidCannotTakeMoreThanItsShare) {
    Admission a({10, 3});
    for (int i = 0; i < 3; ++i) EXPECT_EQ(a.admit(1000), Admission::Verdict::Admit);
    EXPECT_EQ(a.admit(1000), Admission::Verdict::OverUid);
    EXPECT_EQ(a.admit(1001), Admission::Verdict::Admit);  // another uid still gets in
    EXPECT_EQ(a.open_for(1000), 3u);
    a.release(1000);
    EXPECT_EQ(a.admit(1000), Admission::Verdict::Admit);
}

TEST(Admission, TheSocketHasACeiling) {
    Admission a({4, 4});
    for (uid_t u = 1; u <= 4; ++u) EXPECT_EQ(a.admit(u), Admission::Verdict::Admit);
    EXPECT_EQ(a.admit(5), Admission::Verdict::OverTotal);
    EXPECT_EQ(a.open(), 4u);
    a.release(2);
    EXPECT_EQ(a.admit(5), Admission::Verdict::Admit);
}

TEST(Admission, ReleasingWhatWasNotAdmittedChangesNothing) {
    Admission a({4, 1});
    a.release(7);
    EXPECT_EQ(a.open(), 0u);
    EXPECT_EQ(a.admit(7), Admission::Verdict::Admit);
    EXPECT_EQ(a.admit(7), Admission::Verdict::OverUid);
    EXPECT_EQ(a.open(), 1u);
}

TEST(Admission, RefusalsAreJournaledOncePerUidAndWindow) {
    Admission a({1, 1});
    uint64_t held = 99;
    EXPECT_TRUE(a.should_journal(1000, 5000, &held));
    EXPECT_EQ(held, 0u);
    EXPECT_FALSE(a.should_journal(1000, 5001, &held));
    EXPECT_FALSE(a.should_journal(1000, 9000, &held));
    EXPECT_TRUE(a.should_journal(1001, 9000, &held));  // each uid has its own window
    EXPECT_TRUE(a.should_journal(1000, 5000 + Admission::kJournalWindowMs, &held));
    EXPECT_EQ(held, 2u);  // the two held back are counted in the next entry
}

TEST(Admission, ManyUidsCannotGrowTheTableWithoutBound) {
    Admission a({1, 1});
    uint64_t held = 0;
    int journaled = 0;
    for (uid_t u = 0; u < 5000; ++u) journaled += a.should_journal(u, 100, &held);
    EXPECT_LE(journaled, 1024);
    // Once the window has passed, old entries make room again.
    EXPECT_TRUE(a.should_journal(99999, 100 + Admission::kJournalWindowMs, &held));
}

}  // namespace
}  // namespace jit::daemon
