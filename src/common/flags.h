// Command-line and environment flags with the semantics of upstream's Go CLI (urfave/cli v2 on
// Go's flag package), so operators' existing manifests keep working:
//  - `-name` and `--name`, `--name=value` or `--name value`; bools take only `--name[=value]`;
//    `--name=` sets an empty string; parsing stops at `--` or the first non-flag argument.
//  - precedence: command line, then the first listed env var that is *present* (even if empty),
//    then the default. An empty env var means "" for strings and false for bools and is ignored
//    for numbers; slices split on ',' with each item trimmed, also on the command line.
//  - bool values follow Go's strconv.ParseBool.
// Pure: the environment comes in through a lookup function, so it is unit-tested without setenv.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nvdp::flags {

enum class Kind { kString, kBool, kInt, kFloat, kDuration, kStringSlice, kIntSlice };

struct Spec {
  std::vector<std::string> names;     // primary name first, then aliases; no dashes
  std::vector<std::string> env_vars;  // the first one present in the environment wins
  Kind kind = Kind::kString;
  std::vector<std::string> default_value;  // scalars: zero or one item
  std::string usage;
};

enum class Source { kDefault, kEnvironment, kCommandLine };

struct Value {
  std::vector<std::string> items;  // scalars hold at most one item
  Source source = Source::kDefault;
  std::string origin;  // "--name", "$ENV" or "default", for error messages

  bool is_set() const { return source != Source::kDefault; }
  // The scalar value, or "" when there is none.
  const std::string& str() const;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup ProcessEnvironment();

struct ParseResult {
  // When set, the program should print `output` (to stdout when exit_code is 0, else stderr)
  // and exit with exit_code: --help, --version, or a usage error.
  std::optional<int> exit_code;
  std::string output;
  std::vector<std::string> positional;
};

class FlagSet {
 public:
  // `version_text` is what --version prints.
  FlagSet(std::string program, std::string app_name, std::string description,
          std::string version_text);

  void Add(Spec spec);
  // `args` excludes the program name.
  ParseResult Parse(const std::vector<std::string>& args, const EnvLookup& env);
  std::string Help() const;

  const Value& Get(std::string_view name) const;
  // Typed views; the value was validated by Parse.
  bool GetBool(std::string_view name) const;
  long long GetInt(std::string_view name) const;

 private:
  const Spec* Find(std::string_view name) const;
  std::optional<std::string> Assign(const Spec& spec, std::string_view text, Source source,
                                    std::string origin);

  std::string program_;
  std::string app_name_;
  std::string description_;
  std::string version_text_;
  std::vector<Spec> specs_;
  std::map<std::string, Value, std::less<>> values_;  // by primary name
};

// The config-file merge rule (spec §2.1) for one flag: its value replaces the config's when the
// flag was given (command line or environment), and fills the config field only when unset.
template <typename T>
void MergeFlag(std::optional<T>& field, const Value& flag, T value) {
  if (flag.is_set() || !field) field = std::move(value);
}

// Go's strconv.ParseBool.
std::optional<bool> ParseGoBool(std::string_view text);
// Go's time.ParseDuration, in nanoseconds ("1m30s", "250ms", "0"). A bare non-zero number fails.
std::optional<long long> ParseGoDuration(std::string_view text);

// What a duration setting holds for "infinite" (upstream v0.19's GFD --sleep-interval=infinite:
// label once, then wait for a signal). Only settings that say so accept it.
inline constexpr long long kInfiniteDuration = 0x7fffffffffffffffLL;
// ParseGoDuration, or kInfiniteDuration for "infinite" in any case.
std::optional<long long> ParseDurationOrInfinite(std::string_view text);

}  // namespace nvdp::flags
