#include "common/flags.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "common/strings.h"

namespace nvdp::flags {
namespace {

bool IsSlice(Kind kind) { return kind == Kind::kStringSlice || kind == Kind::kIntSlice; }

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

// Validates one item of a typed flag; returns an error message or nullopt.
std::optional<std::string> CheckItem(Kind kind, std::string_view item) {
  long long number = 0;
  switch (kind) {
    case Kind::kBool:
      if (!ParseGoBool(item)) return "invalid boolean value " + Quote(item);
      break;
    case Kind::kInt:
    case Kind::kIntSlice:
      if (!ParseGoInt(TrimSpace(item), &number)) return "invalid integer value " + Quote(item);
      break;
    case Kind::kFloat: {
      std::string copy(TrimSpace(item));
      char* end = nullptr;
      std::strtod(copy.c_str(), &end);
      if (copy.empty() || *end != '\0') return "invalid number " + Quote(item);
      break;
    }
    case Kind::kDuration:
      if (!ParseDurationOrInfinite(item)) {
        return "invalid duration " + Quote(item) + " (use Go syntax such as 30s, 1m30s)";
      }
      break;
    case Kind::kString:
    case Kind::kStringSlice:
      break;
  }
  return std::nullopt;
}

}  // namespace

const std::string& Value::str() const {
  static const std::string kEmpty;
  return items.empty() ? kEmpty : items.front();
}

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

FlagSet::FlagSet(std::string program, std::string app_name, std::string description,
                 std::string version_text)
    : program_(std::move(program)),
      app_name_(std::move(app_name)),
      description_(std::move(description)),
      version_text_(std::move(version_text)) {}

void FlagSet::Add(Spec spec) {
  if (spec.names.empty()) throw std::invalid_argument("flag without a name");
  Value value;
  value.items = spec.default_value;
  value.origin = "default";
  values_[spec.names.front()] = value;
  specs_.push_back(std::move(spec));
}

const Spec* FlagSet::Find(std::string_view name) const {
  for (const Spec& spec : specs_) {
    for (const std::string& candidate : spec.names) {
      if (candidate == name) return &spec;
    }
  }
  return nullptr;
}

std::optional<std::string> FlagSet::Assign(const Spec& spec, std::string_view text, Source source,
                                           std::string origin) {
  Value& value = values_[spec.names.front()];
  std::vector<std::string> items;
  if (IsSlice(spec.kind)) {
    for (const std::string& item : Split(text, ',')) items.emplace_back(TrimSpace(item));
  } else {
    items.emplace_back(text);
  }
  for (const std::string& item : items) {
    if (auto error = CheckItem(spec.kind, item)) {
      return *error + " for " + origin + ": " + "flag " + spec.names.front();
    }
  }
  // A repeated slice flag on the command line appends; anything else replaces.
  if (IsSlice(spec.kind) && source == Source::kCommandLine &&
      value.source == Source::kCommandLine) {
    value.items.insert(value.items.end(), items.begin(), items.end());
  } else {
    value.items = std::move(items);
  }
  value.source = source;
  value.origin = std::move(origin);
  return std::nullopt;
}

ParseResult FlagSet::Parse(const std::vector<std::string>& args, const EnvLookup& env) {
  ParseResult result;
  auto usage_error = [&](const std::string& message) {
    result.exit_code = 1;
    result.output = "Incorrect Usage: " + message + "\nRun '" + program_ + " --help' for usage.\n";
    return result;
  };

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      result.positional.assign(args.begin() + i + 1, args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      result.positional.assign(args.begin() + i, args.end());
      break;
    }
    std::string_view body(arg);
    body.remove_prefix(body.starts_with("--") ? 2 : 1);
    if (body.empty() || body[0] == '-' || body[0] == '=') {
      return usage_error("bad flag syntax: " + arg);
    }
    std::optional<std::string> inline_value;
    if (size_t eq = body.find('='); eq != std::string_view::npos) {
      inline_value = std::string(body.substr(eq + 1));
      body = body.substr(0, eq);
    }
    const std::string name(body);
    if (name == "help" || name == "h") {
      result.exit_code = 0;
      result.output = Help();
      return result;
    }
    if (name == "version" || name == "v") {
      result.exit_code = 0;
      result.output = version_text_ + "\n";
      return result;
    }
    const Spec* spec = Find(name);
    if (spec == nullptr) return usage_error("flag provided but not defined: -" + name);
    std::string text;
    if (inline_value) {
      text = *inline_value;
    } else if (spec->kind == Kind::kBool) {
      text = "true";
    } else if (i + 1 < args.size()) {
      text = args[++i];
    } else {
      return usage_error("flag needs an argument: -" + name);
    }
    if (auto error = Assign(*spec, text, Source::kCommandLine, "--" + name)) {
      return usage_error(*error);
    }
  }

