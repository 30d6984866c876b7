#include "config/settings.h"

#include <cstdlib>
#include <stdexcept>

#include "common/strings.h"
#include "common/version.h"
#include "config/file_keys.h"
#include "config/parse.h"

namespace nvdp::config {

flags::FlagSet SettingsTable::MakeFlagSet() const {
  flags::FlagSet set(program, app_name, description, VersionText());
  for (const Setting& setting : settings) {
    std::vector<std::string> names = {setting.flag};
    names.insert(names.end(), setting.aliases.begin(), setting.aliases.end());
    set.Add({names, setting.env, setting.kind, setting.defaults, setting.help});
  }
  return set;
}

const Setting& SettingsTable::Find(std::string_view flag) const {
  for (const Setting& setting : settings) {
    if (setting.flag == flag) return setting;
  }
  throw std::logic_error(program + " has no setting " + std::string(flag));
}

bool ParseFlagsOrExit(flags::FlagSet& set, const std::vector<std::string>& args,
                      const flags::EnvLookup& env, int* exit_code, std::string* output,
                      std::vector<std::string>* positional) {
  flags::ParseResult parsed = set.Parse(args, env);
  if (positional) *positional = parsed.positional;
  if (!parsed.exit_code) return true;
  *exit_code = *parsed.exit_code;
  *output = parsed.output;
  return false;
}

FileValue ToFileValue(flags::Kind kind, const std::vector<std::string>& items) {
  const std::string first = items.empty() ? "" : items.front();
  long long number = 0;
  switch (kind) {
    case flags::Kind::kBool:
      return flags::ParseGoBool(first).value_or(false);
    case flags::Kind::kInt:
      ParseGoInt(TrimSpace(first), &number);
      return number;
    case flags::Kind::kDuration:
      return flags::ParseDurationOrInfinite(first).value_or(0);
    case flags::Kind::kStringSlice:
      return items;
    case flags::Kind::kIntSlice: {
      std::vector<long long> numbers;
      for (const std::string& item : items) {
        ParseGoInt(TrimSpace(item), &number);
        numbers.push_back(number);
      }
      return numbers;
    }
    default:
      return first;
  }
}

Settings::Settings(const SettingsTable& table, const flags::FlagSet& flags)
    : table_(table), flags_(flags) {
  for (const Setting& setting : table_.settings) {
    if (setting.flag == "config-file") {
      const std::string path = flags_.Get("config-file").str();
      if (!path.empty()) config_ = LoadConfigFile(path);
    }
  }
  // §2.1: a flag given on the command line or in the environment overrides its key; otherwise
  // its default fills the key only when the file left it unset.
  for (const Setting& setting : table_.settings) {
    if (setting.file_key.empty()) continue;
    const flags::Value& value = flags_.Get(setting.flag);
    if (value.is_set() || (!setting.override_only && !config_.Has(setting.file_key))) {
      config_.Set(setting.file_key, ToFileValue(setting.kind, value.items));
    }
  }
}

const flags::Value& Settings::Flag(std::string_view flag) const {
  table_.Find(flag);  // names a row of this program
  return flags_.Get(flag);
}

const FileValue* Settings::File(std::string_view flag) const {
  const Setting& setting = table_.Find(flag);
  if (setting.file_key.empty()) return nullptr;
  auto it = config_.values.find(setting.file_key);
  return it == config_.values.end() ? nullptr : &it->second;
}

std::string Settings::String(std::string_view flag) const {
  if (const FileValue* value = File(flag)) return std::get<std::string>(*value);
  return Flag(flag).str();
}

bool Settings::Bool(std::string_view flag) const {
  if (const FileValue* value = File(flag)) return std::get<bool>(*value);
  return std::get<bool>(ToFileValue(flags::Kind::kBool, Flag(flag).items));
}

long long Settings::Int(std::string_view flag) const {
  if (const FileValue* value = File(flag)) return std::get<long long>(*value);
  return std::get<long long>(ToFileValue(flags::Kind::kInt, Flag(flag).items));
}

double Settings::Float(std::string_view flag) const {
  return std::strtod(std::string(TrimSpace(Flag(flag).str())).c_str(), nullptr);
}

std::chrono::nanoseconds Settings::Duration(std::string_view flag) const {
  if (const FileValue* value = File(flag))
    return std::chrono::nanoseconds(std::get<long long>(*value));
  return std::chrono::nanoseconds(
      std::get<long long>(ToFileValue(flags::Kind::kDuration, Flag(flag).items)));
}

std::vector<std::string> Settings::Strings(std::string_view flag) const {
  if (const FileValue* value = File(flag)) return std::get<std::vector<std::string>>(*value);
  return Flag(flag).items;
}

std::vector<long long> Settings::Ints(std::string_view flag) const {
  if (const FileValue* value = File(flag)) return std::get<std::vector<long long>>(*value);
  return std::get<std::vector<long long>>(ToFileValue(flags::Kind::kIntSlice, Flag(flag).items));
}

bool Settings::Given(std::string_view flag) const { return Flag(flag).is_set(); }

}  // namespace nvdp::config
