// The decision logic at the exact second, with overlapping grants, and the
// expiry bookkeeping, against an injected time.
#include <gtest/gtest.h>

#include "daemon/grants/grant_book.h"

namespace jit::daemon {
namespace {

constexpr Time kT0 = 1'800'000'000;

Grant make(const std::string& id, const std::string& user, std::vector<std::string> services,
           Time not_before, Time not_after, std::string source = "") {
    Grant g;
    g.id = id;
    g.user = user;
    g.services = std::move(services);
    g.not_before = not_before;
    g.not_after = not_after;
    g.source = std::move(source);
    g.reason = "test";
    g.created = not_before;
    return g;
}

CheckQuery query(const std::string& user, const std::string& service,
                 const std::string& rhost = "") {
    return CheckQuery{user, service, rhost};
}

TEST(GrantBook, EmptyBookDeniesWithNoGrantReason) {
    GrantBook book;
    auto out = book.check(query("deploy", "sshd"), kT0);
    EXPECT_FALSE(out.allow);
    EXPECT_EQ(out.reason, "no active grant for deploy");
}

TEST(GrantBook, AllowsFromNotBeforeInclusiveToNotAfterExclusive) {
    GrantBook book;
    book.add(make("g-aaaaaaaa", "deploy", {"sshd"}, kT0, kT0 + 900));
    EXPECT_FALSE(book.check(query("deploy", "sshd"), kT0 - 1).allow) << "one second early";
    EXPECT_TRUE(book.check(query("deploy", "sshd"), kT0).allow) << "at not_before";
    EXPECT_TRUE(book.check(query("deploy", "sshd"), kT0 + 899).allow) << "last second";
    EXPECT_FALSE(book.check(query("deploy", "sshd"), kT0 + 900).allow) << "at not_after";
    EXPECT_FALSE(book.check(query("deploy", "sshd"), kT0 + 901).allow);
}

TEST(GrantBook, AllowCarriesGrantIdAndExpiry) {
    GrantBook book;
    book.add(make("g-aaaaaaaa", "deploy", {"sshd", "sudo"}, kT0, kT0 + 900));
    auto out = book.check(query("deploy", "sudo"), kT0 + 60);
    ASSERT_TRUE(out.allow);
    EXPECT_EQ(out.grant_id, "g-aaaaaaaa");
    EXPECT_EQ(out.not_after, kT0 + 900);
    EXPECT_EQ(out.reason, "grant g-aaaaaaaa ends in 14m");
}

TEST(GrantBook, DeniesOtherUsersAndOtherServices) {
    GrantBook book;
    book.add(make("g-aaaaaaaa", "deploy", {"sshd"}, kT0, kT0 + 900));
    EXPECT_FALSE(book.check(query("backup", "sshd"), kT0).allow);
    auto out = book.check(query("deploy", "sudo"), kT0);
    EXPECT_FALSE(out.allow);
    EXPECT_EQ(out.reason, "no grant for deploy covers service sudo");
}

TEST(GrantBook, AnyGrantInForceCoversTheUserManager) {
    GrantBook book;
    EXPECT_FALSE(book.check(query("deploy", "systemd-user"), kT0).allow) << "no grant, no manager";
    book.add(make("g-aaaaaaaa", "deploy", {"sshd"}, kT0, kT0 + 900, "10.0.0.0/8"));
    auto out = book.check(query("deploy", "systemd-user"), kT0);
    EXPECT_TRUE(out.allow) << "an sshd grant from 10/8 covers the local user manager";
    EXPECT_EQ(out.grant_id, "g-aaaaaaaa");
    EXPECT_FALSE(book.check(query("deploy", "systemd-user"), kT0 + 900).allow) << "not after it";
    EXPECT_FALSE(book.check(query("backup", "systemd-user"), kT0).allow) << "not another user's";
    EXPECT_FALSE(book.check(query("deploy", "systemd-userx"), kT0).allow);
}

TEST(GrantBook, DenialExplainsNotYetStartedAndEnded) {
    GrantBook book;
    book.add(make("g-aaaaaaaa", "deploy", {"sshd"}, kT0 + 300, kT0 + 900));
    EXPECT_EQ(book.check(query("deploy", "sshd"), kT0).reason, "grant g-aaaaaaaa starts in 5m");
    EXPECT_EQ(book.check(query("deploy", "sshd"), kT0 + 960).reason,
              "grant g-aaaaaaaa ended 1m ago");
}

TEST(GrantBook, SourceRestrictionAdmitsOnlyAddressesInside) {
    GrantBook book;
    book.add(make("g-aaaaaaaa", "deploy", {"sshd"}, kT0, kT0 + 900, "10.0.0.0/8"));
    EXPECT_TRUE(book.check(query("deploy", "sshd", "10.200.1.1"), kT0).allow);
    EXPECT_FALSE(book.check(query("deploy", "sshd", "11.0.0.1"), kT0).allow);
    EXPECT_FALSE(book.check(query("deploy", "sshd", ""), kT0).allow) << "no rhost, no match";
    EXPECT_FALSE(book.check(query("deploy", "sshd", "bastion.example"), kT0).allow)
        << "hostnames never match";
    EXPECT_EQ(book.check(query("deploy", "sshd", "11.0.0.1"), kT0).reason,
              "grant g-aaaaaaaa does not admit source 11.0.0.1");
}

TEST(GrantBook, OverlappingGrantsAreIndependent) {
    GrantBook book;
    book.add(make("g-aaaaaaaa", "deploy", {"sshd"}, kT0, kT0 + 600));
    book.add(make("g-bbbbbbbb", "deploy", {"sshd"}, kT0 + 300, kT0 + 1200));
    auto mid = book.check(query("deploy", "sshd"), kT0 + 400);
    ASSERT_TRUE(mid.allow);
    EXPECT_EQ(mid.grant_id, "g-bbbbbbbb") << "the one that lasts longest is reported";
    EXPECT_EQ(mid.not_after, kT0 + 1200);
    // The first one ending never removes what the second still covers.
    EXPECT_TRUE(book.check(query("deploy", "sshd"), kT0 + 600).allow);
    ASSERT_TRUE(book.remove("g-aaaaaaaa"));
    EXPECT_TRUE(book.check(query("deploy", "sshd"), kT0 + 400).allow);
    ASSERT_TRUE(book.remove("g-bbbbbbbb"));
    EXPECT_FALSE(book.check(query("deploy", "sshd"), kT0 + 400).allow);
}

TEST(GrantBook, RevokedGrantNoLongerAllows) {
    GrantBook book;
    book.add(make("g-aaaaaaaa", "deploy", {"sshd"}, kT0, kT0 + 900));
    EXPECT_TRUE(book.remove("g-aaaaaaaa"));
    EXPECT_FALSE(book.remove("g-aaaaaaaa")) << "second removal finds nothing";
    EXPECT_FALSE(book.check(query("deploy", "sshd"), kT0 + 1).allow);
}

TEST(GrantBook, NonActiveStateNeverAllows) {
    GrantBook book;
    Grant g = make("g-aaaaaaaa", "deploy", {"sshd"}, kT0, kT0 + 900);
    g.state = GrantState::Revoked;
    book.add(g);
    EXPECT_FALSE(book.check(query("deploy", "sshd"), kT0 + 1).allow);
}

TEST(GrantBook, DueAndNextExpiryFollowNotAfter) {
    GrantBook book;
    EXPECT_FALSE(book.next_expiry().has_value());
    book.add(make("g-aaaaaaaa", "deploy", {"sshd"}, kT0, kT0 + 600));
    book.add(make("g-bbbbbbbb", "backup", {"sudo"}, kT0, kT0 + 300));
    EXPECT_EQ(book.next_expiry(), kT0 + 300);
    EXPECT_TRUE(book.due(kT0 + 299).empty());
    auto due = book.due(kT0 + 300);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].id, "g-bbbbbbbb");
    EXPECT_EQ(book.due(kT0 + 600).size(), 2u);
}

