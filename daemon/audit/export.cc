// The export format: one JSON object per line (nlohmann-json).  Parsing is
// strict: a line must be exactly what the writer would write for the values
// it holds, so no edit can leave the values unchanged.
#include <nlohmann/json.hpp>

#include "daemon/audit/audit.h"
#include "daemon/audit/crypto.h"

namespace jit::daemon::audit {

using nlohmann::json;

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

json text(std::string_view s) {
    if (valid_utf8(s)) return json(std::string(s));
    return json{{"base64", base64_encode(s)}};
}

std::optional<std::string> from_text(const json& j) {
    if (j.is_string()) return j.get<std::string>();
    if (!j.is_object() || j.size() != 1 || !j.contains("base64") || !j["base64"].is_string())
        return std::nullopt;
    auto raw = base64_decode(j["base64"].get_ref<const std::string&>());
    if (!raw || valid_utf8(*raw)) return std::nullopt;  // a UTF-8 value is always a string
    return raw;
}

std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::strict);
}

bool has_exactly(const json& j, std::initializer_list<const char*> keys) {
    if (!j.is_object() || j.size() != keys.size()) return false;
    for (const char* k : keys)
        if (!j.contains(k)) return false;
    return true;
}

Outcome<Record> record_from(const json& j) {
    if (!has_exactly(j, {"event", "fields", "mac", "prev", "seq", "time"}))
        return std::string("record: expected exactly event, fields, mac, prev, seq, time");
    Record r;
    if (!j["seq"].is_number_unsigned()) return std::string("record: seq is not a whole number");
    r.seq = j["seq"].get<uint64_t>();
    if (!j["time"].is_number_integer()) return std::string("record: time is not a whole number");
    r.time = j["time"].get<int64_t>();
    auto event = from_text(j["event"]);
    if (!event) return std::string("record: bad event");
    r.event = std::move(*event);
    if (!j["fields"].is_array()) return std::string("record: fields is not a list");
    for (const auto& f : j["fields"]) {
        if (!f.is_array() || f.size() != 2)
            return std::string("record: a field is not [key, value]");
        auto k = from_text(f[0]), v = from_text(f[1]);
        if (!k || !v) return std::string("record: bad field text");
        r.fields.emplace_back(std::move(*k), std::move(*v));
    }
    auto prev = j["prev"].is_string() ? hash_from_hex(j["prev"].get_ref<const std::string&>())
                                      : std::nullopt;
    auto mac =
        j["mac"].is_string() ? hash_from_hex(j["mac"].get_ref<const std::string&>()) : std::nullopt;
    if (!prev || !mac) return std::string("record: prev and mac must be 64 lowercase hex digits");
    r.prev = *prev;
    r.mac = *mac;
    return r;
}

Outcome<Frontier> frontier_from(const json& j) {
    if (!has_exactly(j, {"hashes", "size"}) || !j["size"].is_number_unsigned() ||
        !j["hashes"].is_array())
        return std::string("frontier: expected {\"hashes\":[...],\"size\":N}");
    std::vector<Hash> nodes;
    for (const auto& h : j["hashes"]) {
        auto parsed = h.is_string() ? hash_from_hex(h.get_ref<const std::string&>()) : std::nullopt;
        if (!parsed) return std::string("frontier: a hash is not 64 lowercase hex digits");
        nodes.push_back(*parsed);
        if (nodes.size() > 64) return std::string("frontier: too many hashes");
    }
    return Frontier::from_nodes(j["size"].get<uint64_t>(), std::move(nodes));
}

json record_json(const Record& r) {
    json fields = json::array();
    for (const auto& [k, v] : r.fields) fields.push_back(json::array({text(k), text(v)}));
    return json{{"event", text(r.event)},
                {"fields", std::move(fields)},
                {"mac", hex(view(r.mac))},
                {"prev", hex(view(r.prev))},
                {"seq", r.seq},
                {"time", r.time}};
}

json frontier_json(const Frontier& f) {
    json hashes = json::array();
    for (const auto& n : f.nodes()) hashes.push_back(hex(view(n)));
    return json{{"frontier", {{"hashes", std::move(hashes)}, {"size", f.size()}}}};
}

}  // namespace

std::string export_record(const Record& r) {
    return dump(record_json(r));
}

std::string export_checkpoint(std::string_view signed_note) {
    return dump(json{{"checkpoint", text(signed_note)}});
}

std::string export_frontier(const Frontier& f) {
    return dump(frontier_json(f));
}

Outcome<ExportLine> parse_export_line(std::string_view line) {
    if (line.size() > kMaxLine) return std::string("line longer than 1 MiB");
    json j = json::parse(line.begin(), line.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::string("not a JSON object");
    ExportLine out;
    if (j.size() == 1 && j.contains("checkpoint")) {
        auto note = j["checkpoint"].is_string() ? std::optional(j["checkpoint"].get<std::string>())
                                                : std::nullopt;
        if (!note) return std::string("checkpoint: not a string");
        out.kind = ExportLine::Kind::Checkpoint;
        out.note = std::move(*note);
        if (export_checkpoint(out.note) != line) return std::string("checkpoint: not canonical");
        return out;
    }
    if (j.size() == 1 && j.contains("frontier")) {
        auto f = frontier_from(j["frontier"]);
        if (!f) return f.error();
        out.kind = ExportLine::Kind::Frontier;
        out.frontier = std::move(*f);
        if (export_frontier(out.frontier) != line) return std::string("frontier: not canonical");
        return out;
    }
    auto r = record_from(j);
    if (!r) return r.error();
    out.record = std::move(*r);
    if (export_record(out.record) != line)
        return std::string("record: not in canonical form (spacing, escapes, key order or digits)");
    return out;
}

}  // namespace jit::daemon::audit
