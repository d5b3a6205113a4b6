#include "jwks_refresh/replace.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jit/unique_fd.h"

namespace jit::jwks {

namespace {

constexpr size_t kMaxCompareBytes = 4 * 1024 * 1024;

std::string error_text(const std::string& what) {
    return what + ": " + strerror(errno);
}

bool write_all(int fd, const std::string& content) {
    size_t done = 0;
    while (done < content.size()) {
        ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += size_t(n);
    }
    return true;
}

// True when the file at dirfd/name holds exactly content.
bool same_content(int dirfd, const std::string& name, const std::string& content) {
    UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    struct stat st;
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
        size_t(st.st_size) != content.size() || content.size() > kMaxCompareBytes)
        return false;
    std::string old(content.size(), '\0');
    size_t done = 0;
    while (done < old.size()) {
        ssize_t n = ::read(fd.get(), old.data() + done, old.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += size_t(n);
    }
    return old == content;
}

}  // namespace

Result<Replaced, Failure> replace_file(const std::string& path, const std::string& content) {
    const size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash + 1 == path.size())
        return problem(path + ": not a file path");
    const std::string dir = slash == 0 ? "/" : path.substr(0, slash);
    const std::string name = path.substr(slash + 1);
    UniqueFd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dirfd.valid()) return problem(error_text(dir));
    if (same_content(dirfd.get(), name, content)) return Replaced::Unchanged;

    // The temporary name is hidden and unique; O_EXCL never follows or
    // reuses anything already there.
    std::string temp;
    UniqueFd fd;
    for (int attempt = 0; attempt < 16 && !fd.valid(); ++attempt) {
        char suffix[16];
        snprintf(suffix, sizeof suffix, "%08lx", long(arc4random() & 0xffffffffu));
        temp = "." + name + "." + suffix + ".tmp";
        fd.reset(::openat(dirfd.get(), temp.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
        if (!fd.valid() && errno != EEXIST) break;
    }
    if (!fd.valid()) return problem(error_text("cannot create a temporary file in " + dir));
    auto abandon = [&](const std::string& what) {
        Failure p = problem(error_text(what));
        ::unlinkat(dirfd.get(), temp.c_str(), 0);
        return p;
    };
    // Key sets are public; jitd reads them whoever wrote them.
    if (::fchmod(fd.get(), 0644) != 0) return abandon(dir + "/" + temp);
    if (!write_all(fd.get(), content)) return abandon("cannot write " + dir + "/" + temp);
    if (::fsync(fd.get()) != 0) return abandon("cannot fsync " + dir + "/" + temp);
    fd.reset();
    if (::renameat(dirfd.get(), temp.c_str(), dirfd.get(), name.c_str()) != 0)
        return abandon("cannot rename over " + path);
    // The new file is in place; a failed directory fsync only risks the
    // rename being undone by a crash, which would leave the old set.
    if (::fsync(dirfd.get()) != 0) return problem(error_text("cannot fsync " + dir));
    return Replaced::Written;
}

}  // namespace jit::jwks