TEST(GrantBook, InForceCountsOnlyStartedUnendedGrants) {
    GrantBook book;
    book.add(make("g-aaaaaaaa", "deploy", {"sshd"}, kT0, kT0 + 600));
    book.add(make("g-bbbbbbbb", "deploy", {"sshd"}, kT0 + 100, kT0 + 200));
    EXPECT_EQ(book.in_force(kT0), 1u);
    EXPECT_EQ(book.in_force(kT0 + 150), 2u);
    EXPECT_EQ(book.in_force(kT0 + 600), 0u);
}

// The count is kept between changes of the book: asked at times in any
// order (a clock may step back), across starts and ends and after adds and
// removes, it always equals a fresh count of the grants covering that time.
TEST(GrantBook, InForceKeptBetweenChangesMatchesAFreshCount) {
    GrantBook book;
    std::vector<Grant> model;
    uint64_t seed = 11;
    auto next = [&seed](uint64_t n) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        return (seed >> 33) % n;
    };
    auto fresh = [&](Time t) {
        size_t n = 0;
        for (const auto& g : model) n += g.not_before <= t && t < g.not_after;
        return n;
    };
    Time last = kT0;  // asked just before each change, then again after it
    for (int step = 0; step < 600; ++step) {
        if (step % 5 == 0) {
            // Half of the new grants cover the time asked last.
            const Time start = next(2) ? last - Time(next(50)) : kT0 + Time(next(300));
            Grant g = make("g-" + std::to_string(10000000 + step), "u" + std::to_string(next(4)),
                           {"sshd"}, start, start + 1 + Time(next(200)));
            model.push_back(g);
            book.add(g);
        } else if (step % 11 == 0 && !model.empty()) {
            const size_t victim = next(model.size());
            ASSERT_TRUE(book.remove(model[victim].id));
            model.erase(model.begin() + long(victim));
        }
        ASSERT_EQ(book.in_force(last), fresh(last)) << "after the change at step " << step;
        // Mostly forward, sometimes back, often the same second again, and
        // every start and end exactly.
        for (int ask = 0; ask < 4; ++ask) {
            const Time t = kT0 - 5 + Time(next(520));
            ASSERT_EQ(book.in_force(t), fresh(t)) << "step " << step << " t " << t - kT0;
            ASSERT_EQ(book.in_force(t), fresh(t)) << "again, step " << step;
            last = t;
        }
        if (!model.empty()) {
            const Grant& g = model[next(model.size())];
            for (Time t : {g.not_before - 1, g.not_before, g.not_after - 1, g.not_after})
                ASSERT_EQ(book.in_force(t), fresh(t)) << "edge at step " << step;
        }
    }
}

