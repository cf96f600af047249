#pragma once
// Two kinds of failure with two exit statuses: bad input (2) names the file, the JSON path,
// what was expected and what was found; an internal error (3) is a broken invariant.
#include <stdexcept>
#include <string>

namespace sim {

class InputError : public std::runtime_error {
 public:
  InputError(std::string file, std::string path, std::string expected, std::string found)
      : std::runtime_error(format(file, path, expected, found)),
        file_(std::move(file)),
        path_(std::move(path)),
        expected_(std::move(expected)),
        found_(std::move(found)) {}
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  const std::string& expected() const { return expected_; }
  const std::string& found() const { return found_; }

 private:
  static std::string format(const std::string& file, const std::string& path,
                            const std::string& expected, const std::string& found) {
    std::string m = file.empty() ? "<input>" : file;
    m += ": at " + (path.empty() ? std::string("/") : path) + ": expected " + expected;
    if (!found.empty()) m += ", found " + found;
    return m;
  }
  std::string file_, path_, expected_, found_;
};

class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

#define HETSIM_CHECK(cond, msg)                                                                  \
  do {                                                                                           \
    if (!(cond))                                                                                 \
      throw ::sim::InternalError(std::string("invariant violated: ") + (msg) + " (" + __FILE__ + \
                                 ":" + std::to_string(__LINE__) + ")");                          \
  } while (0)

}  // namespace sim
