// The SQLite store: state-directory safety, schema versioning, exact round
// trips, grant state transitions and the durability settings.
#include "daemon/store/store.h"
#include "tests/unit/store/temp_dir.h"

#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include "tests/unit/store/grant_rows.h"
#include "tests/unit/succeeded.h"

namespace jit::daemon {
namespace {

constexpr uid_t kNobody = 65534;

// A private scratch directory, removed with everything in it.  Resolved with
// realpath because SQLite's NOFOLLOW refuses a symlink anywhere in the path.
using test_support::TempDir;

mode_t mode_of(const std::string& path) {
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) return static_cast<mode_t>(-1);
    return st.st_mode & 07777;
}

// A second, independent connection, for looking at what the store wrote.
class RawDb {
public:
    explicit RawDb(const std::string& path) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
            ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db_);
    }
    ~RawDb() { sqlite3_close_v2(db_); }
    void exec(const char* sql) {
        char* msg = nullptr;
        if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK)
            ADD_FAILURE() << sql << ": " << (msg ? msg : "?");
        sqlite3_free(msg);
    }
    std::string text(const char* sql) {
        sqlite3_stmt* stmt = nullptr;
        std::string out = "<no row>";
        if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW)
            out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
        sqlite3_finalize(stmt);
        return out;
    }

private:
    sqlite3* db_ = nullptr;
};

Grant make_grant(const std::string& id, const std::string& user, Time created) {
    Grant g;
    g.id = id;
    g.user = user;
    g.services = {"sshd"};
    g.not_before = created;
    g.not_after = created + 3600;
    g.reason = "deploy";
    g.granted_by = 1000;
    g.created = created;
    return g;
}

std::vector<std::string> ids_of(const std::vector<Grant>& grants) {
    std::vector<std::string> ids;
    for (const Grant& g : grants) ids.push_back(g.id);
    return ids;
}

void expect_same_grant(const Grant& want, const Grant& got) {
    EXPECT_EQ(want.id, got.id);
    EXPECT_EQ(want.user, got.user);
    EXPECT_EQ(want.services, got.services);
    EXPECT_EQ(want.source, got.source);
    EXPECT_EQ(want.not_before, got.not_before);
    EXPECT_EQ(want.not_after, got.not_after);
    EXPECT_EQ(want.reason, got.reason);
    EXPECT_EQ(want.granted_by, got.granted_by);
    EXPECT_EQ(want.created, got.created);
    EXPECT_EQ(want.state, got.state);
    EXPECT_EQ(want.ended->at, got.ended->at);
    EXPECT_EQ(want.ended->by, got.ended->by);
    EXPECT_EQ(want.ended->reason, got.ended->reason);
}

bool skip_unless_root(const char* what) {
    if (geteuid() == 0) return false;
    fprintf(stderr, "SKIPPED: %s needs root (chown to uid %u)\n", what, kNobody);
    return true;
}

class StoreTest : public ::testing::Test {
protected:
    std::string state_dir() const { return tmp_.path() + "/state"; }
    std::string db_path() const { return state_dir() + "/jit.db"; }

    std::unique_ptr<Store> open_store() {
        auto store = Store::open(state_dir());
        if (!store) {
            ADD_FAILURE() << "open failed: " << store.error().message;
            return nullptr;
        }
        return std::move(*store);
    }
    // Opens expecting failure and returns the errno-style code.
    int open_error() {
        auto store = Store::open(state_dir());
        return store ? 0 : store.error().code;
    }

    TempDir tmp_{"store_test"};
};

// ---- the state directory ----------------------------------------------------

TEST_F(StoreTest, CreatesMissingStateDirectoryWithMode0700AndDatabase0600) {
    ASSERT_NE(mode_of(state_dir()), 0700u) << "precondition: the directory does not exist yet";
    auto store = open_store();
    ASSERT_TRUE(store);
    EXPECT_EQ(mode_of(state_dir()), 0700u);
    EXPECT_EQ(mode_of(db_path()), 0600u);
    // The WAL file copies the database file's mode: check it exists and is private.
    ASSERT_TRUE(testing::insert_grant(*store, make_grant("g-wal00001", "svc", 1)).ok());
    EXPECT_EQ(mode_of(db_path() + "-wal"), 0600u);
}

