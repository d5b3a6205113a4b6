// The request tables: the schema step that adds them, atomic approval (the
// grant, the vote and the state move together or not at all), conditional
// state moves, and the risk baseline's round trip.
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "daemon/store/request_store.h"
#include "tests/unit/succeeded.h"

namespace jit::daemon {
namespace {

class RequestStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jit-reqstore-test.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
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
    std::string sql(const std::string& text) {
        sqlite3* db = nullptr;
        std::string out = "<no row>";
        EXPECT_EQ(sqlite3_open((dir_ + "/state/jit.db").c_str(), &db), SQLITE_OK);
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db, text.c_str(), -1, &st, nullptr) == SQLITE_OK) {
            int rc = sqlite3_step(st);
            if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
                out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
            else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                ADD_FAILURE() << text << ": " << sqlite3_errmsg(db);
        } else {
            ADD_FAILURE() << text << ": " << sqlite3_errmsg(db);
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
        return out;
    }
    // A pending request made by a workload token whose replay keys hold key.
    static Request with_token(const std::string& id, const std::string& key) {
        Request r = pending(id);
        r.identity = {"github",
                      "https://issuer.example",
                      "repo:acme/web",
                      {"ref=refs/heads/main", "repository=acme/web"},
                      std::string(64, 'a')};
        r.spent_keys = {"jws:" + key, "jti:" + key};
        r.spent_until = r.created + 600;
        return r;
    }
    static Request pending(const std::string& id) {
        Request r;
        r.id = id;
        r.user = "deploy";
        r.services = {"sshd", "sudo"};
        r.source = "10.0.0.0/8";
        r.not_before = 1000;
        r.duration = 600;
        r.reason = "why";
        r.ticket = "CHG-1";
        r.requester = 1500;
        r.rule = "release";
        r.required = 2;
        r.approver_groups = {"a", "b"};
        r.risk = {"burst"};
        r.created = 1000;
        r.expires = 2000;
        return r;
    }
    // The approval and its grant in one transaction, as the desk writes them
    // (the grant through the ledger, which uses the same store writer).
    Result<void, Failure> approve(RequestStore& rs, const Request& r, const Approval& a,
                                  const Grant& g) {
        StoreTx tx(*store_);
        if (auto ok = tx.begin(); !ok) return ok;
        if (auto ok = store_->insert_grant(tx, g); !ok) return ok;
        if (auto ok = rs.approve(tx, r, a); !ok) return ok;
        return tx.commit();
    }
    static Grant grant_for(const Request& r, const std::string& id) {
        Grant g;
        g.id = id;
        g.user = r.user;
        g.services = r.services;
        g.source = r.source;
        g.not_before = r.not_before;
        g.not_after = r.not_after();
        g.reason = r.reason;
        g.created = 1100;
        return g;
    }

    std::string dir_;
    std::unique_ptr<Store> store_;
};

TEST_F(RequestStoreTest, TheSchemaStepUpgradesAnOlderDatabase) {
    store_.reset();
    // Back to version 3: the requests step (4) and every later one undone.
    sql("DROP TABLE spent_tokens");  // step 8 undone too
    sql("DROP TABLE request_identity");
    sql("DROP TABLE grant_identity");
    sql("DROP TABLE audit_records");  // steps 6 and 7 undone too
    sql("DROP TABLE audit_segments");
    sql("DROP TABLE audit_state");
    sql("DROP TABLE audit_checkpoints");
    sql("DROP TABLE grant_fleet");
    sql("DROP TABLE request_commands");
    sql("DROP TABLE grant_commands");
    sql("DROP TABLE approvals");
    sql("DROP TABLE requests");
    sql("DROP TABLE risk_baseline");
    sql("UPDATE schema_version SET version = 3");
    open();
    EXPECT_EQ(store_->schema_version(), Store::kSchemaVersion);
    EXPECT_EQ(sql("SELECT count(*) FROM requests"), "0");
    EXPECT_EQ(sql("SELECT count(*) FROM risk_baseline"), "0");
}

