// A minimal JSON writer for --json output: objects, arrays, strings (escaped
// per RFC 8259), integers, booleans and null.  Output only; jitctl never
// parses JSON.
#pragma once

#include <stdint.h>

#include <string>
#include <string_view>

#include "jit/escape.h"

namespace jit::ctl {

class JsonWriter {
public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(std::string_view k);
    JsonWriter& value(std::string_view s);
    JsonWriter& value(const char* s) { return value(std::string_view(s)); }
    JsonWriter& value(int64_t n);
    JsonWriter& value(uint64_t n);
    JsonWriter& value(bool b);
    JsonWriter& null();
    const std::string& str() const { return out_; }

private:
    void separate();
    std::string out_;
    bool need_comma_ = false;
};

using jit::json_string;  // jit/escape.h

}  // namespace jit::ctl
