// The export format: one JSON object per line.  Lines are read with
// nlohmann-json's SAX parser straight into a Record (no document tree: a
// million lines verify in seconds), then written back with the one writer
// below and compared: a line must be exactly what the writer writes for the
// values it holds, so no edit can leave the values unchanged.
#include <nlohmann/json.hpp>

#include "daemon/audit/audit.h"
#include "daemon/audit/crypto.h"
#include "jit/escape.h"

namespace jit::daemon::audit {

namespace {

constexpr size_t kMaxLine = 1 << 20;

bool valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : 0;
        if (n == 0 || c > 0xf4 || i + n >= s.size()) return false;
        uint32_t cp = c & (0x3f >> n);
        for (size_t k = 1; k <= n; ++k) {
            unsigned char t = s[i + k];
            if ((t & 0xc0) != 0x80) return false;
            cp = cp << 6 | (t & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

// A JSON string for UTF-8 text, {"base64":...} for any other bytes.
void put_text(std::string& out, std::string_view s) {
    bool plain = true;  // nothing to escape: the common case, written as is
    for (unsigned char c : s) plain = plain && c >= 0x20 && c != '"' && c != '\\' && c != 0x7f;
    if (plain && valid_utf8(s))
        out.append(1, '"').append(s).append(1, '"');
    else if (valid_utf8(s))
        out += json_string(s);
    else
        out.append("{\"base64\":\"").append(base64_encode(s)).append("\"}");
}

void put_hex(std::string& out, const Hash& h) {
    out += '"';
    out += hex(view(h));
    out += '"';
}

}  // namespace

std::string export_record(const Record& r) {
    std::string out;
    out.reserve(200 + r.fields.size() * 48);
    out += "{\"event\":";
    put_text(out, r.event);
    out += ",\"fields\":[";
    for (size_t i = 0; i < r.fields.size(); ++i) {
        out += i ? ",[" : "[";
        put_text(out, r.fields[i].first);
        out += ',';
        put_text(out, r.fields[i].second);
        out += ']';
    }
    out += "],\"mac\":";
    put_hex(out, r.mac);
    out += ",\"prev\":";
    put_hex(out, r.prev);
    out += ",\"seq\":" + std::to_string(r.seq) + ",\"time\":" + std::to_string(r.time) + "}";
    return out;
}

std::string export_checkpoint(std::string_view signed_note) {
    std::string out = "{\"checkpoint\":";
    put_text(out, signed_note);
    return out + "}";
}

std::string export_frontier(const Frontier& f) {
    std::string out = "{\"frontier\":{\"hashes\":[";
    for (size_t i = 0; i < f.nodes().size(); ++i) {
        if (i) out += ',';
        put_hex(out, f.nodes()[i]);
    }
    return out + "],\"size\":" + std::to_string(f.size()) + "}}";
}

std::string export_missing(const MissingRange& m) {
    std::string out = "{\"missing\":{\"end\":" + std::to_string(m.end) +
                      ",\"first\":" + std::to_string(m.first) + ",\"segment\":";
    put_text(out, m.segment);
    return out + "}}";
}

namespace {

using json = nlohmann::json;

// {"missing":{"end":E,"first":F,"segment":NAME}}, exactly as export_missing
// writes it (checked by writing it again).
Outcome<ExportLine> parse_missing(std::string_view line) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.size() != 1 || !j.contains("missing"))
        return std::string("missing: not a missing-records line");
    const json& m = j["missing"];
    if (!m.is_object() || m.size() != 3 || !m.contains("end") || !m.contains("first") ||
        !m.contains("segment") || !m["end"].is_number_unsigned() ||
        !m["first"].is_number_unsigned() || !m["segment"].is_string())
        return std::string("missing: expected end, first, segment");
    ExportLine out;
    out.kind = ExportLine::Kind::Missing;
    out.missing = {m["first"].get<uint64_t>(), m["end"].get<uint64_t>(),
                   m["segment"].get<std::string>()};
    if (out.missing.end <= out.missing.first) return std::string("missing: end must follow first");
    if (export_missing(out.missing) != line)
        return std::string("not in canonical form (spacing, escapes, key order or digits)");
    return out;
}

// Collects one line's values by where they sit; anything in a place no
// export line has makes the parse fail.
class LineReader : public nlohmann::json_sax<json> {
public:
    std::string error;
    std::optional<std::string> event, note;
    std::vector<std::string> components;  // field keys and values, in order
    std::vector<std::string> hashes;      // frontier hashes
    std::optional<std::string> mac, prev;
    std::optional<uint64_t> seq, size;
    std::optional<int64_t> time;
    size_t inner_arrays = 0;  // [key, value] pairs opened

