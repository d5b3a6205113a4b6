// The store's NSS tables: exact round trips, the id ledger that never hands
// an id to a second name, grant groups, and the migration of a database
// written before accounts existed.
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include "tests/unit/store/grant_rows.h"
#include "tests/unit/succeeded.h"

#include "daemon/store/store.h"
#include "tests/unit/succeeded.h"

namespace jit::daemon {
namespace {

using IdKind = Store::IdKind;

class StoreAccountsTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jit-store-accounts.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        char* real = realpath(tmpl, nullptr);
        dir_ = real;
        free(real);
        open();
    }
    void TearDown() override {
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    void open() {
        store_.reset();
        auto s = Store::open(dir_ + "/state");
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(*s);
    }
    void sql(const char* text) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((dir_ + "/state/jit.db").c_str(), &db), SQLITE_OK);
        char* msg = nullptr;
        EXPECT_EQ(sqlite3_exec(db, text, nullptr, nullptr, &msg), SQLITE_OK) << (msg ? msg : "");
        sqlite3_free(msg);
        sqlite3_close(db);
    }

    NssAccount account(const char* name, uint32_t uid, uint32_t gid) {
        NssAccount a;
        a.name = name;
        a.uid = uid;
        a.gid = gid;
        a.gecos = "Gecos of " + a.name;
        a.home = "/home/" + a.name;
        a.shell = "/bin/sh";
        a.visibility = Visibility::Granted;
        a.origin = AccountOrigin::Jitctl;
        a.created = 1'800'000'000;
        return a;
    }

    std::string dir_;
    std::unique_ptr<Store> store_;
};