TEST_F(RequestStoreTest, TheCommandScopeStepUpgradesAVersion4Database) {
    store_.reset();
    sql("DROP TABLE spent_tokens");  // step 8 undone too
    sql("DROP TABLE request_identity");
    sql("DROP TABLE grant_identity");
    sql("DROP TABLE audit_records");  // steps 6 and 7 undone too
    sql("DROP TABLE audit_segments");
    sql("DROP TABLE audit_state");
    sql("DROP TABLE audit_checkpoints");
    sql("DROP TABLE grant_fleet");
    sql("DROP TABLE request_commands");
    sql("DROP TABLE grant_commands");
    sql("UPDATE schema_version SET version = 4");
    open();
    EXPECT_EQ(store_->schema_version(), Store::kSchemaVersion);
    EXPECT_EQ(sql("SELECT count(*) FROM grant_commands"), "0");
    EXPECT_EQ(sql("SELECT count(*) FROM request_commands"), "0");
}

TEST_F(RequestStoreTest, TheFleetOriginStepUpgradesAVersion6Database) {
    store_.reset();
    sql("DROP TABLE spent_tokens");  // step 8 undone too
    sql("DROP TABLE request_identity");
    sql("DROP TABLE grant_identity");
    sql("DROP TABLE grant_fleet");
    sql("UPDATE schema_version SET version = 6");
    open();
    EXPECT_EQ(store_->schema_version(), Store::kSchemaVersion);
    EXPECT_EQ(sql("SELECT count(*) FROM grant_fleet"), "0");
}

TEST_F(RequestStoreTest, TheIdentityStepUpgradesAVersion7Database) {
    store_.reset();
    sql("DROP TABLE spent_tokens");
    sql("DROP TABLE request_identity");
    sql("DROP TABLE grant_identity");
    sql("UPDATE schema_version SET version = 7");
    open();
    EXPECT_EQ(store_->schema_version(), Store::kSchemaVersion);
    EXPECT_EQ(sql("SELECT count(*) FROM spent_tokens"), "0");
    EXPECT_EQ(sql("SELECT count(*) FROM request_identity"), "0");
    EXPECT_EQ(sql("SELECT count(*) FROM grant_identity"), "0");
}

TEST_F(RequestStoreTest, AWorkloadIdentityRoundTripsAndItsTokenIsSpentWithTheRequest) {
    RequestStore rs(*store_);
    Request r = with_token("r-aaaaaaaa", "k1");
    ASSERT_TRUE(jit::testing::succeeded(rs.insert(r)));
    auto found = rs.find(r.id);
    ASSERT_TRUE(found.ok() && found->has_value());
    const WorkloadIdentity& id = (*found)->identity;
    EXPECT_EQ(id.name, "github");
    EXPECT_EQ(id.issuer, "https://issuer.example");
    EXPECT_EQ(id.subject, "repo:acme/web");
    EXPECT_EQ(id.claims, (std::vector<std::string>{"ref=refs/heads/main", "repository=acme/web"}));
    EXPECT_EQ(id.token_digest, std::string(64, 'a'));
    EXPECT_TRUE(*rs.token_spent({"jws:k1"}, r.created));
    EXPECT_TRUE(*rs.token_spent({"jti:k1"}, r.created + 600)) << "remembered until its time";
    EXPECT_FALSE(*rs.token_spent({"jws:k1"}, r.created + 601)) << "forgotten after it";
    EXPECT_FALSE(*rs.token_spent({"jws:k2"}, r.created));
}

TEST_F(RequestStoreTest, ASpentTokenRefusesTheWholeRequestWrite) {
    RequestStore rs(*store_);
    ASSERT_TRUE(jit::testing::succeeded(rs.insert(with_token("r-aaaaaaaa", "k1"))));
    // Another request (another id) with a key already spent: nothing of it is written.
    Request again = with_token("r-bbbbbbbb", "k1");
    again.spent_keys = {"jws:fresh", "jti:k1"};
    auto second = rs.insert(again);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().code, EALREADY);
    EXPECT_EQ(sql("SELECT count(*) FROM requests WHERE id = 'r-bbbbbbbb'"), "0");
    EXPECT_EQ(sql("SELECT count(*) FROM request_identity WHERE request_id = 'r-bbbbbbbb'"), "0");
    EXPECT_EQ(sql("SELECT count(*) FROM spent_tokens WHERE replay_key = 'jws:fresh'"), "0");
}