TEST_F(StoreTest, TightensAnExistingDatabaseFileTo0600) {
    ASSERT_EQ(mkdir(state_dir().c_str(), 0700), 0);
    { ASSERT_TRUE(open_store()); }
    ASSERT_EQ(chmod(db_path().c_str(), 0644), 0);
    ASSERT_TRUE(open_store());
    EXPECT_EQ(mode_of(db_path()), 0600u);
}

TEST_F(StoreTest, RefusesStateDirectoryThatIsASymlinkEvenWithTrailingSlash) {
    const std::string real = tmp_.path() + "/real";
    ASSERT_EQ(mkdir(real.c_str(), 0700), 0);
    ASSERT_EQ(symlink(real.c_str(), state_dir().c_str()), 0);
    EXPECT_EQ(open_error(), ELOOP);
    auto slash = Store::open(state_dir() + "/");
    ASSERT_FALSE(slash.ok());
    EXPECT_EQ(slash.error().code, ELOOP);
    EXPECT_NE(mode_of(real + "/jit.db"), 0600u) << "nothing may be created through the link";
}

TEST_F(StoreTest, RefusesStateDirectoryThatIsARegularFile) {
    FILE* f = fopen(state_dir().c_str(), "w");
    ASSERT_NE(f, nullptr);
    fclose(f);
    EXPECT_EQ(open_error(), ENOTDIR);
}

TEST_F(StoreTest, RefusesStateDirectoryWithGroupOrOtherPermissions) {
    ASSERT_EQ(mkdir(state_dir().c_str(), 0700), 0);
    for (mode_t mode : {0750, 0707, 0710, 0701}) {
        SCOPED_TRACE(mode);
        ASSERT_EQ(chmod(state_dir().c_str(), mode), 0);
        auto store = Store::open(state_dir());
        ASSERT_FALSE(store.ok());
        EXPECT_EQ(store.error().code, EACCES);
        EXPECT_NE(store.error().message.find(state_dir()), std::string::npos)
            << "the message names the path";
    }
    EXPECT_NE(mode_of(db_path()), 0600u) << "no database is created in a refused directory";
}

TEST_F(StoreTest, RefusesStateDirectoryOwnedByAnotherUser) {
    if (skip_unless_root("RefusesStateDirectoryOwnedByAnotherUser"))
        GTEST_SKIP() << "SKIPPED: not root, cannot give the directory to another uid";
    ASSERT_EQ(mkdir(state_dir().c_str(), 0700), 0);
    ASSERT_EQ(chown(state_dir().c_str(), kNobody, kNobody), 0);
    EXPECT_EQ(open_error(), EPERM);
}

TEST_F(StoreTest, RefusesDatabaseFileThatIsASymlink) {
    ASSERT_EQ(mkdir(state_dir().c_str(), 0700), 0);
    const std::string target = tmp_.path() + "/elsewhere.db";
    ASSERT_EQ(symlink(target.c_str(), db_path().c_str()), 0);
    EXPECT_EQ(open_error(), ELOOP);
    EXPECT_EQ(access(target.c_str(), F_OK), -1) << "the symlink target must not be created";
}

TEST_F(StoreTest, RefusesDatabaseFileOwnedByAnotherUser) {
    if (skip_unless_root("RefusesDatabaseFileOwnedByAnotherUser"))
        GTEST_SKIP() << "SKIPPED: not root, cannot give jit.db to another uid";
    { ASSERT_TRUE(open_store()); }
    ASSERT_EQ(chown(db_path().c_str(), kNobody, kNobody), 0);
    EXPECT_EQ(open_error(), EPERM);
}

