// jitctl audit show and export: the audit log read through jitd, one
// bounded page per request, written out as it arrives (never held whole).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <functional>
#include <optional>

#include "audit_commands.h"
#include "cli.h"
#include "daemon/audit/audit.h"
#include "jit/escape.h"
#include "jit/timefmt.h"
#include "json.h"

namespace jit::ctl {

namespace {

using proto::MsgType;
namespace audit = daemon::audit;

// "-1h" (that long ago), "2026-12-01", "2026-12-01T10:00:00Z", "@EPOCH".
Result<int64_t, std::string> parse_since(const char* arg) {
    std::string_view text(arg);
    if (!text.empty() && text[0] == '-') {
        auto d = parse_duration(text.substr(1));
        if (!d) return std::string("--since: '") + escape_text(arg) + "': " + d.error().what;
        return int64_t(time(nullptr)) - int64_t(*d);
    }
    std::string stamp(text);
    if (stamp.size() == 10) stamp += "T00:00:00Z";  // a date alone: its start, UTC
    auto t = parse_timestamp(stamp);
    if (!t)
        return std::string("--since: '") + escape_text(arg) +
               "' is neither -DURATION (-1h) nor a date (2026-12-01[THH:MM:SSZ])";
    return *t;
}

// Asks for pages until jitd says there is no more, handing each whole line
// to on_line.  Returns an exit code.
int read_log(const Globals& g, msg::AuditRead query,
             const std::function<bool(const std::string&)>& on_line) {
    Connection conn(g.socket_path, g.timeout_ms);
    std::string partial;
    for (;;) {
        auto reply = conn.call(msg::encode(query, request_id()), MsgType::AuditReadReply);
        if (!reply) return failed(reply.error());
        auto page = msg::decode_audit_page(reply->view);
        for (const auto& piece : page.text) partial += piece;
        size_t start = 0;
        for (size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1)
            if (!on_line(partial.substr(start, nl - start))) return kExitRejected;
        partial.erase(0, start);
        if (page.done || (query.from && page.next <= *query.from)) break;
        query.from = page.next;
    }
    if (!partial.empty()) {
        fprintf(stderr, "jitctl: the audit log ended inside a line\n");
        return kExitRejected;
    }
    return kExitOk;
}

// Exit status when the host lost records: 1, as for a verify that is not
// intact.  What else was read has been written.
constexpr int kExitMissing = 1;

// A missing-records line (a sealed segment file jit.db lists is not on the
// host) is said on stderr, naming the records; true when `line` is one.
bool said_missing(const std::string& line, bool& missing) {
    if (!line.starts_with("{\"missing\":")) return false;
    auto parsed = audit::parse_export_line(line);
    if (!parsed || parsed->kind != audit::ExportLine::Kind::Missing) return false;
    const auto& m = parsed->missing;
    fprintf(stderr,
            "jitctl: audit records %llu..%llu are missing: jitd lists the sealed segment file "
            "%s, which is not on the host\n",
            static_cast<unsigned long long>(m.first), static_cast<unsigned long long>(m.end - 1),
            escape_text(m.segment).c_str());
    missing = true;
    return true;
}

std::string field(const audit::Record& r, const char* key) {
    for (const auto& [k, v] : r.fields)
        if (k == key) return v;
    return "";
}

void record_json(const audit::Record& r) {
    JsonWriter w;
    w.begin_object();
    w.key("seq").value(r.seq);
    w.key("time").value(format_iso8601(r.time));
    w.key("event").value(r.event);
    w.key("fields").begin_object();
    for (const auto& [k, v] : r.fields) w.key(k).value(v);
    w.end_object();
    w.end_object();
    printf("%s\n", w.str().c_str());
}

int run_audit_show_impl(Globals g, int argc, char** argv) {
    static const option opts[] = {{"since", required_argument, nullptr, 's'},
                                  {"user", required_argument, nullptr, 'u'},
                                  JIT_COMMON_OPTIONS};
    msg::AuditRead query;
    OptionParser p{*find_command("audit"), g, argc, argv, opts, "hs:u:"};
    for (int c; (c = p.next()) != -1;) {
        if (c == 's') {
            auto since = parse_since(optarg);
            if (!since) return usage_error("audit show", since.error());
            query.since = *since;
        } else if (c == 'u') {
            query.user = optarg;
        } else if (c != 'h') {
            return usage_error("audit show", "unknown option");
        }
    }
    if (p.help) return print_help(p.command), kExitOk;
    if (optind != argc) return usage_error("audit show", "takes no arguments");
    size_t shown = 0;
    bool missing = false;
    int rc = read_log(g, query, [&](const std::string& line) {
        if (said_missing(line, missing)) return true;
        auto parsed = audit::parse_export_line(line);
        if (!parsed) {
            fprintf(stderr, "jitctl: jitd sent an audit line that does not parse: %s\n",
                    parsed.error().c_str());
            return false;
        }
        if (parsed->kind != audit::ExportLine::Kind::Record) return true;
        const audit::Record& r = parsed->record;
        if (query.since && r.time < *query.since) return true;
        ++shown;
        if (g.json) {
            record_json(r);
        } else {
            const std::string user = field(r, "JIT_USER");
            printf("%-8llu %s  %-16s %-10s %s\n", static_cast<unsigned long long>(r.seq),
                   format_utc(r.time).c_str(), r.event.c_str(),
                   user.empty() ? "-" : escape_text(user).c_str(),
                   escape_text(field(r, "MESSAGE")).c_str());
        }
        return true;
    });
    if (rc == kExitOk && shown == 0 && !g.json) printf("No audit records.\n");
    return rc == kExitOk && missing ? kExitMissing : rc;
}

// --from SEQ: a record number, digits only.
std::optional<uint64_t> parse_record_number(const char* text) {
    if (!text || *text < '0' || *text > '9') return std::nullopt;
    char* end = nullptr;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end) return std::nullopt;
    return uint64_t(v);
}

int run_audit_export_impl(Globals g, int argc, char** argv) {
    enum { kFrom = 256 };
    static const option opts[] = {{"since", required_argument, nullptr, 's'},
                                  {"from", required_argument, nullptr, kFrom},
                                  JIT_COMMON_OPTIONS};
    msg::AuditRead query;
    OptionParser p{*find_command("audit"), g, argc, argv, opts, "hs:"};
    for (int c; (c = p.next()) != -1;) {
        if (c == 's') {
            auto since = parse_since(optarg);
            if (!since) return usage_error("audit export", since.error());
            query.since = *since;
        } else if (c == kFrom) {
            // Records from SEQ on, with no tree state before them: what
            // follows the last sealed segment file in a verify of the files.
            query.from = parse_record_number(optarg);
            if (!query.from) return usage_error("audit export", "--from expects a record number");
        } else if (c != 'h') {
            return usage_error("audit export", "unknown option");
        }
    }
    if (p.help) return print_help(p.command), kExitOk;
    if (optind != argc) return usage_error("audit export", "takes no arguments");
    if (query.from && query.since)
        return usage_error("audit export", "--from or --since, not both");
    // The missing-records line stays in the export too: a verify of it
    // names the records and checks the rest.
    bool missing = false;
    int rc = read_log(g, query, [&missing](const std::string& line) {
        said_missing(line, missing);
        return fputs(line.c_str(), stdout) >= 0 && fputc('\n', stdout) != EOF;
    });
    if (fflush(stdout) != 0 && rc == kExitOk) {
        fprintf(stderr, "jitctl: cannot write the export: %s\n", strerror(errno));
        return kExitRejected;
    }
    return rc == kExitOk && missing ? kExitMissing : rc;
}

}  // namespace

int run_audit_show(Globals g, int argc, char** argv) {
    return run_audit_show_impl(std::move(g), argc, argv);
}

int run_audit_export(Globals g, int argc, char** argv) {
    return run_audit_export_impl(std::move(g), argc, argv);
}

}  // namespace jit::ctl
