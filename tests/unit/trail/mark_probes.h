// What the audit mark tests look at and break: the files that guard the
// audit log's commits (jit.hwm, audit-epoch.key), read as bytes, and the
// descriptors the trail keeps, swapped under it for broken ones.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

#include "daemon/store/high_water.h"
#include "tests/unit/trail/trail_fixture.h"

namespace jit::daemon {

inline std::string contents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void put(const std::string& path, const std::string& data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
}

// jit.hwm's newest generation: two 24-byte slots (magic, generation, check),
// little-endian (high_water.cc).
inline uint64_t marked_generation(const std::string& path) {
    const std::string data = contents(path);
    uint64_t best = 0;
    for (size_t slot = 0; slot + 24 <= data.size() && slot < 48; slot += 24) {
        uint64_t magic = 0, gen = 0;
        for (int i = 7; i >= 0; --i) {
            magic = magic << 8 | uint8_t(data[slot + size_t(i)]);
            gen = gen << 8 | uint8_t(data[slot + 8 + size_t(i)]);
        }
        if (magic == 0x31304d5748544a4aULL && gen > best) best = gen;
    }
    return best;
}

// The descriptor this process keeps on path whose access mode is `mode`
// (O_RDONLY, O_RDWR), or -1.
inline int held_fd(const std::string& path, int mode) {
    DIR* fds = opendir("/proc/self/fd");
    if (!fds) return -1;
    int target = -1;
    while (dirent* e = readdir(fds)) {
        char link[4096];
        const std::string at = std::string("/proc/self/fd/") + e->d_name;
        ssize_t n = readlink(at.c_str(), link, sizeof link - 1);
        if (n <= 0) continue;
        link[n] = 0;
        const int fd = atoi(e->d_name);
        if (path == link && (fcntl(fd, F_GETFL) & O_ACCMODE) == mode) target = fd;
    }
    closedir(fds);
    return target;
}

// The key file's descriptor made read-only under the trail: every write of it
// fails (EBADF), as a failing disk's would.
inline void break_key_file(const std::string& path) {
    const int target = held_fd(path, O_RDWR);
    ASSERT_GE(target, 0) << "the trail keeps " << path << " open";
    int ro = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(ro, 0);
    ASSERT_EQ(::dup2(ro, target), target);
    ::close(ro);
}

class AuditMarkTest : public AuditTrailTest {
protected:
    std::string state() const { return dir_ + "/state"; }
    uint64_t db_generation() {
        return std::stoull(sql("SELECT n FROM jit_generation WHERE only_row = 1"));
    }
    uint64_t hwm() const { return marked_generation(state() + "/" + HighWater::kFileName); }
    // The key file's epoch: the record its key will MAC next.
    uint64_t key_epoch() const {
        const std::string data = contents(state() + "/" + EpochKeyFile::kName);
        uint64_t epoch = 0;
        for (size_t i = 0; i < 8 && 8 + i < data.size(); ++i)
            epoch = epoch << 8 | uint8_t(data[8 + i]);
        return epoch;
    }
    void decisions(int n) {
        for (int i = 0; i < n; ++i)
            audited_->record(Event::Decision, 6, "allow deploy", {{"JIT_USER", "deploy"}});
    }
    // A grant inserted in tx with an after-commit action (setting *ran):
    // a state change, whatever the transaction asked to be.
    void change_state(StoreTx& tx, bool* ran) {
        Grant g = grant("deploy");
        g.id = "g-00000001";
        ASSERT_TRUE(store_->insert_grant(tx, g).ok());
        tx.after_commit([ran] { *ran = true; });
    }
    void close_all() {
        ledger_.reset();
        grant_journal_.reset();
        audited_.reset();
        trail_.reset();
        store_.reset();
    }
};

}  // namespace jit::daemon
