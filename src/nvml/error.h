#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "nvml/nvml_abi.h"

namespace nvdp::nvml {

// An NVML call failed. what() reads "<function>: <NVML's error string>".
class NvmlError : public std::runtime_error {
 public:
  NvmlError(nvmlReturn_t code, std::string function, const std::string& description)
      : std::runtime_error(function + ": " + description),
        code_(code),
        function_(std::move(function)) {}

  nvmlReturn_t code() const { return code_; }
  const std::string& function() const { return function_; }

 private:
  nvmlReturn_t code_;
  std::string function_;
};

// NVML's own names for return codes ("GPU is lost"), for when the library is not loaded.
const char* DefaultErrorString(nvmlReturn_t code);
// "GPU_IS_LOST" for NVML_ERROR_GPU_IS_LOST; the number for codes it does not know.
std::string ReturnCodeName(nvmlReturn_t code);
// "GPU_IS_LOST", "NVML_ERROR_GPU_IS_LOST" or "15" -> 15; nullopt for anything else.
std::optional<nvmlReturn_t> ParseReturnCode(std::string_view text);

}  // namespace nvdp::nvml