    bool null() override { return fail("unexpected null"); }
    bool boolean(bool) override { return fail("unexpected boolean"); }
    bool number_float(double, const string_t&) override { return fail("a number is not whole"); }
    bool binary(binary_t&) override { return fail("unexpected binary"); }
    bool number_integer(number_integer_t v) override { return integer(false, uint64_t(v), v); }
    bool number_unsigned(number_unsigned_t v) override {
        return integer(true, v, v > uint64_t(INT64_MAX) ? -1 : int64_t(v));
    }
    bool string(string_t& v) override;
    bool start_object(std::size_t) override;
    bool key(string_t& k) override;
    bool end_object() override;
    bool start_array(std::size_t) override;
    bool end_array() override;
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
        return fail("not JSON");
    }

private:
    struct Frame {
        bool array;
        size_t base;  // the length of pattern_ before this frame
        size_t count = 0;
    };
    std::vector<Frame> path_;
    // Where the next value goes, as a short pattern: "o:event/",
    // "o:fields/a/a/", ... (kept as frames open and keys come).
    std::string pattern_;

    bool fail(const char* what) {
        if (error.empty()) error = what;
        return false;
    }
    const std::string& where() const { return pattern_; }
    bool integer(bool is_unsigned, uint64_t u, int64_t s);
    bool take_text(std::string&& v, bool base64);
};

bool LineReader::start_object(std::size_t) {
    const std::string& w = where();
    if (!(w.empty() || w == "o:frontier/" || w == "o:event/" || w == "o:checkpoint/" ||
          w == "o:fields/a/a/"))
        return fail("an object where none belongs");
    if (!path_.empty() && path_.back().array) ++path_.back().count;
    path_.push_back({false, pattern_.size()});
    return path_.size() <= 4;
}

bool LineReader::key(string_t& k) {
    Frame& f = path_.back();
    if (++f.count > 6 || k.size() > 16) return fail("too many keys, or an unknown one");
    pattern_.resize(f.base);
    pattern_.append("o:").append(k).append("/");
    return true;
}

bool LineReader::end_object() {
    pattern_.resize(path_.back().base);
    path_.pop_back();
    return true;
}

bool LineReader::start_array(std::size_t) {
    const std::string& w = where();
    if (w == "o:fields/a/") {
        ++inner_arrays;
    } else if (w != "o:fields/" && w != "o:frontier/o:hashes/") {
        return fail("a list where none belongs");
    }
    path_.push_back({true, pattern_.size()});
    pattern_.append("a/");
    return true;
}

bool LineReader::end_array() {
    bool pair = where() == "o:fields/a/a/";
    size_t n = path_.back().count;
    pattern_.resize(path_.back().base);
    path_.pop_back();
    if (pair && n != 2) return fail("a field is not [key, value]");
    return true;
}

bool LineReader::take_text(std::string&& text, bool base64) {
    std::string_view base = where();
    std::string v = std::move(text);
    if (base64) {
        // Bytes that are not UTF-8; UTF-8 is always written as a string.
        base.remove_suffix(std::string_view("o:base64/").size());
        auto raw = base64_decode(v);
        if (!raw || valid_utf8(*raw)) return fail("a base64 text that is not canonical");
        v = std::move(*raw);
    }
    if (base == "o:event/") {
        if (event) return fail("two events");
        event = std::move(v);
    } else if (base == "o:checkpoint/") {
        if (note) return fail("two checkpoints");
        note = std::move(v);
    } else if (base == "o:fields/a/a/") {
        components.push_back(std::move(v));
    } else {
        return fail("text where none belongs");
    }
    return true;
}

bool LineReader::string(string_t& v) {
    if (!path_.empty() && path_.back().array) ++path_.back().count;
    const std::string& w = where();
    if (w.ends_with("o:base64/")) return take_text(std::move(v), true);
    if (w == "o:mac/" || w == "o:prev/") {
        auto& slot = w == "o:mac/" ? mac : prev;
        if (slot) return fail("a hash given twice");
        slot = std::move(v);
        return true;
    }
    if (w == "o:frontier/o:hashes/a/") {
        if (hashes.size() >= 64) return fail("too many hashes");
        hashes.push_back(std::move(v));
        return true;
    }
    return take_text(std::move(v), false);
}

bool LineReader::integer(bool is_unsigned, uint64_t u, int64_t s) {
    const std::string& w = where();
    if (w == "o:time/" && (!is_unsigned || s >= 0) && !time) {
        time = s;
        return true;
    }
    if (!is_unsigned) return fail("a negative number where none belongs");
    if (w == "o:seq/" && !seq) {
        seq = u;
        return true;
    }
    if (w == "o:frontier/o:size/" && !size) {
        size = u;
        return true;
    }
    return fail("a number where none belongs");
}

}  // namespace