TEST_F(StoreTest, OpenFailureSaysWhatFailedWhereAndWhyInItsMessage) {
    const std::string dir = tmp_.path() + "/missing/parent/state";
    auto store = Store::open(dir);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, ENOENT);
    EXPECT_EQ(store.error().message,
              "cannot create the state directory: " + dir + ": " + strerror(ENOENT));
}

// ---- schema ---------------------------------------------------------------

TEST_F(StoreTest, SchemaVersionIsCurrentAfterCreateAndAfterReopen) {
    {
        auto store = open_store();
        ASSERT_TRUE(store);
        EXPECT_EQ(store->schema_version(), Store::kSchemaVersion);
    }
    EXPECT_EQ(RawDb(db_path()).text("SELECT version FROM schema_version"),
              std::to_string(Store::kSchemaVersion));
    auto reopened = open_store();
    ASSERT_TRUE(reopened);
    EXPECT_EQ(reopened->schema_version(), Store::kSchemaVersion);
    EXPECT_EQ(RawDb(db_path()).text("SELECT count(*) FROM schema_version"), "1");
}

TEST_F(StoreTest, RefusesDatabaseStampedByANewerJitdAndLeavesItAlone) {
    { ASSERT_TRUE(open_store()); }
    RawDb(db_path()).exec("UPDATE schema_version SET version = 99");
    auto store = Store::open(state_dir());
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, EPROTO);
    EXPECT_EQ(store.error().message,
              "jit.db schema version 99, this jitd knows " + std::to_string(Store::kSchemaVersion));
    EXPECT_EQ(RawDb(db_path()).text("SELECT version FROM schema_version"), "99");
}

TEST_F(StoreTest, RefusesDatabaseWithTablesButNoSchemaVersion) {
    ASSERT_EQ(mkdir(state_dir().c_str(), 0700), 0);
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE other (x)", nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    }
    EXPECT_EQ(open_error(), EPROTO);
}

TEST_F(StoreTest, ConnectionRunsWalWithSynchronousFullAndForeignKeys) {
    auto store = open_store();
    ASSERT_TRUE(store);
    auto settings = store->settings();
    ASSERT_TRUE(settings.ok());
    EXPECT_EQ(settings->journal_mode, "wal");
    EXPECT_EQ(settings->synchronous, 2) << "2 is FULL";
    EXPECT_TRUE(settings->foreign_keys);
    EXPECT_GT(settings->busy_timeout_ms, 0);
    // WAL is a property of the file: an independent connection sees it too.
    EXPECT_EQ(RawDb(db_path()).text("PRAGMA journal_mode"), "wal");
}

// ---- grants ---------------------------------------------------------------

TEST_F(StoreTest, ReopenedStoreReturnsEveryGrantFieldExactly) {
    Grant full = make_grant("g-full0001", "svc-backup", 1700000000);
    full.services = {"sshd", "sudo", "cron", "Ab-c"};  // deliberately unsorted
    full.source = "10.0.0.0/8";
    full.not_before = -5;
    full.not_after = INT64_MAX;
    full.reason = std::string("r\xc3\xa9paration \xe2\x9c\x93 \xf0\x9f\x94\x91 'quote\" ;--") +
                  std::string(1, '\0') + "after-nul";
    full.granted_by = 4294967294u;
    full.state = GrantState::Revoked;
    // by root: present but zero, must not read back as absent
    full.ended = GrantEnd{1700000100, 0, "incident #42"};
    Grant bare = make_grant("g-bare0001", "svc-web", 1700000001);
    {
        auto store = open_store();
        ASSERT_TRUE(store);
        ASSERT_TRUE(jit::testing::succeeded(testing::insert_grant(*store, full)));
        ASSERT_TRUE(jit::testing::succeeded(testing::insert_grant(*store, bare)));
    }
    auto store = open_store();
    ASSERT_TRUE(store);
    auto all = store->list_grants("", true, 10);
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 2u);
    expect_same_grant(bare, (*all)[0]);
    expect_same_grant(full, (*all)[1]);
    EXPECT_FALSE((*all)[0].ended->at.has_value());
    EXPECT_FALSE((*all)[0].ended->by.has_value());
    EXPECT_TRUE((*all)[0].ended.empty());  // an active grant holds no end
}

