#include "daemon/trail/epoch_key.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>

#include <openssl/crypto.h>

namespace jit::daemon {

namespace {

// "jitkey01" || be64(epoch) || key: one fixed size, so every write lands on
// the same bytes of the same block.
constexpr char kMagic[8] = {'j', 'i', 't', 'k', 'e', 'y', '0', '1'};
constexpr size_t kSize = sizeof(kMagic) + 8 + sizeof(audit::Hash);

Failure fail(int code, const std::string& what) {
    return Failure(code, what + ": " + strerror(code));
}

}  // namespace

Result<EpochKeyFile, Failure> EpochKeyFile::open(const std::string& dir) {
    const std::string path = dir + "/" + kName;
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) return fail(errno, "cannot open " + path);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail(errno, "cannot stat " + path);
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
        return fail(EPERM, path + " must be a regular file of jitd's user, mode 0600");
    return EpochKeyFile(std::move(fd));
}

Result<std::optional<EpochKeyFile::Held>, Failure> EpochKeyFile::read() const {
    std::array<uint8_t, kSize + 1> buf{};
    ssize_t n;
    do n = ::pread(fd_.get(), buf.data(), buf.size(), 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) return fail(errno, "cannot read the audit epoch key");
    if (n == 0) return std::optional<Held>();
    if (size_t(n) != kSize || memcmp(buf.data(), kMagic, sizeof kMagic) != 0)
        return fail(EBADMSG, "the audit epoch key file is damaged");
    Held held;
    for (size_t i = 0; i < 8; ++i) held.epoch = held.epoch << 8 | buf[sizeof kMagic + i];
    audit::Hash key{};
    memcpy(key.data(), buf.data() + sizeof kMagic + 8, key.size());
    held.key = audit::Secret(key);
    OPENSSL_cleanse(key.data(), key.size());
    OPENSSL_cleanse(buf.data(), buf.size());
    return std::optional<Held>(std::move(held));
}

Result<void, Failure> EpochKeyFile::write(uint64_t epoch, const audit::Secret& key) {
    std::array<uint8_t, kSize> buf{};
    memcpy(buf.data(), kMagic, sizeof kMagic);
    for (size_t i = 0; i < 8; ++i) buf[sizeof kMagic + i] = uint8_t(epoch >> (56 - 8 * i));
    memcpy(buf.data() + sizeof kMagic + 8, key.bytes().data(), key.bytes().size());
    size_t done = 0;
    while (done < kSize) {
        ssize_t n = ::pwrite(fd_.get(), buf.data() + done, kSize - done, off_t(done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            OPENSSL_cleanse(buf.data(), buf.size());
            return fail(n < 0 ? errno : EIO, "cannot write the audit epoch key");
        }
        done += size_t(n);
    }
    OPENSSL_cleanse(buf.data(), buf.size());
    if (::fdatasync(fd_.get()) != 0) return fail(errno, "cannot sync the audit epoch key");
    return {};
}

}  // namespace jit::daemon
