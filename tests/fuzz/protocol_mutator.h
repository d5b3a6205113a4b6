// A structure-aware mutator for the protocol fuzz target.  Byte-level
// mutation almost never keeps body_len and every field length consistent, so
// it rarely gets past the framing checks to the schema, the cross-field rules
// and the typed round trip.  This mutator parses an input as a frame
// (tolerantly), edits whole fields (drop, duplicate, insert, retag, rekind,
// empty, move in or out of a record, mutate a value, change the type), and
// writes the frame back with every length correct.  The input stays a raw
// frame, so a crash is directly a replayable seed.  Half the time the plain
// byte mutator runs instead, so the framing checks keep their coverage.
#pragma once

#include <stdint.h>
#include <string.h>

#include <random>
#include <string_view>
#include <vector>

#include "jit/protocol.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace jit::fuzz {

struct RawField {
    uint16_t tag = 0;
    uint8_t kind = 0;
    uint8_t flags = 0;
    std::vector<uint8_t> value;    // the value when not a parsed record
    std::vector<RawField> fields;  // the value when a parsed record
    bool record = false;
};

inline std::vector<RawField> parse_raw_fields(const uint8_t* p, size_t n, int depth) {
    std::vector<RawField> out;
    while (n >= proto::kFieldHeaderSize) {
        RawField f;
        f.tag = uint16_t(p[0] | p[1] << 8);
        f.kind = p[2];
        f.flags = p[3];
        size_t len = size_t(p[4]) | size_t(p[5]) << 8 | size_t(p[6]) << 16 | size_t(p[7]) << 24;
        p += proto::kFieldHeaderSize;
        n -= proto::kFieldHeaderSize;
        if (len > n) len = n;
        f.record = f.kind == uint8_t(proto::FieldKind::Record) && depth == 0;
        if (f.record)
            f.fields = parse_raw_fields(p, len, depth + 1);
        else
            f.value.assign(p, p + len);
        out.push_back(std::move(f));
        p += len;
        n -= len;
    }
    return out;
}

inline void write_raw_fields(const std::vector<RawField>& fields, std::vector<uint8_t>& out) {
    for (const auto& f : fields) {
        size_t at = out.size();
        out.insert(out.end(), {uint8_t(f.tag), uint8_t(f.tag >> 8), f.kind, f.flags, 0, 0, 0, 0});
        if (f.record)
            write_raw_fields(f.fields, out);
        else
            out.insert(out.end(), f.value.begin(), f.value.end());
        uint32_t len = uint32_t(out.size() - at - proto::kFieldHeaderSize);
        for (int i = 0; i < 4; ++i) out[at + 4 + i] = uint8_t(len >> (8 * i));
    }
}

class StructuredMutation {
public:
    explicit StructuredMutation(unsigned seed) : rng_(seed) {}

    // Mutates the frame in data; returns the new size, or 0 when the input is
    // not frame-shaped enough (the caller then mutates bytes).
    size_t run(uint8_t* data, size_t size, size_t max_size) {
        if (size < proto::kHeaderSize || max_size < proto::kHeaderSize) return 0;
        std::vector<uint8_t> header(data, data + proto::kHeaderSize);
        auto fields = parse_raw_fields(data + proto::kHeaderSize, size - proto::kHeaderSize, 0);
        mutate(header, fields);
        std::vector<uint8_t> body;
        write_raw_fields(fields, body);
        if (proto::kHeaderSize + body.size() > max_size) return 0;
        uint32_t len = uint32_t(body.size());
        for (int i = 0; i < 4; ++i) header[12 + i] = uint8_t(len >> (8 * i));
        memcpy(data, header.data(), proto::kHeaderSize);
        if (!body.empty()) memcpy(data + proto::kHeaderSize, body.data(), body.size());
        return proto::kHeaderSize + body.size();
    }

private:
    unsigned pick(unsigned n) { return n == 0 ? 0 : unsigned(rng_() % n); }

    // A field anywhere in the message, nested ones included.
    std::vector<RawField>* pick_list(std::vector<RawField>& top) {
        std::vector<std::vector<RawField>*> lists{&top};
        for (auto& f : top)
            if (f.record) lists.push_back(&f.fields);
        return lists[pick(unsigned(lists.size()))];
    }

