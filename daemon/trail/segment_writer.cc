#include "daemon/trail/segment_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <system_error>

#include <openssl/evp.h>

#include "daemon/audit/audit.h"

namespace jit::daemon {

namespace {

constexpr size_t kPageRows = 1000;
constexpr size_t kPageBytes = 1 << 20;

Failure os_failure(const std::string& what, int code) {
    return Failure{code, what + ": " + strerror(code)};
}

Result<void, Failure> write_all(int fd, const std::string& text) {
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return os_failure("cannot write a segment file", n < 0 ? errno : EIO);
        done += size_t(n);
    }
    return {};
}

struct MdFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::string hex_digest(EVP_MD_CTX* md) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(md, out, &n);
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < n; ++i) {
        hex += digits[out[i] >> 4];
        hex += digits[out[i] & 15];
    }
    return hex;
}

// The file's text in order: the frontier where it starts, then pages of
// records each followed by the checkpoints after it; fed to `emit`.
Result<void, Failure> write_records(
    AuditStore& rows, uint64_t first, uint64_t end, const std::atomic<bool>& stop,
    const std::function<Result<void, Failure>(const std::string&)>& emit) {
    if (first > 0) {
        auto cp = rows.checkpoint_at_or_before(first);
        if (!cp) return cp.error();
        if (!*cp || (*cp)->size != first)
            return Failure{ENOENT, "no checkpoint at record " + std::to_string(first) +
                                       " to start the segment"};
        auto frontier = audit::Frontier::decode((*cp)->frontier);
        if (!frontier)
            return Failure{EBADMSG, "a stored checkpoint is damaged: " + frontier.error()};
        if (auto ok = emit(audit::export_frontier(*frontier) + "\n"); !ok) return ok;
    }
    auto checkpoints = rows.checkpoints_between(first, end);
    if (!checkpoints) return checkpoints.error();
    size_t c = 0;
    for (uint64_t from = first; from < end;) {
        if (stop) return Failure{ECANCELED, "jitd is stopping"};
        auto page = rows.page(from, "", kPageRows, kPageBytes);
        if (!page) return page.error();
        if (page->empty())
            return Failure{ENOENT, "records " + std::to_string(from) + ".. are missing"};
        std::string text;
        for (const auto& r : *page) {
            if (r.seq >= end) break;
            text += r.record + "\n";
            for (; c < checkpoints->size() && (*checkpoints)[c].size <= r.seq + 1; ++c)
                text += audit::export_checkpoint((*checkpoints)[c].note) + "\n";
            from = r.seq + 1;
        }
        if (auto ok = emit(text); !ok) return ok;
    }
    return {};
}

Result<void, Failure> sync_dir(const std::string& dir) {
    UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dfd.valid() || ::fsync(dfd.get()) != 0) return os_failure("cannot sync " + dir, errno);
    return {};
}

}  // namespace

std::string segment_file_name(uint64_t first, uint64_t end) {
    char name[80];
    snprintf(name, sizeof name, "audit-%020llu-%020llu.jsonl", (unsigned long long)first,
             (unsigned long long)end);
    return name;
}

Result<AuditSegmentRow, Failure> write_segment_file(AuditStore& rows, const std::string& dir,
                                                    uint64_t first, uint64_t end, Time now,
                                                    const std::atomic<bool>& stop) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return os_failure("cannot create " + dir, errno);
    AuditSegmentRow row{first, end, segment_file_name(first, end), 0, "", now};
    const std::string tmp = dir + "/." + row.file + ".tmp";
    ::unlink(tmp.c_str());
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) return os_failure("cannot create " + tmp, errno);
    auto written = [&]() -> Result<void, Failure> {
        std::unique_ptr<EVP_MD_CTX, MdFree> md(EVP_MD_CTX_new());
        if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1)
            return Failure{ENOMEM, "cannot start SHA-256"};
        auto emit = [&](const std::string& text) {
            EVP_DigestUpdate(md.get(), text.data(), text.size());
            row.bytes += text.size();
            return write_all(fd.get(), text);
        };
        if (auto ok = write_records(rows, first, end, stop, emit); !ok) return ok;
        row.sha256 = hex_digest(md.get());
        if (::fchmod(fd.get(), 0400) != 0 || ::fsync(fd.get()) != 0)
            return os_failure("cannot seal " + tmp, errno);
        return {};
    }();
    if (!written) {
        ::unlink(tmp.c_str());
        return written.error();
    }
    if (::rename(tmp.c_str(), (dir + "/" + row.file).c_str()) != 0) {
        const int code = errno;
        ::unlink(tmp.c_str());
        return os_failure("cannot rename " + tmp, code);
    }
    if (auto ok = sync_dir(dir); !ok) return ok.error();
    return row;
}

// ---- SegmentSealer ----------------------------------------------------------

SegmentSealer::SegmentSealer(std::string state_dir, std::string segment_dir, UniqueFd wake)
    : state_dir_(std::move(state_dir)),
      segment_dir_(std::move(segment_dir)),
      wake_(std::move(wake)) {}

Result<std::unique_ptr<SegmentSealer>, Failure> SegmentSealer::create(sd_event* event,
                                                                      std::string state_dir,
                                                                      std::string segment_dir) {
    UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake.valid()) return os_failure("cannot create the segment writer's eventfd", errno);
    std::unique_ptr<SegmentSealer> sealer(
        new SegmentSealer(std::move(state_dir), std::move(segment_dir), std::move(wake)));
    sd_event_source* s = nullptr;
    if (int r = sd_event_add_io(event, &s, sealer->wake_.get(), EPOLLIN, on_wake, sealer.get());
        r < 0)
        return os_failure("cannot watch the segment writer", -r);
    sealer->source_.reset(s);
    return sealer;
}

SegmentSealer::~SegmentSealer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

Result<void, Failure> SegmentSealer::start(uint64_t first, uint64_t end, Time now, Done done) {
    result_.reset();
    try {
        thread_ = std::thread([this, first, end, now] { run(first, end, now); });
    } catch (const std::system_error& e) {
        return Failure{e.code().value(),
                       std::string("cannot start the segment writer: ") + e.what()};
    }
    done_ = std::move(done);
    return {};
}

// On the thread: no signal is taken here (jitd's loop reads them through
// signalfd), and nothing of the loop's is touched but result_, which the
// loop reads after join().
void SegmentSealer::run(uint64_t first, uint64_t end, Time now) {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    auto store = Store::open_read_only(state_dir_);
    if (!store) {
        result_ = Failure{store.error().code, "cannot read jit.db: " + store.error().message};
    } else {
        AuditStore rows(**store);
        result_ = write_segment_file(rows, segment_dir_, first, end, now, stop_);
    }
    const uint64_t one = 1;
    while (::write(wake_.get(), &one, sizeof one) < 0 && errno == EINTR) {
    }
}

int SegmentSealer::on_wake(sd_event_source*, int fd, uint32_t, void* userdata) {
    auto* self = static_cast<SegmentSealer*>(userdata);
    uint64_t count = 0;
    if (::read(fd, &count, sizeof count) < 0) return 0;  // EAGAIN: not finished
    if (self->thread_.joinable()) self->thread_.join();
    if (!self->done_ || !self->result_) return 0;
    Done done = std::move(self->done_);
    self->done_ = nullptr;
    auto result = std::move(*self->result_);
    self->result_.reset();
    done(std::move(result));
    return 0;
}

}  // namespace jit::daemon