TEST_F(RequestStoreTest, AnExpiredSpentKeyIsForgottenWhenTheNextTokenIsSpent) {
    RequestStore rs(*store_);
    ASSERT_TRUE(rs.insert(with_token("r-aaaaaaaa", "k1")).ok());
    Request later = with_token("r-bbbbbbbb", "k2");
    later.created += 700;  // k1's time (created + 600) has passed
    later.spent_until = later.created + 600;
    ASSERT_TRUE(jit::testing::succeeded(rs.insert(later)));
    EXPECT_EQ(sql("SELECT count(*) FROM spent_tokens WHERE replay_key LIKE '%k1'"), "0");
    EXPECT_EQ(sql("SELECT count(*) FROM spent_tokens WHERE replay_key LIKE '%k2'"), "2");
}

TEST_F(RequestStoreTest, RoundTripsEveryField) {
    RequestStore rs(*store_);
    Request r = pending("r-aaaaaaaa");
    r.start_on_approval = true;
    ASSERT_TRUE(jit::testing::succeeded(rs.insert(r)));
    EXPECT_EQ(rs.insert(r).error().code, EEXIST);
    auto found = rs.find(r.id);
    ASSERT_TRUE(found.ok() && found->has_value());
    const Request& f = **found;
    EXPECT_EQ(f.services, r.services);
    EXPECT_EQ(f.approver_groups, r.approver_groups);
    EXPECT_EQ(f.risk, r.risk);
    EXPECT_TRUE(f.start_on_approval);
    EXPECT_EQ(f.ticket, "CHG-1");
    EXPECT_EQ(f.state, RequestState::Pending);
    EXPECT_FALSE(f.decided_at.has_value());
    EXPECT_TRUE(rs.find("r-bbbbbbbb")->has_value() == false);
}

TEST_F(RequestStoreTest, ApprovalWritesVoteGrantAndStateTogether) {
    RequestStore rs(*store_);
    Request r = pending("r-aaaaaaaa");
    ASSERT_TRUE(rs.insert(r).ok());
    Approval first{r.id, 1000, Verdict::Approve, 1050, "ok", {}};
    ASSERT_TRUE(jit::testing::succeeded(rs.add_approval(r, first)));
    EXPECT_EQ(rs.add_approval(r, first).error().code, EEXIST) << "one vote per approver";
    Request done = r;
    done.state = RequestState::Approved;
    done.decided_at = 1100;
    done.decided_by = 1001;
    done.grant_id = "g-aaaaaaaa";
    done.duration = 300;  // shortened
    Approval second{r.id, 1001, Verdict::Approve, 1100, "", 300};
    ASSERT_TRUE(jit::testing::succeeded(approve(rs, done, second, grant_for(done, "g-aaaaaaaa"))));
    EXPECT_EQ(sql("SELECT state FROM grants WHERE id = 'g-aaaaaaaa'"), "1");
    EXPECT_EQ(sql("SELECT group_concat(service) FROM grant_services"), "sshd,sudo");
    EXPECT_EQ(sql("SELECT duration FROM requests"), "300");
    auto found = rs.find(r.id);
    ASSERT_EQ((*found)->approvals.size(), 2u);
    EXPECT_EQ((*found)->approvals[1].duration, 300u);
    // A second completion finds it no longer pending and writes nothing.
    Approval third{r.id, 1002, Verdict::Approve, 1200, "", {}};
    EXPECT_EQ(approve(rs, done, third, grant_for(done, "g-bbbbbbbb")).error().code, EALREADY);
    EXPECT_EQ(sql("SELECT count(*) FROM grants"), "1") << "rolled back with the state move";
    EXPECT_EQ(sql("SELECT count(*) FROM approvals"), "2");
}

