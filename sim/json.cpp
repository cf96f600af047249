#include "sim/json.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

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

Json parse_json_text(const std::string& text, const std::string& origin) {
  try {
    return Json::parse(text);
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

Json parse_cli_value(const std::string& text) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error&) {
    return Json(text);
  }
}

void write_file_atomic(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
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