Outcome<ExportLine> parse_export_line(std::string_view line) {
    if (line.size() > kMaxLine) return std::string("line longer than 1 MiB");
    if (line.empty() || line[0] != '{') return std::string("not a JSON object");
    if (line.starts_with("{\"missing\":")) return parse_missing(line);
    LineReader in;
    if (!json::sax_parse(line.begin(), line.end(), &in, json::input_format_t::json, true))
        return in.error.empty() ? std::string("not JSON") : in.error;
    ExportLine out;
    std::string written;
    if (in.note) {
        out.kind = ExportLine::Kind::Checkpoint;
        out.note = std::move(*in.note);
        written = export_checkpoint(out.note);
    } else if (in.size) {
        std::vector<Hash> nodes;
        for (const auto& h : in.hashes) {
            auto parsed = hash_from_hex(h);
            if (!parsed) return std::string("frontier: a hash is not 64 lowercase hex digits");
            nodes.push_back(*parsed);
        }
        auto f = Frontier::from_nodes(*in.size, std::move(nodes));
        if (!f) return f.error();
        out.kind = ExportLine::Kind::Frontier;
        out.frontier = std::move(*f);
        written = export_frontier(out.frontier);
    } else {
        if (!in.event || !in.mac || !in.prev || !in.seq || !in.time)
            return std::string("record: expected event, fields, mac, prev, seq, time");
        Record& r = out.record;
        r.seq = *in.seq;
        r.time = *in.time;
        r.event = std::move(*in.event);
        auto mac = hash_from_hex(*in.mac), prev = hash_from_hex(*in.prev);
        if (!mac || !prev)
            return std::string("record: prev and mac must be 64 lowercase hex digits");
        r.mac = *mac;
        r.prev = *prev;
        if (in.components.size() != 2 * in.inner_arrays)
            return std::string("record: a field is not [key, value]");
        for (size_t i = 0; i + 1 < in.components.size(); i += 2)
            r.fields.emplace_back(std::move(in.components[i]), std::move(in.components[i + 1]));
        written = export_record(r);
    }
    if (written != line)
        return std::string("not in canonical form (spacing, escapes, key order or digits)");
    return out;
}

}  // namespace jit::daemon::audit