// jitd loads where its active grants came from, never the whole history.
TEST_F(RequestStoreTest, ActiveGrantOriginsNameOnlyGrantsStillActive) {
    RequestStore rs(*store_);
    for (const char* id : {"r-aaaaaaaa", "r-bbbbbbbb", "r-cccccccc"}) {
        Request r = pending(id);
        ASSERT_TRUE(jit::testing::succeeded(rs.insert(r)));
        if (std::string(id) == "r-cccccccc") continue;  // stays pending: no grant
        Request done = r;
        done.state = RequestState::Approved;
        done.decided_at = 1100;
        done.decided_by = 1001;
        done.grant_id = "g-" + std::string(id + 2);
        Approval a{r.id, 1001, Verdict::Approve, 1100, "", {}};
        ASSERT_TRUE(jit::testing::succeeded(approve(rs, done, a, grant_for(done, done.grant_id))));
    }
    {
        StoreTx tx(*store_);
        ASSERT_TRUE(tx.begin().ok());
        ASSERT_TRUE(
            store_->end_grant(tx, "g-bbbbbbbb", GrantState::Expired, 2000, std::nullopt, "").ok());
        ASSERT_TRUE(tx.commit().ok());
    }
    auto origins = rs.grant_origins();
    ASSERT_TRUE(origins.ok()) << origins.error().message;
    ASSERT_EQ(origins->size(), 1u);
    EXPECT_EQ((*origins)[0].grant_id, "g-aaaaaaaa");
    EXPECT_EQ((*origins)[0].request_id, "r-aaaaaaaa");
    EXPECT_EQ((*origins)[0].rule, "release");
}

TEST_F(RequestStoreTest, AFailedGrantInsertLeavesTheRequestPending) {
    RequestStore rs(*store_);
    Request r = pending("r-aaaaaaaa");
    ASSERT_TRUE(rs.insert(r).ok());
    sql("CREATE TRIGGER refuse BEFORE INSERT ON grants BEGIN SELECT RAISE(ABORT, 'no'); END");
    Request done = r;
    done.state = RequestState::Approved;
    done.grant_id = "g-aaaaaaaa";
    Approval a{r.id, 1000, Verdict::Approve, 1050, "", {}};
    EXPECT_FALSE(approve(rs, done, a, grant_for(done, "g-aaaaaaaa")).ok());
    EXPECT_EQ(sql("SELECT state FROM requests"), "1");
    EXPECT_EQ(sql("SELECT count(*) FROM approvals"), "0");
}

TEST_F(RequestStoreTest, FinishMovesOnlyAPendingRequest) {
    RequestStore rs(*store_);
    Request r = pending("r-aaaaaaaa");
    ASSERT_TRUE(rs.insert(r).ok());
    Request expired = r;
    expired.state = RequestState::Expired;
    expired.decided_at = 2000;
    ASSERT_TRUE(rs.finish(expired, nullptr).ok());
    Request cancelled = r;
    cancelled.state = RequestState::Cancelled;
    EXPECT_EQ(rs.finish(cancelled, nullptr).error().code, EALREADY);
    EXPECT_EQ(sql("SELECT state FROM requests"), "4");
    EXPECT_TRUE(rs.pending()->empty());
    EXPECT_EQ(rs.list("deploy", false, 10)->size(), 1u);
    EXPECT_EQ(rs.list("other", false, 10)->size(), 0u);
    EXPECT_EQ(*rs.count_since("release", "deploy", 1000), 1u);
    EXPECT_EQ(*rs.count_since("", "deploy", 1001), 0u);
}

TEST_F(RequestStoreTest, BaselineAccumulates) {
    RequestStore rs(*store_);
    ASSERT_TRUE(rs.observe("deploy", "source", "10.0.0.1/32", 1, 100).ok());
    ASSERT_TRUE(rs.observe("deploy", "source", "10.0.0.1/32", 2, 200).ok());
    ASSERT_TRUE(rs.observe("deploy", "hour", "07", 3, 200).ok());
    ASSERT_TRUE(rs.observe("ci", "hour", "23", 1, 200).ok());
    auto all = rs.baselines();
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 2u);
    const Baseline& d = (*all)[1].second;
    EXPECT_EQ((*all)[1].first, "deploy");
    EXPECT_EQ(d.sources, std::set<std::string>{"10.0.0.1/32"});
    EXPECT_EQ(d.hours[7], 3u);
    EXPECT_EQ(d.observations, 3u);
    EXPECT_EQ(sql("SELECT count FROM risk_baseline WHERE kind = 'source'"), "3");
}

}  // namespace
}  // namespace jit::daemon
