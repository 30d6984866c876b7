// Settings bound once: each program declares one table (programs.h) of its settings, a row each:
// flag name and aliases, environment variables, type, default, help, and the config-file key it
// is merged with. From the table come the flag set (and --help), the merge with the config file
// (flag or environment > config file > default, spec §2.1) and typed reads of the result. The
// config file is decoded against the schema's keys (file_keys.h), and the effective JSON written
// from them, so adding a setting is one row plus its use.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/flags.h"
#include "config/config.h"

namespace nvdp::config {

struct Setting {
  std::string flag;  // without dashes
  std::vector<std::string> aliases;
  std::vector<std::string> env;  // the first one present wins
  flags::Kind kind = flags::Kind::kString;
  std::vector<std::string> defaults;  // as text, like the command line; scalars hold one item
  std::string help;
  // A keys::k… key it is merged with, or empty for the command line and environment only.
  std::string_view file_key = {};
  // The flag replaces the key only when given, never filling it from its default (imex.*).
  bool override_only = false;
};

struct SettingsTable {
  std::string program;      // e.g. nvidia-device-plugin
  std::string app_name;     // e.g. NVIDIA Device Plugin
  std::string description;  // for --help
  std::vector<Setting> settings;

  flags::FlagSet MakeFlagSet() const;
  // Throws std::logic_error for a name the table lacks (a bug, found by the unit tests).
  const Setting& Find(std::string_view flag) const;
};

// One program's settings after the merge. Reads name the flag; a setting with a file key is read
// from the merged config, any other from the command line, environment or default.
class Settings {
 public:
  // Reads the table's `config-file` setting's file, when set, and merges the flags into it.
  // Throws ConfigError for an unreadable or invalid file.
  Settings(const SettingsTable& table, const flags::FlagSet& flags);

  Config& config() { return config_; }
  const Config& config() const { return config_; }

  std::string String(std::string_view flag) const;
  bool Bool(std::string_view flag) const;
  long long Int(std::string_view flag) const;
  double Float(std::string_view flag) const;
  std::chrono::nanoseconds Duration(std::string_view flag) const;
  std::vector<std::string> Strings(std::string_view flag) const;
  std::vector<long long> Ints(std::string_view flag) const;
  // Given on the command line or in the environment.
  bool Given(std::string_view flag) const;

 private:
  const flags::Value& Flag(std::string_view flag) const;
  const FileValue* File(std::string_view flag) const;

  const SettingsTable& table_;
  const flags::FlagSet& flags_;
  Config config_;
};

// Parses `args` and the environment into `set`. False, with `exit_code` and `output` set, when the
// program should print `output` and exit instead of running: --help, --version, a usage error.
bool ParseFlagsOrExit(flags::FlagSet& set, const std::vector<std::string>& args,
                      const flags::EnvLookup& env, int* exit_code, std::string* output,
                      std::vector<std::string>* positional = nullptr);

// A flag's text as the file key's value (validated by the flag set already).
FileValue ToFileValue(flags::Kind kind, const std::vector<std::string>& items);

}  // namespace nvdp::config