  for (const Spec& spec : specs_) {
    if (values_[spec.names.front()].source == Source::kCommandLine) continue;
    for (const std::string& env_var : spec.env_vars) {
      std::optional<std::string> text = env(env_var);
      if (!text) continue;
      if (text->empty()) {
        bool numeric = spec.kind == Kind::kInt || spec.kind == Kind::kFloat ||
                       spec.kind == Kind::kDuration || spec.kind == Kind::kIntSlice;
        if (numeric) continue;  // ignored, as if unset
        if (spec.kind == Kind::kBool) *text = "false";
      }
      if (auto error = Assign(spec, *text, Source::kEnvironment, "$" + env_var)) {
        return usage_error(*error);
      }
      break;
    }
  }
  return result;
}

std::string FlagSet::Help() const {
  std::string out = "NAME:\n   " + program_ + " - " + app_name_ + ": " + description_ + "\n\n";
  out += "USAGE:\n   " + program_ + " [global options]\n\n";
  out += "VERSION:\n   " + version_text_ + "\n\nGLOBAL OPTIONS:\n";
  std::vector<std::pair<std::string, std::string>> rows;
  for (const Spec& spec : specs_) {
    std::string names;
    for (const std::string& name : spec.names) {
      if (!names.empty()) names += ", ";
      names += (name.size() == 1 ? "-" : "--") + name;
    }
    if (spec.kind != Kind::kBool) names += " value";
    std::string text = spec.usage;
    if (!spec.default_value.empty()) {
      bool quoted = spec.kind == Kind::kString || spec.kind == Kind::kStringSlice;
      std::vector<std::string> shown;
      for (const auto& item : spec.default_value) shown.push_back(quoted ? Quote(item) : item);
      text += " (default: " + Join(shown, ", ") + ")";
    }
    if (!spec.env_vars.empty()) {
      std::vector<std::string> envs;
      for (const auto& env : spec.env_vars) envs.push_back("$" + env);
      text += " [" + Join(envs, ", ") + "]";
    }
    rows.emplace_back(std::move(names), std::move(text));
  }
  rows.emplace_back("--help, -h", "show help");
  rows.emplace_back("--version, -v", "print the version");
  size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  for (const auto& [names, text] : rows) {
    out += "   " + names + std::string(width - names.size() + 2, ' ');
    // Continuation lines of the usage text line up under its first line.
    for (char c : text) {
      out += c;
      if (c == '\n') out += std::string(width + 5, ' ');
    }
    out += "\n";
  }
  return out;
}

const Value& FlagSet::Get(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::out_of_range("unknown flag " + std::string(name));
  return it->second;
}

bool FlagSet::GetBool(std::string_view name) const {
  return ParseGoBool(Get(name).str()).value_or(false);
}

long long FlagSet::GetInt(std::string_view name) const {
  long long number = 0;
  ParseGoInt(TrimSpace(Get(name).str()), &number);
  return number;
}

std::optional<bool> ParseGoBool(std::string_view text) {
  if (text == "1" || text == "t" || text == "T" || text == "TRUE" || text == "true" ||
      text == "True") {
    return true;
  }
  if (text == "0" || text == "f" || text == "F" || text == "FALSE" || text == "false" ||
      text == "False") {
    return false;
  }
  return std::nullopt;
}

std::optional<long long> ParseDurationOrInfinite(std::string_view text) {
  static constexpr std::string_view kInfinite = "infinite";
  if (text.size() == kInfinite.size() &&
      std::equal(text.begin(), text.end(), kInfinite.begin(),
                 [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; })) {
    return kInfiniteDuration;
  }
  return ParseGoDuration(text);
}

std::optional<long long> ParseGoDuration(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text == "0") return 0;
  if (text.empty()) return std::nullopt;
  struct Unit {
    std::string_view name;
    double nanos;
  };
  static constexpr Unit kUnits[] = {{"ns", 1},          {"us", 1e3},  {"\xC2\xB5s", 1e3},
                                    {"\xCE\xBCs", 1e3}, {"ms", 1e6},  {"s", 1e9},
                                    {"m", 60e9},        {"h", 3600e9}};
  double total = 0;
  while (!text.empty()) {
    size_t digits = 0;
    while (digits < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.')) {
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    std::string number(text.substr(0, digits));
    if (number == ".") return std::nullopt;
    text.remove_prefix(digits);
    size_t unit_len = 0;
    while (unit_len < text.size() && !std::isdigit(static_cast<unsigned char>(text[unit_len])) &&
           text[unit_len] != '.') {
      ++unit_len;
    }
    std::string_view unit_name = text.substr(0, unit_len);
    text.remove_prefix(unit_len);
    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (candidate.name == unit_name) unit = &candidate;
    }
    if (unit == nullptr) return std::nullopt;  // missing or unknown unit
    total += std::strtod(number.c_str(), nullptr) * unit->nanos;
    if (total > 9.2e18) return std::nullopt;  // overflows int64 nanoseconds
  }
  long long nanos = std::llround(total);
  return negative ? -nanos : nanos;
}

}  // namespace nvdp::flags
