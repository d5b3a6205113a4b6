#include "daemon/trail/segment_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <string_view>

#include "daemon/audit/audit.h"
#include "jit/unique_fd.h"

namespace jit::daemon {

namespace {

constexpr size_t kChunk = 64 * 1024;
constexpr size_t kMaxLine = 1 << 20;         // no record comes near it
constexpr uint64_t kLinearSpan = 64 * 1024;  // bisect until the stretch is this short
constexpr size_t kUserScan = 4 << 20;        // bytes one --user page may scan

// Lines of a file from a byte offset, read with pread in chunks.
class Lines {
public:
    Lines(int fd, uint64_t size, uint64_t at) : fd_(fd), size_(size), at_(at) {}
    // The next whole line (without '\n') and the offset it started at;
    // nullopt at the end of the file.  A read error or an overlong line
    // sets error.
    std::optional<std::string_view> next(uint64_t& start, std::string& error) {
        for (;;) {
            size_t nl = buf_.find('\n', used_);
            if (nl != std::string::npos) {
                start = at_ - (buf_.size() - used_);
                std::string_view line(buf_.data() + used_, nl - used_);
                used_ = nl + 1;
                return line;
            }
            if (at_ >= size_) return std::nullopt;  // a last line without '\n' is not whole
            if (buf_.size() - used_ > kMaxLine) {
                error = "a line longer than 1 MiB";
                return std::nullopt;
            }
            buf_.erase(0, used_);
            used_ = 0;
            const size_t want = size_t(std::min<uint64_t>(kChunk, size_ - at_));
            const size_t had = buf_.size();
            buf_.resize(had + want);
            ssize_t n;
            do n = ::pread(fd_, buf_.data() + had, want, off_t(at_));
            while (n < 0 && errno == EINTR);
            if (n <= 0) {
                error = n < 0 ? strerror(errno) : "the file ended early";
                return std::nullopt;
            }
            buf_.resize(had + size_t(n));
            at_ += uint64_t(n);
        }
    }

private:
    int fd_;
    uint64_t size_, at_;
    std::string buf_;
    size_t used_ = 0;
};

Failure damaged(const std::string& path, const std::string& why) {
    return Failure{EBADMSG, "audit segment " + path + ": " + why};
}

// The seq of the first record line at or after `at` (a line start), and
// where that line starts; nullopt when only checkpoints follow.
Result<std::optional<std::pair<uint64_t, uint64_t>>, Failure> record_from(int fd, uint64_t size,
                                                                          uint64_t at,
                                                                          const std::string& path) {
    Lines lines(fd, size, at);
    std::string error;
    uint64_t start = 0;
    while (auto line = lines.next(start, error)) {
        auto parsed = audit::parse_export_line(*line);
        if (!parsed) return damaged(path, parsed.error());
        if (parsed->kind == audit::ExportLine::Kind::Record)
            return std::optional(std::pair(parsed->record.seq, start));
    }
    if (!error.empty()) return damaged(path, error);
    return std::optional<std::pair<uint64_t, uint64_t>>();
}

// The first line start at or after `at`: the end of the line that holds
// the byte before it.
Result<uint64_t, Failure> line_start(int fd, uint64_t size, uint64_t at, const std::string& path) {
    if (at == 0) return uint64_t(0);
    Lines lines(fd, size, at - 1);
    std::string error;
    uint64_t start = 0;
    auto rest = lines.next(start, error);
    if (!rest) {
        if (!error.empty()) return damaged(path, error);
        return size;
    }
    return at - 1 + rest->size() + 1;
}

// Where the line of the first record >= from starts, or an offset before it
// from which only lines before it come: bisection on byte offsets, each
// probe reading from the next line start to the first record after it.
Result<uint64_t, Failure> seek(int fd, uint64_t size, uint64_t from, const std::string& path) {
    uint64_t lo = 0, hi = size;  // every record starting before lo is < from
    while (hi - lo > kLinearSpan) {
        const uint64_t mid = lo + (hi - lo) / 2;
        auto p = line_start(fd, size, mid, path);
        if (!p) return p.error();
        auto found = record_from(fd, size, *p, path);
        if (!found) return found.error();
        if (!*found || (*found)->first >= from) {
            hi = mid;
        } else {
            lo = (*found)->second;
        }
    }
    return lo;
}

std::string user_of(const audit::Record& r) {
    for (const auto& [k, v] : r.fields)
        if (k == "JIT_USER") return v;
    return "";
}

}  // namespace

Result<SegmentPage, Failure> read_segment_page(const std::string& path, const AuditSegmentRow& s,
                                               uint64_t from, const std::string& user,
                                               size_t max_bytes) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid())
        return Failure{errno == ENOENT ? ENOENT : EIO,
                       "cannot open audit segment " + path + ": " + strerror(errno)};
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return Failure{EIO, "cannot stat " + path};
    const uint64_t size = uint64_t(st.st_size);
    if (size != s.bytes)
        return damaged(path, std::to_string(size) + " bytes, sealed with " +
                                 std::to_string(s.bytes) + " (jitctl audit verify says more)");
    auto at = seek(fd.get(), size, from, path);
    if (!at) return at.error();
    Lines lines(fd.get(), size, *at);
    SegmentPage page{"", s.end_seq};
    std::string error;
    uint64_t start = 0, scanned = 0;
    bool started = false;  // past the records before `from`
    while (auto line = lines.next(start, error)) {
        auto parsed = audit::parse_export_line(*line);
        if (!parsed) return damaged(path, parsed.error());
        const auto kind = parsed->kind;
        if (kind == audit::ExportLine::Kind::Missing)
            return damaged(path, "a missing-records line: jitd never seals one");
        if (kind == audit::ExportLine::Kind::Frontier) continue;
        if (kind == audit::ExportLine::Kind::Checkpoint) {
            // A checkpoint goes with the record before it, on the same page.
            if (started && user.empty()) page.text.append(*line).append("\n");
            continue;
        }
        const uint64_t seq = parsed->record.seq;
        if (seq < from) continue;
        started = true;
        scanned += line->size() + 1;
        if (!user.empty() && scanned > kUserScan) {
            page.next = seq;
            return page;
        }
        if (!user.empty() && user_of(parsed->record) != user) continue;
        if (!page.text.empty() && page.text.size() + line->size() + 1 > max_bytes) {
            page.next = seq;
            return page;
        }
        page.text.append(*line).append("\n");
    }
    if (!error.empty()) return damaged(path, error);
    return page;
}

}  // namespace jit::daemon
