// The fixture of the audit trail tests: a real SQLite store in a temporary
// directory with an audit log, the real grant ledger, an injected clock.
#pragma once

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "daemon/audit/verify.h"
#include "daemon/ledger/grant_journal.h"
#include "daemon/ledger/grant_ledger.h"
#include "daemon/trail/audit_reader.h"
#include "daemon/trail/audit_trail.h"
#include "daemon/trail/audited_journal.h"
#include "tests/unit/fakes.h"

namespace jit::daemon {

using jit::testing::FakeClock;
using jit::testing::RecordingJournal;

constexpr Time kT0 = 1'800'000'000;

class AuditTrailTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jit-trail-test.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        auto s = Store::open(dir_ + "/state");
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(*s);
        auto init = audit::create_log("jitd/test");
        ASSERT_TRUE(init.ok()) << init.error();
        auditor_ = init->auditor;
        AuditStore rows(*store_);
        StoreTx tx(*store_);
        ASSERT_TRUE(tx.begin().ok());
        const auto& seed = init->signer.seed().bytes();
        ASSERT_TRUE(
            rows.create(tx, audit::encode_state(init->state), std::string(seed.begin(), seed.end()))
                .ok());
        ASSERT_TRUE(tx.commit().ok());
        open_trail();
    }
    void TearDown() override {
        ledger_.reset();
        grant_journal_.reset();
        audited_.reset();
        trail_.reset();
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    void open_trail() {
        ledger_.reset();
        grant_journal_.reset();
        audited_.reset();
        trail_ = std::make_unique<AuditTrail>(*store_, plain_, clock_);
        AuditConfig config;
        config.checkpoint_records = 4;
        config.checkpoint_seconds = 0;
        auto loaded = trail_->load(config, dir_ + "/state");
        ASSERT_TRUE(loaded.ok()) << loaded.error().message;
        ASSERT_TRUE(trail_->active());
        audited_ = std::make_unique<AuditedJournal>(plain_, *trail_);
        ledger_ = std::make_unique<GrantLedger>(*store_, *audited_, clock_);
        ASSERT_TRUE(ledger_->load().ok());
        grant_journal_ = std::make_unique<GrantJournal>(*audited_);
        ledger_->subscribe(grant_journal_.get());
    }
    static Grant grant(const std::string& user) {
        Grant g;
        g.user = user;
        g.services = {"sshd"};
        g.reason = "deploy 42";
        g.not_before = kT0;
        g.not_after = kT0 + 900;
        g.created = kT0;
        return g;
    }
    std::string sql(const std::string& query) {
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open((dir_ + "/state/jit.db").c_str(), &db), SQLITE_OK);
        std::string out;
        char* err = nullptr;
        sqlite3_exec(
            db, query.c_str(),
            [](void* o, int, char** v, char**) {
                *static_cast<std::string*>(o) += v[0] ? v[0] : "NULL";
                return 0;
            },
            &out, &err);
        if (err) {
            out += std::string("ERROR: ") + err;
            sqlite3_free(err);
        }
        sqlite3_close(db);
        return out;
    }
    // Reads the whole log back the way jitctl audit export does, in small
    // pages, and verifies it with the auditor's key.
    audit::VerifyReport export_and_verify(std::string* text = nullptr) {
        audit::VerifyOptions options;
        options.k0 = auditor_.k0;
        auto vkey = audit::VerifierKey::parse(auditor_.verifier_key);
        EXPECT_TRUE(vkey.ok());
        if (vkey) options.checkpoint_key = *vkey;
        audit::StreamVerifier verifier(options);
        AuditReader reader(*store_, dir_ + "/state/" + AuditTrail::kSegmentDir);
        AuditReadQuery q;
        for (int pages = 0; pages < 1000; ++pages) {
            auto page = reader.read(q, 600);
            EXPECT_TRUE(page.ok()) << (page ? "" : page.error().message);
            if (!page) break;
            if (text) *text += page->text;
            size_t start = 0;
            for (size_t nl; (nl = page->text.find('\n', start)) != std::string::npos;
                 start = nl + 1)
                verifier.feed(std::string_view(page->text).substr(start, nl - start));
            if (page->done) break;
            q.from = page->next;
        }
        return verifier.finish();
    }

    std::string dir_;
    FakeClock clock_{kT0};
    RecordingJournal plain_;
    std::unique_ptr<GrantJournal> grant_journal_;
    audit::AuditorKey auditor_;
    std::unique_ptr<Store> store_;
    std::unique_ptr<AuditTrail> trail_;
    std::unique_ptr<AuditedJournal> audited_;
    std::unique_ptr<GrantLedger> ledger_;
};

inline std::string field(const audit::Record& r, const std::string& key) {
    for (const auto& [k, v] : r.fields)
        if (k == key) return v;
    return "<absent>";
}

inline audit::Record record_at(AuditTrailTest& t, const std::string& text, uint64_t seq) {
    (void)t;
    size_t start = 0;
    for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
        auto line = audit::parse_export_line(std::string_view(text).substr(start, nl - start));
        if (line && line->kind == audit::ExportLine::Kind::Record && line->record.seq == seq)
            return line->record;
    }
    ADD_FAILURE() << "no record " << seq;
    return {};
}

}  // namespace jit::daemon