// A grant's one-to-one rows (limits, fleet origin, workload identity) are
// read joined to its row: each read path gives each grant its own, and a
// grant without them none, beside one that has them.
TEST_F(StoreTest, EveryGrantReadGivesEachGrantItsOwnLimitsOriginAndIdentity) {
    Grant rich = make_grant("g-rich0001", "svc-rich", 1700000000);
    rich.until_session_end = true;
    rich.uses = 3;
    rich.uses_left = 2;
    rich.fleet_id = "fg-0001";
    rich.groups = std::vector<std::string>{"jit-ops", "jit-db"};
    rich.commands = std::vector<std::string>{"/usr/bin/systemctl restart web"};
    rich.runas = std::vector<std::string>{"www-data"};
    WorkloadIdentity who;
    who.name = "ci";
    who.issuer = "https://issuer.example";
    who.subject = "repo:acme/web";
    who.claims = {"repository=acme/web", "ref=refs/heads/main"};
    who.token_digest = std::string(64, 'a');
    rich.identity = who;
    Grant plain = make_grant("g-plain001", "svc-plain", 1700000001);
    Grant limited = make_grant("g-limit001", "svc-rich", 1700000002);
    limited.until_session_end = true;  // a limits row without uses
    {
        auto store = open_store();
        ASSERT_TRUE(store);
        for (const Grant* g : {&rich, &plain, &limited})
            ASSERT_TRUE(jit::testing::succeeded(testing::insert_grant(*store, *g)));
    }
    auto store = open_store();
    ASSERT_TRUE(store);
    auto active = store->active_grants();
    auto listed = store->list_grants("", false, 10);
    auto of_user = store->list_grants("svc-rich", true, 10);
    ASSERT_TRUE(active.ok() && listed.ok() && of_user.ok());
    ASSERT_EQ(active->size(), 3u);
    ASSERT_EQ(listed->size(), 3u);
    ASSERT_EQ(of_user->size(), 2u);
    for (const auto* grants : {&*active, &*listed, &*of_user}) {
        for (const Grant& g : *grants) {
            const Grant& want = g.id == rich.id ? rich : g.id == plain.id ? plain : limited;
            expect_same_grant(want, g);
            EXPECT_EQ(g.until_session_end, want.until_session_end) << g.id;
            EXPECT_EQ(g.uses, want.uses) << g.id;
            EXPECT_EQ(g.uses_left, want.uses_left) << g.id;
            EXPECT_EQ(*g.fleet_id, *want.fleet_id) << g.id;
            EXPECT_EQ(*g.groups, *want.groups) << g.id;
            EXPECT_EQ(*g.commands, *want.commands) << g.id;
            EXPECT_EQ(*g.runas, *want.runas) << g.id;
            EXPECT_EQ(g.identity->name, want.identity->name) << g.id;
            EXPECT_EQ(g.identity->issuer, want.identity->issuer) << g.id;
            EXPECT_EQ(g.identity->subject, want.identity->subject) << g.id;
            EXPECT_EQ(g.identity->claims, want.identity->claims) << g.id;
            EXPECT_EQ(g.identity->token_digest, want.identity->token_digest) << g.id;
        }
    }
    EXPECT_TRUE(active->at(1).identity.empty());
    EXPECT_TRUE(active->at(1).fleet_id.empty());
    EXPECT_FALSE(active->at(1).uses.has_value());
}