    std::vector<uint8_t> some_value(uint8_t kind) {
        static const std::string_view texts[] = {
            "",           "deploy",   "sshd",         "g-7kq2m9ab",
            "10.0.0.0/8", "\xc3\xa9", "\xed\xa0\x80", std::string_view("a\0b", 3)};
        switch (proto::FieldKind(kind)) {
            case proto::FieldKind::U64:
            case proto::FieldKind::I64: {
                static const uint64_t ints[] = {0, 1, 2, 3, 900, UINT64_MAX, 1ull << 63};
                uint64_t v = pick(2) ? ints[pick(7)] : uint64_t(rng_()) << 32 | rng_();
                std::vector<uint8_t> b(8);
                for (int i = 0; i < 8; ++i) b[i] = uint8_t(v >> (8 * i));
                return b;
            }
            case proto::FieldKind::Bool:
                return {uint8_t(pick(3))};
            default: {
                auto t = texts[pick(8)];
                return {t.begin(), t.end()};
            }
        }
    }

    // A known tag (the core ones 1-32 or the policy ones 80-106), or any.
    uint16_t some_tag() {
        if (pick(10) == 0) return uint16_t(pick(0x10000));
        return uint16_t(pick(2) ? 1 + pick(32) : 80 + pick(27));
    }

    static uint8_t kind_by_tag(uint16_t tag) {
        static const uint8_t core[33] = {0, 3, 3, 3, 3, 3, 1, 3, 3, 2, 2, 1, 3, 3, 5, 1, 2,
                                         1, 2, 1, 2, 4, 1, 3, 3, 1, 1, 1, 3, 3, 3, 3, 1};
        static const uint8_t policy[27] = {3, 3, 3, 4, 1, 1, 1, 1, 2, 1, 3, 3, 5, 5,
                                           4, 5, 5, 3, 1, 3, 3, 3, 3, 2, 2, 1, 4};
        if (tag <= 32) return core[tag];
        if (tag >= 80 && tag < 107) return policy[tag - 80];
        return 0;
    }

    RawField new_field() {
        RawField f;
        f.tag = some_tag();
        uint8_t known = kind_by_tag(f.tag);
        f.kind = known && pick(8) ? known : uint8_t(pick(7));
        f.record = f.kind == uint8_t(proto::FieldKind::Record);
        if (!f.record) f.value = some_value(f.kind);
        return f;
    }

    void mutate_value(RawField& f) {
        if (f.record) return;
        std::vector<uint8_t> buf(f.value);
        buf.resize(f.value.size() * 2 + 16);
        size_t n = LLVMFuzzerMutate(buf.data(), f.value.size(), buf.size());
        buf.resize(n);
        f.value = std::move(buf);
    }

    void mutate(std::vector<uint8_t>& header, std::vector<RawField>& top) {
        static const uint16_t types[] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 127,
                                         40, 41, 42, 43, 44, 45, 46, 47, 48, 49};
        auto* list = pick_list(top);
        size_t i = pick(unsigned(list->size()));
        bool any = !list->empty();
        switch (pick(11)) {
            case 0:
                if (any) mutate_value((*list)[i]);
                break;
            case 1:
                if (any) (*list)[i].value.clear();
                break;
            case 2:
                if (any) list->erase(list->begin() + long(i));
                break;
            case 3:
                if (any) list->insert(list->begin() + long(i), (*list)[i]);
                break;
            case 4:
                list->insert(list->begin() + long(any ? i : 0), new_field());
                break;
            case 5:
                if (any) (*list)[i].tag = some_tag();
                break;
            case 6:
                if (any && !(*list)[i].record) (*list)[i].kind = uint8_t(pick(7));
                break;
            case 7:
                header[6] = uint8_t(types[pick(21)]);
                header[7] = 0;
                break;
            case 8:
                if (any && !(*list)[i].record) (*list)[i].value = some_value((*list)[i].kind);
                break;
            case 9:
                move_across_record(top);
                break;
            case 10:
                if (list->size() > 1) std::swap((*list)[i], (*list)[pick(unsigned(list->size()))]);
                break;
        }
    }

    // Moves a top-level field into a record, or a record's field out of it.
    void move_across_record(std::vector<RawField>& top) {
        std::vector<size_t> records;
        for (size_t i = 0; i < top.size(); ++i)
            if (top[i].record) records.push_back(i);
        if (records.empty() || top.empty()) return;
        RawField& rec = top[records[pick(unsigned(records.size()))]];
        if (pick(2) && !rec.fields.empty()) {
            size_t j = pick(unsigned(rec.fields.size()));
            RawField moved = rec.fields[j];
            rec.fields.erase(rec.fields.begin() + long(j));
            top.push_back(std::move(moved));
        } else {
            size_t j = pick(unsigned(top.size()));
            RawField copy = top[j];
            rec.fields.push_back(std::move(copy));  // a record inside a record is a case too
        }
    }

    std::minstd_rand rng_;
};

}  // namespace jit::fuzz
