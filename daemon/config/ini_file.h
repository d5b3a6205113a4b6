// INI files read with inih, for jitd.conf (config.cc) and the policy files
// (policy.d/*.conf).  Our own line reader feeds inih exactly one
// physical line per call, so line numbers are exact, over-long lines and NUL
// bytes are errors rather than silently split, and section headers are seen
// with their line (inih does not report them).  Continuation lines are off.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config/config.h"
#include "jit/result.h"

namespace jit::daemon {

struct IniProblem {
    std::string key;  // empty: the line as a whole
    std::string message;
};

class IniHandler {
public:
    virtual ~IniHandler() = default;
    // A "[name]" header on line.  A problem stops the parse.
    virtual std::optional<IniProblem> section(const std::string& name, int line) = 0;
    // "key = value" on line, inside section (empty: before any header).
    virtual std::optional<IniProblem> key(const std::string& section, const std::string& key,
                                          const std::string& value, int line) = 0;
};

// Parses text (named `name` in errors); the first problem wins and is
// returned as "name:line: key: message".
Result<void, Failure> parse_ini(const std::string& text, const std::string& name,
                                IniHandler& handler);

// A list value, "a, b c" -> {"a", "b", "c"}: items separated by commas and/or
// blanks.  An empty item (",," or a leading or trailing comma) is an error,
// since it is usually a name that was deleted by mistake.
Result<std::vector<std::string_view>, std::string> split_list(std::string_view v);

// Reads a whole regular file of at most 1 MiB from an open descriptor.
Result<std::string, Failure> read_ini_file(int fd, const std::string& path);

}  // namespace jit::daemon
