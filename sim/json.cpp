#include "sim/json.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "sim/rng.h"

namespace sim {

std::string describe_value(const Json& v) {
  switch (v.type()) {
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case Json::value_t::string: {
      std::string s = v.get<std::string>();
      if (s.size() > 60) s = s.substr(0, 57) + "...";
      return "\"" + s + "\"";
    }
    default:
      return v.dump();
  }
}

namespace {

std::string escape_pointer_token(const std::string& key) {
  std::string out;
  for (char c : key)
    out += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
  return out;
}

// Follows the parse to know the JSON path of the value being read: refuses a key given twice
// in one object and nesting deeper than max_depth, and locates a number that overflows.
class PathTracker {
 public:
  PathTracker(std::string origin, std::size_t max_depth)
      : origin_(std::move(origin)), max_depth_(max_depth) {}

  bool on_event(Json::parse_event_t event, const Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (frames_.size() >= max_depth_)
          throw InputError(origin_, pointer(),
                           "JSON nested at most " + std::to_string(max_depth_) + " levels deep",
                           "deeper nesting");
        frames_.push_back({event == Json::parse_event_t::object_start, {}, {}, 0});
        break;
      case Json::parse_event_t::key: {
        Frame& f = frames_.back();
        f.key = parsed.get<std::string>();
        if (!f.keys.insert(f.key).second)
          throw InputError(origin_, pointer(), "each key once in an object",
                           "\"" + f.key + "\" a second time");
        break;
      }
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        frames_.pop_back();
        advance();
        break;
      case Json::parse_event_t::value:
        advance();
        break;
    }
    return true;
  }

  // The path of the value being read (or just read, for a scalar).
  std::string pointer() const {
    std::string p;
    for (const Frame& f : frames_)
      p += "/" + (f.object ? escape_pointer_token(f.key) : std::to_string(f.index));
    return p;
  }

 private:
  struct Frame {
    bool object;
    std::set<std::string> keys;
    std::string key;
    std::size_t index;
  };
  void advance() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
  }
  std::string origin_;
  std::size_t max_depth_;
  std::vector<Frame> frames_;
};

}  // namespace

Json parse_json_text(const std::string& text, const std::string& origin, std::size_t max_depth) {
  PathTracker track(origin, max_depth);
  try {
    return Json::parse(text, [&track](int, Json::parse_event_t event, Json& parsed) {
      return track.on_event(event, parsed);
    });
  } catch (const Json::out_of_range&) {
    // The lexer's only range error: a number beyond a double (1e400).
    throw InputError(origin, track.pointer(), "a number within the range of a double",
                     "a number that overflows it");
  } catch (const Json::parse_error& e) {
    // Turn the byte offset into line:column for the message.
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string what = e.what();
    auto pos = what.find("syntax error");
    throw InputError(origin, "", "well-formed JSON",
                     "a syntax error at line " + std::to_string(line) + " column " +
                         std::to_string(col) +
                         (pos != std::string::npos ? " (" + what.substr(pos) + ")" : ""));
  }
}

Json load_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "a readable JSON file", "no such file or unreadable");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_json_text(ss.str(), path);
}

void set_dotted(Json& doc, const std::string& dotted, const Json& value, const Where& origin) {
  if (dotted.empty()) origin.fail("a dotted path such as policies.migration.channels", "\"\"");
  Json* cur = &doc;
  std::size_t start = 0;
  std::string walked;
  for (;;) {
    std::size_t dot = dotted.find('.', start);
    std::string key =
        dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (key.empty()) origin.fail("a dotted path without empty segments", "\"" + dotted + "\"");
    Json* next = nullptr;
    if (cur->is_array()) {
      char* end = nullptr;
      unsigned long idx = std::strtoul(key.c_str(), &end, 10);
      if (*end != '\0' || idx >= cur->size())
        origin.fail("an index below " + std::to_string(cur->size()) + " at " + walked + "/",
                    "\"" + key + "\" in \"" + dotted + "\"");
      next = &(*cur)[idx];
    } else if (cur->is_object() || cur->is_null()) {
      next = &(*cur)[key];
    } else {
      origin.fail("an object or array at /" + walked, describe_value(*cur));
    }
    walked += (walked.empty() ? "" : "/") + key;
    if (dot == std::string::npos) {
      *next = value;
      return;
    }
    cur = next;
    start = dot + 1;
  }
}

std::string dotted_to_pointer(const std::string& dotted) {
  std::string p = "/";
  for (char c : dotted) p += c == '.' ? std::string("/") : escape_pointer_token(std::string(1, c));
  return p;
}

Json parse_cli_value(const std::string& text, const std::string& origin) {
  if (!Json::accept(text)) return Json(text);  // not JSON: a plain string
  return parse_json_text(text, origin);        // JSON, with the same checks as a file
}

std::string temp_name_for(const std::string& path) {
  // The pid tells a later run whether the writer is gone (remove_stale_temp_files); the
  // counter keeps two threads of one process writing the same path apart.
  static std::atomic<std::uint64_t> counter{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

std::size_t remove_stale_temp_files(const std::string& dir) {
  namespace fs = std::filesystem;
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const auto at = name.rfind(".tmp.");
    if (at == std::string::npos) continue;
    // NAME.tmp.PID.N (or NAME.tmp.PID, as older builds wrote them)
    const std::string rest = name.substr(at + 5);
    const std::string pid_text = rest.substr(0, rest.find('.'));
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos ||
        pid_text.size() > 9)
      continue;
    const auto pid = static_cast<pid_t>(std::stol(pid_text));
    if (pid <= 0 || ::kill(pid, 0) == 0 || errno != ESRCH) continue;  // writer may be alive
    std::error_code rm;
    if (fs::remove(it->path(), rm)) ++removed;
  }
  return removed;
}

void write_file_atomic(const std::string& path, const std::string& text) {
  std::string tmp = temp_name_for(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError(path, "", "a writable output path", "cannot create " + tmp);
    out << text;
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw InputError(path, "", "a writable output path", "write failed");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw InputError(path, "", "a writable output path", "rename failed");
  }
}

std::string json_hash(const Json& v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv1a64(v.dump())));
  return buf;
}

}  // namespace sim
