#pragma once
// JSON documents with their origin: every value a model reads is reached through a Where
// (file + JSON pointer), so an error can say exactly where the bad value came from.
#include <nlohmann/json.hpp>
#include <string>

#include "sim/error.h"

namespace sim {

using Json = nlohmann::ordered_json;

struct Where {
  std::string file;
  std::string pointer;  // RFC 6901, "" for the document root

  Where child(const std::string& key) const { return {file, pointer + "/" + key}; }
  Where child(std::size_t index) const { return {file, pointer + "/" + std::to_string(index)}; }
  [[noreturn]] void fail(const std::string& expected, const std::string& found = "") const {
    throw InputError(file, pointer, expected, found);
  }
};

// Short description of a value for "found ..." in messages: `"abc"`, `42`, `an object`.
std::string describe_value(const Json& v);

// Objects and arrays nest at most this deep in any input; deeper input is refused (exit 2)
// rather than copied recursively.
constexpr std::size_t kMaxJsonDepth = 64;

// Parses JSON input: a syntax error, a key repeated in one object, nesting beyond
// kMaxJsonDepth or a number beyond a double is an InputError naming `origin` and the path.
Json load_json_file(const std::string& path);
Json parse_json_text(const std::string& text, const std::string& origin,
                     std::size_t max_depth = kMaxJsonDepth);

// Sets doc at a dotted path ("policies.migration.channels", "workloads.0.folio").
// Objects gain missing keys; array indices must exist.
void set_dotted(Json& doc, const std::string& dotted, const Json& value, const Where& origin);
// The JSON pointer of a dotted path: "dma.0.queues" -> "/dma/0/queues".
std::string dotted_to_pointer(const std::string& dotted);
// Parses a command-line value: JSON if it parses as JSON (checked as parse_json_text does,
// errors naming `origin`), otherwise a string.
Json parse_cli_value(const std::string& text, const std::string& origin = "--set");

// Writes `text` to `path` through a temporary file and a rename: never a partial file. The
// temporary name (PATH.tmp.PID.N) is unique per call, so two threads may write one path.
void write_file_atomic(const std::string& path, const std::string& text);
// Removes the temporary files in `dir` whose writing process no longer exists (left by a
// kill -9); returns how many.
std::size_t remove_stale_temp_files(const std::string& dir);

// 64-bit FNV-1a of the canonical dump, as 16 hex digits.
std::string json_hash(const Json& v);

}  // namespace sim