TEST_F(StoreAccountsTest, AccountsAndGroupsRoundTripExactly) {
    ASSERT_TRUE(store_->insert_nss_group({"jit-ops", 60600, 1'800'000'000}).ok());
    NssAccount a = account("deploy", 60500, 60501);
    a.groups = {"jit-ops"};
    a.visibility = Visibility::Always;
    a.origin = AccountOrigin::Config;
    a.gecos = "Déploiement, bot";
    ASSERT_TRUE(jit::testing::succeeded(store_->insert_nss_account(a)));
    open();  // from disk
    auto accounts = store_->nss_accounts();
    ASSERT_TRUE(accounts.ok());
    ASSERT_EQ(accounts->size(), 1u);
    const NssAccount& b = (*accounts)[0];
    EXPECT_EQ(b.name, "deploy");
    EXPECT_EQ(b.uid, 60500u);
    EXPECT_EQ(b.gid, 60501u);
    EXPECT_EQ(b.gecos, "Déploiement, bot");
    EXPECT_EQ(b.home, "/home/deploy");
    EXPECT_EQ(b.shell, "/bin/sh");
    EXPECT_EQ(b.visibility, Visibility::Always);
    EXPECT_EQ(b.origin, AccountOrigin::Config);
    EXPECT_EQ(b.groups, std::vector<std::string>{"jit-ops"});
    EXPECT_EQ(b.created, 1'800'000'000);
    auto groups = store_->nss_groups();
    ASSERT_TRUE(groups.ok());
    ASSERT_EQ(groups->size(), 1u);
    EXPECT_EQ((*groups)[0].name, "jit-ops");
    EXPECT_EQ((*groups)[0].gid, 60600u);
}

TEST_F(StoreAccountsTest, TheLedgerKeepsIdsForTheirNameForever) {
    ASSERT_TRUE(store_->insert_nss_account(account("deploy", 60500, 60501)).ok());
    ASSERT_TRUE(store_->delete_nss_account("deploy").ok());
    EXPECT_EQ(store_->delete_nss_account("deploy").error().code, ENOENT);
    auto accounts = store_->nss_accounts();
    ASSERT_TRUE(accounts.ok());
    EXPECT_TRUE(accounts->empty());

    auto uid = store_->ledger_id(IdKind::Uid, "deploy");
    ASSERT_TRUE(uid.ok());
    EXPECT_EQ(*uid, std::optional<uint32_t>(60500));
    auto ids = store_->ledger_ids(IdKind::Gid, 60000, 61000);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, std::vector<uint32_t>{60501});

    // Another name cannot have them...
    auto taken = store_->insert_nss_account(account("other", 60500, 60700));
    ASSERT_FALSE(taken.ok());
    EXPECT_EQ(taken.error().code, EEXIST);
    taken = store_->insert_nss_group({"other", 60501, 0});
    ASSERT_FALSE(taken.ok());
    EXPECT_EQ(taken.error().code, EEXIST);
    // ...and the failed attempts left nothing behind.
    auto other = store_->ledger_id(IdKind::Gid, "other");
    ASSERT_TRUE(other.ok());
    EXPECT_FALSE(other->has_value());
    // The same name gets them back, and only them.
    EXPECT_EQ(store_->insert_nss_account(account("deploy", 60502, 60501)).error().code, EEXIST);
    EXPECT_TRUE(store_->insert_nss_account(account("deploy", 60500, 60501)).ok());
}

TEST_F(StoreAccountsTest, NamesAndIdsAreUnique) {
    ASSERT_TRUE(store_->insert_nss_account(account("deploy", 60500, 60501)).ok());
    EXPECT_EQ(store_->insert_nss_account(account("deploy", 60510, 60511)).error().code, EEXIST);
    ASSERT_TRUE(store_->insert_nss_group({"jit-ops", 60600, 0}).ok());
    EXPECT_EQ(store_->insert_nss_group({"jit-ops", 60601, 0}).error().code, EEXIST);
    NssAccount bad = account("ci", 60520, 60521);
    bad.groups = {"no-such-group"};
    EXPECT_FALSE(store_->insert_nss_account(bad).ok()) << "a standing group must exist";
    auto accounts = store_->nss_accounts();
    ASSERT_TRUE(accounts.ok());
    EXPECT_EQ(accounts->size(), 1u);
}

TEST_F(StoreAccountsTest, UpdateChangesTheRecordNotTheIds) {
    ASSERT_TRUE(store_->insert_nss_group({"jit-ops", 60600, 0}).ok());
    ASSERT_TRUE(store_->insert_nss_account(account("deploy", 60500, 60501)).ok());
    NssAccount a = account("deploy", 60500, 60501);
    a.shell = "/bin/bash";
    a.groups = {"jit-ops"};
    a.origin = AccountOrigin::Config;
    ASSERT_TRUE(jit::testing::succeeded(store_->update_nss_account(a)));
    auto accounts = store_->nss_accounts();
    ASSERT_TRUE(accounts.ok());
    EXPECT_EQ((*accounts)[0].shell, "/bin/bash");
    EXPECT_EQ((*accounts)[0].groups, std::vector<std::string>{"jit-ops"});
    EXPECT_EQ((*accounts)[0].origin, AccountOrigin::Config);
    a.uid = 60999;
    EXPECT_EQ(store_->update_nss_account(a).error().code, ENOENT);
    EXPECT_EQ(store_->update_nss_account(account("nobody", 1, 2)).error().code, ENOENT);
}

TEST_F(StoreAccountsTest, GrantsKeepTheirGroups) {
    Grant g;
    g.id = "g-abcdefgh";
    g.user = "deploy";
    g.services = {"sudo"};
    g.not_before = 1;
    g.not_after = 2;
    g.reason = "r";
    g.groups = {"jit-sudo", "jit-ops"};
    ASSERT_TRUE(testing::insert_grant(*store_, g).ok());
    Grant h = g;
    h.id = "g-bcdefghj";
    h.groups = std::vector<std::string>{};
    ASSERT_TRUE(testing::insert_grant(*store_, h).ok());
    open();
    auto grants = store_->active_grants();
    ASSERT_TRUE(grants.ok());
    ASSERT_EQ(grants->size(), 2u);
    EXPECT_EQ((*grants)[0].groups, (std::vector<std::string>{"jit-sudo", "jit-ops"}));
    EXPECT_TRUE((*grants)[1].groups.empty());
}

// A state directory from before accounts existed: schema 1, with a grant.
// A database from before the accounts step (schema version 2: grants and
// sessions only) must migrate through it, and every later step, keeping its
// grants.  Whatever tables later steps add are dropped to get back there.
TEST_F(StoreAccountsTest, ADatabaseFromBeforeAccountsIsMigratedWithItsGrants) {
    Grant g;
    g.id = "g-abcdefgh";
    g.user = "deploy";
    g.services = {"sshd"};
    g.not_before = 1;
    g.not_after = 2;
    g.reason = "before accounts";
    ASSERT_TRUE(testing::insert_grant(*store_, g).ok());
    store_.reset();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/state/jit.db").c_str(), &db), SQLITE_OK);
    std::vector<std::string> later;
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(db,
                           "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN "
                           "('schema_version', 'grants', 'grant_services', 'grant_limits', "
                           "'sessions', 'clock_floor', 'jit_generation')",
                           -1, &st, nullptr),
        SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
        later.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    sqlite3_close(db);
    ASSERT_FALSE(later.empty());
    std::string drop = "PRAGMA foreign_keys = OFF; ";
    for (const auto& t : later) drop += "DROP TABLE " + t + "; ";
    sql((drop + "UPDATE schema_version SET version = 2").c_str());
    open();
    EXPECT_EQ(store_->schema_version(), Store::kSchemaVersion);
    auto grants = store_->active_grants();
    ASSERT_TRUE(grants.ok()) << grants.error().message;
    ASSERT_EQ(grants->size(), 1u);
    EXPECT_EQ((*grants)[0].reason, "before accounts");
    EXPECT_TRUE(store_->insert_nss_account(account("deploy", 60500, 60501)).ok());
}

}  // namespace
}  // namespace jit::daemon