// The indexes against a plain list: thousands of adds and removes in a
// fixed pseudo-random order (removals move the last grant into the hole),
// and after each step every question the book answers matches the list's.
TEST(GrantBook, IndexesAgreeWithAPlainListThroughAddsAndRemoves) {
    GrantBook book;
    std::vector<Grant> model;
    uint64_t seed = 42;
    auto next = [&seed](uint64_t n) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        return (seed >> 33) % n;
    };
    for (int step = 0; step < 4000; ++step) {
        if (model.empty() || next(3) != 0) {
            Grant g = make("g-" + std::to_string(10000000 + step), "u" + std::to_string(next(40)),
                           {"sshd"}, kT0, kT0 + 60 + Time(next(5000)));
            model.push_back(g);
            book.add(g);
        } else {
            size_t victim = next(model.size());
            ASSERT_TRUE(book.remove(model[victim].id));
            EXPECT_FALSE(book.remove(model[victim].id));
            model.erase(model.begin() + long(victim));
        }
        ASSERT_EQ(book.size(), model.size());
        if (step % 97 != 0) continue;
        std::optional<Time> earliest;
        for (const auto& g : model) {
            ASSERT_NE(book.find(g.id), nullptr);
            EXPECT_EQ(book.find(g.id)->user, g.user);
            if (!earliest || g.not_after < *earliest) earliest = g.not_after;
        }
        EXPECT_EQ(book.next_expiry(), earliest);
        for (int u = 0; u < 40; ++u) {
            std::string user = "u" + std::to_string(u);
            std::vector<std::string> want, got;
            for (const auto& g : model)
                if (g.user == user) want.push_back(g.id);
            for (const auto& g : book.for_user(user)) got.push_back(g.id);
            EXPECT_EQ(got, want) << user;  // in the order they were added
            EXPECT_EQ(book.check(query(user, "sshd"), kT0).allow, !want.empty()) << user;
        }
        Time last = 0;
        size_t seen = 0;
        book.by_end([&](const Grant& g) {
            EXPECT_GE(g.not_after, last);
            last = g.not_after;
            ++seen;
            return true;
        });
        EXPECT_EQ(seen, model.size());
        size_t due = 0;
        for (const auto& g : model) due += g.not_after <= kT0 + 2000;
        EXPECT_EQ(book.due(kT0 + 2000).size(), due);
    }
}

// A few accounts with long chains, checked after every step: a removal of a
// chain's head, tail or middle, and the move of the last grant into the hole,
// leave each chain's order (and its tail, where the next add goes) intact.
TEST(GrantBook, LongChainsKeepTheirOrderThroughEveryRemoval) {
    GrantBook book;
    std::vector<Grant> model;
    uint64_t seed = 7;
    auto next = [&seed](uint64_t n) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        return (seed >> 33) % n;
    };
    for (int step = 0; step < 3000; ++step) {
        if (model.size() < 2 || next(5) < 3) {
            Grant g = make("c-" + std::to_string(10000000 + step), "u" + std::to_string(next(3)),
                           {"sshd"}, kT0, kT0 + 600);
            model.push_back(g);
            book.add(g);
        } else {
            // Heads and tails of chains as often as anything in between.
            size_t victim = next(4) == 0 ? 0 : next(4) == 0 ? model.size() - 1 : next(model.size());
            ASSERT_TRUE(book.remove(model[victim].id));
            model.erase(model.begin() + long(victim));
        }
        for (int u = 0; u < 3; ++u) {
            std::string user = "u" + std::to_string(u);
            std::vector<std::string> want, got;
            for (const auto& g : model)
                if (g.user == user) want.push_back(g.id);
            book.of_user(user, [&](const Grant& g) { got.push_back(g.id); });
            ASSERT_EQ(got, want) << user << " at step " << step;
        }
    }
}

TEST(GrantBook, GenerationChangesWithEveryChange) {
    GrantBook book;
    uint64_t g0 = book.generation();
    book.add(make("g-aaaaaaaa", "deploy", {"sshd"}, kT0, kT0 + 900));
    uint64_t g1 = book.generation();
    EXPECT_NE(g1, g0);
    book.set_uses_left("g-aaaaaaaa", 1);
    EXPECT_NE(book.generation(), g1);
    uint64_t g2 = book.generation();
    EXPECT_FALSE(book.remove("g-bbbbbbbb"));
    EXPECT_EQ(book.generation(), g2);
    EXPECT_TRUE(book.remove("g-aaaaaaaa"));
    EXPECT_NE(book.generation(), g2);
}

}  // namespace
}  // namespace jit::daemon
