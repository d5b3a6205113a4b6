#include "daemon/config/config_audit.h"

#include <stdint.h>

#include <string>

#include "jit/timefmt.h"

namespace jit::daemon {

namespace {

ConfigCheck fail(std::string message) {
    return ConfigCheck(std::move(message));
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool parse_count(std::string_view s, uint64_t& out) {
    if (s.empty() || s.size() > 12) return false;
    uint64_t n = 0;
    for (char ch : s) {
        if (ch < '0' || ch > '9') return false;
        n = n * 10 + uint64_t(ch - '0');
    }
    out = n;
    return true;
}

}  // namespace

ConfigCheck set_audit(Config& c, std::string_view v) {
    if (v == "on")
        c.audit.mode = AuditConfig::Mode::On;
    else if (v == "off")
        c.audit.mode = AuditConfig::Mode::Off;
    else
        return fail("on or off");
    return ConfigCheck();
}

ConfigCheck set_audit_durability(Config& c, std::string_view v) {
    if (v == "before-answer")
        c.audit.durability = AuditConfig::Durability::BeforeAnswer;
    else if (v == "batched")
        c.audit.durability = AuditConfig::Durability::Batched;
    else
        return fail("before-answer or batched");
    return ConfigCheck();
}

ConfigCheck set_audit_failure(Config& c, std::string_view v) {
    if (v == "deny")
        c.audit.failure = AuditConfig::Failure::Deny;
    else if (v == "log")
        c.audit.failure = AuditConfig::Failure::Log;
    else
        return fail("deny or log");
    return ConfigCheck();
}

ConfigCheck set_checkpoint_every(Config& c, std::string_view v) {
    const char* form = "N records / DURATION (such as 1000 records / 1m), or either alone";
    uint64_t records = 0, seconds = 0;
    bool any = false;
    size_t pos = 0;
    while (pos <= v.size()) {
        size_t slash = v.find('/', pos);
        if (slash == std::string_view::npos) slash = v.size();
        std::string_view part = trim(v.substr(pos, slash - pos));
        pos = slash + 1;
        constexpr std::string_view kRecords = "records";
        if (part.size() > kRecords.size() &&
            part.substr(part.size() - kRecords.size()) == kRecords) {
            if (!parse_count(trim(part.substr(0, part.size() - kRecords.size())), records))
                return fail(form);
        } else {
            auto d = parse_duration(part);
            if (!d) return fail(form);
            seconds = *d;
        }
        any = true;
    }
    if (!any) return fail(form);
    c.audit.checkpoint_records = records;
    c.audit.checkpoint_seconds = seconds;
    return ConfigCheck();
}

ConfigCheck set_audit_segment_records(Config& c, std::string_view v) {
    uint64_t n = 0;
    if (!parse_count(trim(v), n) || n < 100) return fail("a number of records, at least 100");
    c.audit.segment_records = n;
    return ConfigCheck();
}

ConfigCheck set_audit_max_disk(Config& c, std::string_view v) {
    v = trim(v);
    uint64_t unit = 1;
    if (!v.empty() && (v.back() == 'K' || v.back() == 'M' || v.back() == 'G')) {
        unit = v.back() == 'K' ? 1024 : v.back() == 'M' ? 1024 * 1024 : 1024 * 1024 * 1024;
        v.remove_suffix(1);
    }
    uint64_t n = 0;
    if (!parse_count(v, n) || n > (uint64_t(1) << 50) / unit)
        return fail("a size such as 512M or 4G (K, M, G: powers of 1024), or 0 for no bound");
    c.audit.max_disk = n * unit;
    return ConfigCheck();
}

}  // namespace jit::daemon
