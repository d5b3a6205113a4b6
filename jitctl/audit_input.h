// Reads export lines from files (or "-", standard input) one at a time, and
// remembers where each came from, for error messages.
#pragma once

#include <stdio.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/audit/audit.h"

namespace jit::ctl {

class AuditInput {
public:
    explicit AuditInput(std::vector<std::string> files);  // empty: standard input
    ~AuditInput();
    AuditInput(const AuditInput&) = delete;
    AuditInput& operator=(const AuditInput&) = delete;
    // The next line without its newline; nullopt at the end or on an error
    // (then error() says which).
    std::optional<std::string_view> next();
    const std::string& error() const { return error_; }
    // "FILE:LINE" of the line `overall` (1-based, counted over all files).
    std::string where(uint64_t overall) const;

private:
    bool open_next();
    std::vector<std::string> files_;
    size_t index_ = 0;
    FILE* file_ = nullptr;
    char* buffer_ = nullptr;
    size_t capacity_ = 0;
    uint64_t lines_ = 0;
    std::vector<uint64_t> starts_;  // lines read before each file
    std::string error_;
};

// Reads KEYFILE (jitd --audit-init); a message on stderr and nullopt if not.
std::optional<daemon::audit::AuditorKey> read_auditor_key(const char* path);
// A signed checkpoint from a file: the note itself, or an export line.
std::optional<daemon::audit::Checkpoint> read_checkpoint_file(
    const char* path, const daemon::audit::VerifierKey& key);

}  // namespace jit::ctl
