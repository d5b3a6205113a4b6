#include "audit_input.h"

#include <errno.h>
#include <string.h>

#include <fstream>
#include <sstream>

#include "jit/escape.h"

namespace jit::ctl {

namespace audit = daemon::audit;

AuditInput::AuditInput(std::vector<std::string> files) : files_(std::move(files)) {
    if (files_.empty()) files_.push_back("-");
}

AuditInput::~AuditInput() {
    if (file_ && file_ != stdin) fclose(file_);
    free(buffer_);
}

bool AuditInput::open_next() {
    if (file_ && file_ != stdin) fclose(file_);
    file_ = nullptr;
    if (index_ >= files_.size()) return false;
    const std::string& name = files_[index_++];
    starts_.push_back(lines_);
    file_ = name == "-" ? stdin : fopen(name.c_str(), "re");
    if (!file_) {
        error_ = escape_text(name) + ": " + strerror(errno);
        return false;
    }
    return true;
}

std::optional<std::string_view> AuditInput::next() {
    if (!error_.empty()) return std::nullopt;
    for (;;) {
        if (!file_ && !open_next()) return std::nullopt;
        errno = 0;
        ssize_t n = getline(&buffer_, &capacity_, file_);
        if (n < 0) {
            if (ferror(file_)) {
                error_ = escape_text(files_[index_ - 1]) + ": " + strerror(errno ? errno : EIO);
                return std::nullopt;
            }
            if (file_ != stdin) fclose(file_);
            file_ = nullptr;
            continue;
        }
        ++lines_;
        std::string_view line(buffer_, size_t(n));
        if (line.ends_with('\n')) line.remove_suffix(1);
        return line;
    }
}

std::string AuditInput::where(uint64_t overall) const {
    size_t f = 0;
    for (size_t i = 0; i < starts_.size(); ++i)
        if (starts_[i] < overall) f = i;
    std::string name = files_[f] == "-" ? "<stdin>" : escape_text(files_[f]);
    return name + ":" + std::to_string(overall - (starts_.empty() ? 0 : starts_[f]));
}

namespace {

std::optional<std::string> slurp(const char* path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        fprintf(stderr, "jitctl: %s: %s\n", escape_text(path).c_str(), strerror(errno));
        return std::nullopt;
    }
    std::ostringstream s;
    s << in.rdbuf();
    if (s.str().size() > (1 << 20)) {
        fprintf(stderr, "jitctl: %s: larger than 1 MiB\n", escape_text(path).c_str());
        return std::nullopt;
    }
    return s.str();
}

}  // namespace

std::optional<audit::AuditorKey> read_auditor_key(const char* path) {
    auto text = slurp(path);
    if (!text) return std::nullopt;
    auto key = audit::parse_auditor_key(*text);
    if (!key) {
        fprintf(stderr, "jitctl: %s: %s\n", escape_text(path).c_str(), key.error().c_str());
        return std::nullopt;
    }
    return std::move(*key);
}

std::optional<audit::Checkpoint> read_checkpoint_file(const char* path,
                                                      const audit::VerifierKey& key) {
    auto text = slurp(path);
    if (!text) return std::nullopt;
    std::string note = *text;
    if (note.starts_with("{")) {  // an export line
        std::string_view line = note;
        if (line.ends_with('\n')) line.remove_suffix(1);
        auto parsed = audit::parse_export_line(line);
        if (!parsed || parsed->kind != audit::ExportLine::Kind::Checkpoint) {
            fprintf(stderr, "jitctl: %s: not a checkpoint line\n", escape_text(path).c_str());
            return std::nullopt;
        }
        note = parsed->note;
    }
    auto c = audit::open_checkpoint(note, key);
    if (!c) {
        fprintf(stderr, "jitctl: %s: %s\n", escape_text(path).c_str(), c.error().c_str());
        return std::nullopt;
    }
    return *c;
}

}  // namespace jit::ctl
