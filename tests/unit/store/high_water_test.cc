// The high-water mark: a database behind what was committed is refused, a
// torn record falls back to the other slot, and recovery is explicit.
#include "daemon/store/high_water.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "daemon/store/store.h"

namespace jit::daemon {
namespace {

class StateDir {
public:
    StateDir() {
        std::string tmpl = "/tmp/hwm_test.XXXXXX";
        if (mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp: " << errno;
        char* real = realpath(tmpl.c_str(), nullptr);
        path_ = std::string(real ? real : tmpl.c_str()) + "/state";
        free(real);
    }
    ~StateDir() {
        std::error_code ec;
        std::filesystem::remove_all(std::filesystem::path(path_).parent_path(), ec);
    }
    const std::string& path() const { return path_; }
    std::string file(const char* name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// Opens, makes `commits` commits, closes (which checkpoints the WAL).
void commit(const StateDir& dir, int commits, Time start = 1000) {
    auto store = Store::open(dir.path());
    ASSERT_TRUE(store.ok()) << store.error().message;
    for (int i = 0; i < commits; ++i) ASSERT_TRUE((*store)->raise_clock_floor(start + i));
}

void scribble(const std::string& path, off_t offset, size_t len) {
    int fd = ::open(path.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    std::string junk(len, '\x5a');
    ASSERT_EQ(::pwrite(fd, junk.data(), len, offset), ssize_t(len));
    ::close(fd);
}

TEST(HighWater, ADatabaseReplacedByAnOlderCopyIsRefused) {
    StateDir dir;
    commit(dir, 2);
    std::filesystem::copy_file(dir.file("jit.db"), dir.file("old.db"));
    commit(dir, 3, 5000);
    std::filesystem::rename(dir.file("old.db"), dir.file("jit.db"));
    auto refused = Store::open(dir.path());
    const std::string detail = refused ? "" : refused.error().message;
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, EUCLEAN);
    EXPECT_NE(detail.find("the database is behind what jitd acknowledged"), std::string::npos)
        << detail;
    // Only an explicit recovery accepts it; after that it opens normally.
    auto recovered = Store::open(dir.path(), true);
    ASSERT_TRUE(recovered.ok()) << recovered.error().message;
    ASSERT_FALSE((*recovered)->open_notices().empty());
    EXPECT_NE((*recovered)->open_notices()[0].find("recovery: accepted jit.db"), std::string::npos);
    recovered->reset();
    EXPECT_TRUE(Store::open(dir.path()).ok());
}

TEST(HighWater, AnEmptiedDatabaseIsNeverAFreshStart) {
    StateDir dir;
    commit(dir, 1);
    ASSERT_EQ(::truncate(dir.file("jit.db").c_str(), 0), 0);
    auto refused = Store::open(dir.path());
    const std::string detail = refused ? "" : refused.error().message;
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(detail.find("jit.db is empty"), std::string::npos) << detail;
}

TEST(HighWater, ATornRecordFallsBackToTheOtherSlot) {
    StateDir dir;
    commit(dir, 4);
    // One slot torn: the other is one commit older, never ahead of jit.db.
    scribble(dir.file(HighWater::kFileName), 0, 24);
    EXPECT_TRUE(Store::open(dir.path()).ok());
}

TEST(HighWater, BothSlotsTornIsRefusedNotGuessed) {
    StateDir dir;
    commit(dir, 4);
    scribble(dir.file(HighWater::kFileName), 0, 48);
    auto refused = Store::open(dir.path());
    const std::string detail = refused ? "" : refused.error().message;
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, EUCLEAN);
    EXPECT_NE(detail.find("is damaged"), std::string::npos) << detail;
    auto recovered = Store::open(dir.path(), true);
    EXPECT_TRUE(recovered.ok()) << recovered.error().message;
}

TEST(HighWater, LooseModesAreFixedAndReported) {
    StateDir dir;
    commit(dir, 1);
    ASSERT_EQ(::chmod(dir.file("jit.db").c_str(), 0666), 0);
    auto store = Store::open(dir.path());
    ASSERT_TRUE(store.ok());
    struct stat st {};
    ASSERT_EQ(::stat(dir.file("jit.db").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    bool reported = false;
    for (const auto& n : (*store)->open_notices())
        reported |= n.find("had mode 0666") != std::string::npos;
    EXPECT_TRUE(reported);
}

}  // namespace
}  // namespace jit::daemon