TEST_F(StoreTest, DuplicateGrantIdIsEexistAndKeepsTheOriginal) {
    auto store = open_store();
    ASSERT_TRUE(store);
    ASSERT_TRUE(testing::insert_grant(*store, make_grant("g-dup00001", "first", 1)).ok());
    Grant again = make_grant("g-dup00001", "second", 2);
    again.services = {"sudo", "su"};
    auto result = testing::insert_grant(*store, again);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, EEXIST);
    auto all = store->list_grants("", true, 10);
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ((*all)[0].user, "first");
    EXPECT_EQ((*all)[0].services, std::vector<std::string>{"sshd"}) << "no half-written services";
}

// A grant's INSERTs are prepared once and reused: each use starts with no
// binding left from the last (a refused insert included), and closing the
// store really closes the connection (SQLite removes the WAL file then; a
// statement left unfinalized would keep it open).
TEST_F(StoreTest, ReusedInsertsStartCleanAndCloseWithTheStore) {
    {
        auto store = open_store();
        ASSERT_TRUE(store);
        Grant first = make_grant("g-reuse001", "first", 1);
        first.services = {"sshd", "sudo", "su"};
        first.groups = {"wheel"};
        first.source = "192.0.2.0/24";
        ASSERT_TRUE(testing::insert_grant(*store, first).ok());
        ASSERT_FALSE(testing::insert_grant(*store, first).ok()) << "the same id again";
        Grant second = make_grant("g-reuse002", "second", 2);
        second.source = "";
        ASSERT_TRUE(testing::insert_grant(*store, second).ok());
        auto all = store->list_grants("", true, 10);
        ASSERT_TRUE(all.ok());
        ASSERT_EQ(all->size(), 2u);
        for (const Grant& g : *all) {
            const Grant& want = g.id == first.id ? first : second;
            EXPECT_EQ(g.user, want.user);
            EXPECT_EQ(g.source, want.source);
            EXPECT_EQ(g.services, want.services) << g.id;
            EXPECT_EQ(g.groups, want.groups) << g.id;
        }
        ASSERT_EQ(mode_of(db_path() + "-wal"), 0600u) << "precondition: the WAL is open";
    }
    EXPECT_EQ(mode_of(db_path() + "-wal"), static_cast<mode_t>(-1)) << "the connection is closed";
}

TEST_F(StoreTest, GrantIdExistsReflectsInserts) {
    auto store = open_store();
    ASSERT_TRUE(store);
    auto before = store->grant_id_exists("g-exist001");
    ASSERT_TRUE(before.ok());
    EXPECT_FALSE(*before);
    ASSERT_TRUE(testing::insert_grant(*store, make_grant("g-exist001", "u", 1)).ok());
    auto after = store->grant_id_exists("g-exist001");
    ASSERT_TRUE(after.ok());
    EXPECT_TRUE(*after);
}

TEST_F(StoreTest, RevocationRecordsWhenWhoAndWhyDurably) {
    {
        auto store = open_store();
        ASSERT_TRUE(store);
        ASSERT_TRUE(testing::insert_grant(*store, make_grant("g-rev00001", "u", 10)).ok());
        ASSERT_TRUE(
            testing::end_grant(*store, "g-rev00001", GrantState::Revoked, 50, 1001, "done").ok());
    }
    auto store = open_store();
    ASSERT_TRUE(store);
    auto all = store->list_grants("u", true, 10);
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 1u);
    const Grant& g = (*all)[0];
    EXPECT_EQ(g.state, GrantState::Revoked);
    EXPECT_EQ(g.ended->at, std::optional<Time>(50));
    EXPECT_EQ(g.ended->by, std::optional<uid_t>(1001));
    EXPECT_EQ(g.ended->reason, "done");
}

TEST_F(StoreTest, ExpiryWithoutRevokerLeavesEndedByEmpty) {
    auto store = open_store();
    ASSERT_TRUE(store);
    ASSERT_TRUE(testing::insert_grant(*store, make_grant("g-exp00001", "u", 10)).ok());
    ASSERT_TRUE(
        testing::end_grant(*store, "g-exp00001", GrantState::Expired, 3610, std::nullopt, "").ok());
    auto all = store->list_grants("u", true, 10);
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ((*all)[0].state, GrantState::Expired);
    EXPECT_EQ((*all)[0].ended->at, std::optional<Time>(3610));
    EXPECT_FALSE((*all)[0].ended->by.has_value());
}

