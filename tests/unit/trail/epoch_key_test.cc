// The evolving key really is erased: after the log moves on, no earlier
// key (k_0, which derives every other, included) is left in jit.db, its
// WAL or the key file; the one key on the host is the next record's, in
// audit-epoch.key.  Before the key left jit.db, every commit's new state
// page went to the WAL, and the keys of every record since the last
// checkpoint could be read back from it.
#include <fstream>
#include <iterator>

#include "tests/unit/trail/trail_fixture.h"

namespace jit::daemon {
namespace {

std::string contents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool holds(const std::string& data, const audit::Secret& key) {
    const auto& b = key.bytes();
    return data.find(std::string(b.begin(), b.end())) != std::string::npos;
}

class EpochKeyTest : public AuditTrailTest {
protected:
    std::string state() const { return dir_ + "/state"; }
    // Every file of the state directory but the key file, whole.
    std::string database_files() const {
        std::string all;
        for (const auto& e : std::filesystem::directory_iterator(state()))
            if (e.path().filename() != EpochKeyFile::kName) all += contents(e.path());
        return all;
    }
};

TEST_F(EpochKeyTest, NoEarlierKeyIsLeftInTheDatabaseItsWalOrTheKeyFile) {
    // 40 commits of one record each, and some of several.
    for (int i = 0; i < 40; ++i) ASSERT_TRUE(ledger_->create(grant("deploy"), GrantOrigin{}).ok());
    for (int i = 0; i < 5; ++i) {
        for (int j = 0; j < 3; ++j)
            audited_->record(Event::Decision, 6, "allow deploy", {{"JIT_USER", "deploy"}});
        ASSERT_TRUE(trail_->flush());
    }
    const uint64_t next = trail_->head()->size;
    ASSERT_EQ(next, 55u);
    ASSERT_TRUE(std::filesystem::exists(state() + "/jit.db-wal")) << "the WAL is live";
    const std::string db = database_files();
    const std::string key_file = contents(state() + "/" + EpochKeyFile::kName);
    ASSERT_GT(db.size(), 4096u);
    audit::EvolvingKey key(0, auditor_.k0);
    for (uint64_t epoch = 0; epoch < next; ++epoch, key.advance()) {
        EXPECT_FALSE(holds(db, key.key())) << "key of epoch " << epoch << " in jit.db or its WAL";
        EXPECT_FALSE(holds(key_file, key.key())) << "key of epoch " << epoch << " in the key file";
    }
    ASSERT_EQ(key.epoch(), next);
    EXPECT_TRUE(holds(key_file, key.key())) << "the key file holds the next record's key";
    EXPECT_FALSE(holds(db, key.key())) << "and jit.db does not";
    EXPECT_EQ(key_file.size(), 48u) << "one fixed-size key, overwritten in place";
    EXPECT_TRUE(export_and_verify().intact());
}

TEST_F(EpochKeyTest, AKeyFileBehindTheLogIsSteppedForwardOneAheadIsRefused) {
    ASSERT_TRUE(ledger_->create(grant("deploy"), GrantOrigin{}).ok());
    auto file = EpochKeyFile::open(state());
    ASSERT_TRUE(file.ok()) << file.error().message;
    // A crash between the commit and the key file's write: the file holds
    // the key of the record just written; the restart steps it on.
    auto written = file->write(0, auditor_.k0);
    ASSERT_TRUE(written.ok()) << written.error().message;
    open_trail();
    audited_->record(Event::Decision, 6, "allow deploy", {{"JIT_USER", "deploy"}});
    ASSERT_TRUE(trail_->flush());
    EXPECT_TRUE(export_and_verify().intact());
    EXPECT_FALSE(holds(contents(state() + "/" + EpochKeyFile::kName), auditor_.k0));

    audit::EvolvingKey ahead(0, auditor_.k0);
    ahead.advance_to(9);
    ASSERT_TRUE(file->write(9, ahead.key()).ok());
    AuditTrail again(*store_, plain_, clock_);
    AuditConfig config;
    auto loaded = again.load(config, state());
    ASSERT_FALSE(loaded.ok()) << "a database rolled back behind the key is refused";
    EXPECT_EQ(loaded.error().code, ESTALE);
    EXPECT_NE(loaded.error().message.find("rolled back"), std::string::npos);
}

}  // namespace
}  // namespace jit::daemon
