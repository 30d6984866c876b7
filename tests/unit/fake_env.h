// An environment for flag parsing tests, without touching the process environment.
#pragma once

#include <map>
#include <string>

#include "common/flags.h"

namespace nvdp::testing {

inline flags::EnvLookup FakeEnv(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace nvdp::testing