TEST_F(StoreTest, EndingAnUnknownGrantIsEnoent) {
    auto store = open_store();
    ASSERT_TRUE(store);
    auto result = testing::end_grant(*store, "g-nosuch01", GrantState::Revoked, 1, 0, "x");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, ENOENT);
    EXPECT_EQ(result.error().message, "end_grant g-nosuch01: no such grant");
}

TEST_F(StoreTest, EndingAnEndedGrantIsEalreadyAndKeepsTheFirstEnd) {
    auto store = open_store();
    ASSERT_TRUE(store);
    ASSERT_TRUE(testing::insert_grant(*store, make_grant("g-twice001", "u", 10)).ok());
    ASSERT_TRUE(testing::end_grant(*store, "g-twice001", GrantState::Revoked, 20, 7, "first").ok());
    for (GrantState again : {GrantState::Revoked, GrantState::Expired}) {
        auto result = testing::end_grant(*store, "g-twice001", again, 30, 8, "second");
        ASSERT_FALSE(result.ok());
        EXPECT_EQ(result.error().code, EALREADY);
    }
    auto all = store->list_grants("u", true, 10);
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ((*all)[0].state, GrantState::Revoked);
    EXPECT_EQ((*all)[0].ended->at, std::optional<Time>(20));
    EXPECT_EQ((*all)[0].ended->by, std::optional<uid_t>(7));
    EXPECT_EQ((*all)[0].ended->reason, "first");
}

TEST_F(StoreTest, EndingAsActiveIsEinvalAndChangesNothing) {
    auto store = open_store();
    ASSERT_TRUE(store);
    ASSERT_TRUE(testing::insert_grant(*store, make_grant("g-einval01", "u", 10)).ok());
    auto result = testing::end_grant(*store, "g-einval01", GrantState::Active, 20, 7, "x");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, EINVAL);
    auto active = store->active_grants();
    ASSERT_TRUE(active.ok());
    EXPECT_EQ(ids_of(*active), std::vector<std::string>{"g-einval01"});
}

TEST_F(StoreTest, ActiveGrantsExcludeEndedOnesOldestFirst) {
    auto store = open_store();
    ASSERT_TRUE(store);
    ASSERT_TRUE(testing::insert_grant(*store, make_grant("g-c0000003", "a", 30)).ok());
    ASSERT_TRUE(testing::insert_grant(*store, make_grant("g-a0000001", "b", 10)).ok());
    ASSERT_TRUE(testing::insert_grant(*store, make_grant("g-b0000002", "a", 20)).ok());
    ASSERT_TRUE(testing::insert_grant(*store, make_grant("g-d0000004", "c", 40)).ok());
    ASSERT_TRUE(testing::end_grant(*store, "g-b0000002", GrantState::Revoked, 25, 0, "r").ok());
    ASSERT_TRUE(
        testing::end_grant(*store, "g-d0000004", GrantState::Expired, 45, std::nullopt, "").ok());
    auto active = store->active_grants();
    ASSERT_TRUE(active.ok());
    EXPECT_EQ(ids_of(*active), (std::vector<std::string>{"g-a0000001", "g-c0000003"}));
}

class StoreListTest : public StoreTest {
protected:
    void SetUp() override {
        store_ = open_store();
        ASSERT_TRUE(store_);
        // created out of insertion order, so newest-first must really sort.
        ASSERT_TRUE(testing::insert_grant(*store_, make_grant("g-alice002", "alice", 200)).ok());
        ASSERT_TRUE(testing::insert_grant(*store_, make_grant("g-bob00001", "bob", 150)).ok());
        ASSERT_TRUE(testing::insert_grant(*store_, make_grant("g-alice001", "alice", 100)).ok());
        ASSERT_TRUE(testing::insert_grant(*store_, make_grant("g-alice003", "alice", 300)).ok());
        ASSERT_TRUE(
            testing::end_grant(*store_, "g-alice002", GrantState::Revoked, 250, 0, "r").ok());
    }
    std::vector<std::string> list(const std::string& user, bool include_ended, size_t limit) {
        auto grants = store_->list_grants(user, include_ended, limit);
        EXPECT_TRUE(grants.ok()) << grants.error().message;
        return grants.ok() ? ids_of(*grants) : std::vector<std::string>{"<error>"};
    }
    std::unique_ptr<Store> store_;
};

