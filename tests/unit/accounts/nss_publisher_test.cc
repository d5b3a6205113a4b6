// SnapshotFile: the atomic replacement the module relies on.  Real files in a
// temporary directory.
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/accounts/nss_publisher.h"

namespace jit::daemon {
namespace {

class SnapshotFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jit-snapshot-file.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::vector<uint8_t> read(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }
    std::vector<std::string> entries(const std::string& dir) {
        std::vector<std::string> out;
        if (DIR* d = opendir(dir.c_str())) {
            while (dirent* e = readdir(d))
                if (e->d_name[0] != '.' || (e->d_name[1] && e->d_name[1] != '.'))
                    out.push_back(e->d_name);
            closedir(d);
        }
        return out;
    }
    std::string dir_;
};

TEST_F(SnapshotFileTest, ReplacesTheFileWholeWithModeOhSixFourFour) {
    SnapshotFile file(dir_ + "/nss.snapshot");
    mode_t old = umask(077);  // as under systemd's UMask=0077
    ASSERT_TRUE(file.write({1, 2, 3}).ok());
    ASSERT_TRUE(file.write({4, 5, 6, 7}).ok());
    umask(old);
    EXPECT_EQ(read(dir_ + "/nss.snapshot"), (std::vector<uint8_t>{4, 5, 6, 7}));
    struct stat st;
    ASSERT_EQ(stat((dir_ + "/nss.snapshot").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644u);
    EXPECT_EQ(entries(dir_), std::vector<std::string>{"nss.snapshot"}) << "no temporary file left";
}

TEST_F(SnapshotFileTest, CreatesAMissingDirectory) {
    SnapshotFile file(dir_ + "/run-jit/nss.snapshot");
    ASSERT_TRUE(file.write({9}).ok());
    struct stat st;
    ASSERT_EQ(stat((dir_ + "/run-jit").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 022, 0u);
    EXPECT_EQ(read(dir_ + "/run-jit/nss.snapshot"), std::vector<uint8_t>{9});
}

TEST_F(SnapshotFileTest, RefusesADirectoryOthersMayWrite) {
    ASSERT_EQ(chmod(dir_.c_str(), 0777), 0);
    SnapshotFile file(dir_ + "/nss.snapshot");
    auto r = file.write({1});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find("writable by group or others"), std::string::npos) << r.error();
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(SnapshotFileTest, ReplacesASymlinkInsteadOfWritingThroughIt) {
    std::string target = dir_ + "/elsewhere";
    { std::ofstream(target) << "precious"; }
    ASSERT_EQ(symlink(target.c_str(), (dir_ + "/nss.snapshot").c_str()), 0);
    SnapshotFile file(dir_ + "/nss.snapshot");
    ASSERT_TRUE(file.write({1}).ok());
    std::ifstream in(target);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, "precious") << "rename replaces the link, never the file it points to";
    struct stat st;
    ASSERT_EQ(lstat((dir_ + "/nss.snapshot").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
}

// A process that keeps the old file mapped learns of the new one from the
// old file itself: its state word (offset 92) reads "O\0\0\0" once the new file
// is at the path.  The new file is written as given.
TEST_F(SnapshotFileTest, MarksTheFileItReplacesSuperseded) {
    const std::string path = dir_ + "/nss.snapshot";
    SnapshotFile file(path);
    std::vector<uint8_t> first(128, 0), second(128, 0);
    second[0] = 2;
    ASSERT_TRUE(file.write(first).ok());
    int old_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);  // the old file, as a reader holds it
    ASSERT_GE(old_fd, 0);
    ASSERT_TRUE(file.write(second).ok());
    char word[4] = {};
    ASSERT_EQ(pread(old_fd, word, 4, 92), 4);
    close(old_fd);
    EXPECT_EQ(std::string(word, 4), std::string("O\0\0\0", 4));
    EXPECT_EQ(read(path), second);
}

TEST_F(SnapshotFileTest, LeavesAFileShorterThanAHeaderAlone) {
    const std::string path = dir_ + "/nss.snapshot";
    SnapshotFile file(path);
    ASSERT_TRUE(file.write({1, 2, 3}).ok());
    int old_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(old_fd, 0);
    ASSERT_TRUE(file.write({4}).ok());
    struct stat st;
    ASSERT_EQ(fstat(old_fd, &st), 0);
    close(old_fd);
    EXPECT_EQ(st.st_size, 3) << "no mark written past its end";
}

TEST_F(SnapshotFileTest, ARelativePathIsRefused) {
    SnapshotFile file("nss.snapshot");
    EXPECT_FALSE(file.write({1}).ok());
}

}  // namespace
}  // namespace jit::daemon
