#include "common/strings.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace nvdp {

std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.emplace_back(text.substr(start));
      return parts;
    }
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
}

std::string Abbreviate(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
  return std::string(text.substr(0, cut)) + "… (" + std::to_string(text.size()) + " bytes)";
}

namespace {

std::string Escaped(std::string_view text, size_t max, bool quoted) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = quoted ? "\"" : "";
  for (char c : text.substr(0, max)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f || c == '\\' || (quoted && c == '"')) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out += c;
    }
  }
  if (quoted) out += '"';
  if (text.size() > max) out += "… (" + std::to_string(text.size()) + " bytes)";
  return out;
}

}  // namespace

std::string PrintableInput(std::string_view text, size_t max) { return Escaped(text, max, false); }
std::string QuoteInput(std::string_view text, size_t max) { return Escaped(text, max, true); }

std::string_view TrimSpace(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

template <typename T>
static bool ParseWhole(std::string_view text, T* value) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size();
}

bool ParseInt64(std::string_view text, long long* value) { return ParseWhole(text, value); }
bool ParseUint64(std::string_view text, unsigned long long* value) {
  return ParseWhole(text, value);
}

bool ParseGoInt(std::string_view text, long long* value) {
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return false;
  int base = 10;
  bool prefixed = false;  // a base prefix counts as a digit before an underscore
  if (text.size() >= 2 && text[0] == '0') {
    const char mark = static_cast<char>(text[1] | 0x20);
    if (mark == 'x' || mark == 'o' || mark == 'b') {
      base = mark == 'x' ? 16 : mark == 'o' ? 8 : 2;
      text.remove_prefix(2);
      prefixed = true;
    } else {
      base = 8;  // a leading 0: octal, as in Go
      text.remove_prefix(1);
      prefixed = true;
    }
  }
  if (text.empty() && !prefixed) return false;
  if (text.empty()) return base == 8;  // "0"
  unsigned long long magnitude = 0;
  const unsigned long long limit = negative ? 1ull << 63 : (1ull << 63) - 1;
  bool after_digit = prefixed;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '_') {
      // Only between digits (or after the prefix), never last.
      if (!after_digit || i + 1 == text.size() || text[i + 1] == '_') return false;
      after_digit = false;
      continue;
    }
    const char lower = static_cast<char>(c | 0x20);
    const int digit = c >= '0' && c <= '9'           ? c - '0'
                      : lower >= 'a' && lower <= 'f' ? lower - 'a' + 10
                                                     : 99;
    if (digit >= base) return false;
    if (magnitude > (limit - static_cast<unsigned long long>(digit)) / base) return false;
    magnitude = magnitude * base + static_cast<unsigned long long>(digit);
    after_digit = true;
  }
  *value = negative ? static_cast<long long>(0 - magnitude) : static_cast<long long>(magnitude);
  return true;
}

bool ParseUuidBytes(std::string_view text, unsigned char* bytes) {
  if (text.size() != 36) return false;
  unsigned char parsed[16];
  size_t out = 0;
  for (size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return false;
      ++i;
      continue;
    }
    int value = 0;
    for (int half = 0; half < 2; ++half, ++i) {
      const char c = text[i];
      int digit = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
      if (digit < 0) return false;
      value = value * 16 + digit;
    }
    parsed[out++] = static_cast<unsigned char>(value);
  }
  if (bytes != nullptr) std::copy(parsed, parsed + 16, bytes);
  return true;
}

std::string FormatUuid(const unsigned char* bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string text;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    text += kHex[bytes[i] >> 4];
    text += kHex[bytes[i] & 0xF];
  }
  return text;
}

bool DecodeBase64(std::string_view text, std::string* out) {
  out->clear();
  unsigned buffer = 0;
  int bits = 0, padding = 0;
  for (char c : text) {
    int value;
    if (c >= 'A' && c <= 'Z') {
      value = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      value = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      value = c - '0' + 52;
    } else if (c == '+') {
      value = 62;
    } else if (c == '/') {
      value = 63;
    } else if (c == '=') {
      ++padding;
      continue;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      continue;
    } else {
      return false;
    }
    if (padding > 0) return false;  // data after padding
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return padding <= 2;
}

}  // namespace nvdp