using Ids = std::vector<std::string>;

TEST_F(StoreListTest, FiltersByUserNewestFirst) {
    EXPECT_EQ(list("alice", true, 10), (Ids{"g-alice003", "g-alice002", "g-alice001"}));
    EXPECT_EQ(list("bob", true, 10), (Ids{"g-bob00001"}));
    EXPECT_EQ(list("carol", true, 10), Ids{});
}

TEST_F(StoreListTest, EmptyUserListsEveryoneNewestFirst) {
    EXPECT_EQ(list("", true, 10), (Ids{"g-alice003", "g-alice002", "g-bob00001", "g-alice001"}));
}

TEST_F(StoreListTest, EndedGrantsOnlyWhenIncludeEnded) {
    EXPECT_EQ(list("alice", false, 10), (Ids{"g-alice003", "g-alice001"}));
    EXPECT_EQ(list("", false, 10), (Ids{"g-alice003", "g-bob00001", "g-alice001"}));
}

TEST_F(StoreListTest, LimitKeepsTheNewest) {
    EXPECT_EQ(list("", true, 2), (Ids{"g-alice003", "g-alice002"}));
    EXPECT_EQ(list("alice", false, 1), (Ids{"g-alice003"}));
    EXPECT_EQ(list("", true, 0), Ids{});
    EXPECT_EQ(list("", true, SIZE_MAX).size(), 4u) << "a huge limit must not overflow";
}

TEST_F(StoreListTest, UserTextIsBoundNotSpliced) {
    EXPECT_EQ(list("alice' OR '1'='1", true, 10), Ids{});
    EXPECT_EQ(list("%", true, 10), Ids{});
}

// ---- durability -------------------------------------------------------------

// A child inserts and is SIGKILLed the moment insert_grant returns, with no
// chance to close the database: the grant must already be committed.
TEST_F(StoreTest, GrantIsCommittedBeforeInsertReturns) {
    { ASSERT_TRUE(open_store()); }
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        auto store = Store::open(state_dir());
        if (!store) _exit(2);
        if (!testing::insert_grant(**store, make_grant("g-killed01", "u", 1)).ok()) _exit(3);
        raise(SIGKILL);
        _exit(4);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child did not reach the kill; exit status " << WEXITSTATUS(status);
    auto store = open_store();
    ASSERT_TRUE(store);
    auto exists = store->grant_id_exists("g-killed01");
    ASSERT_TRUE(exists.ok());
    EXPECT_TRUE(*exists);
}

}  // namespace
}  // namespace jit::daemon

namespace {

TEST(StoreLock, SecondOpenOfTheSameStateDirIsRefusedUntilTheFirstCloses) {
    char tmpl[] = "/tmp/jit-store-lock.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    std::string dir = std::string(tmpl) + "/state";
    {
        auto first = jit::daemon::Store::open(dir);
        ASSERT_TRUE(first.ok()) << first.error().message;
        auto second = jit::daemon::Store::open(dir);
        ASSERT_FALSE(second.ok());
        EXPECT_EQ(second.error().code, EBUSY);
        EXPECT_NE(second.error().message.find("another jitd"), std::string::npos)
            << second.error().message;
    }
    auto again = jit::daemon::Store::open(dir);
    EXPECT_TRUE(again.ok()) << "the lock goes with the store";
    std::filesystem::remove_all(tmpl);
}

}  // namespace
