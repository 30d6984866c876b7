#include "config/resource_name.h"

#include <cctype>

#include "common/strings.h"

namespace nvdp::config {
namespace {

bool IsLowerAlnum(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'z');
}

// DNS-1123 subdomain: lowercase alphanumerics, '-' and '.', alphanumeric at both ends.
bool IsDns1123Subdomain(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  if (!IsLowerAlnum(text.front()) || !IsLowerAlnum(text.back())) return false;
  for (char c : text) {
    if (!IsLowerAlnum(c) && c != '-' && c != '.') return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> NormalizeResourceName(std::string_view name, std::string* error) {
  std::string full(name);
  if (!full.starts_with(kResourcePrefix)) full = std::string(kResourcePrefix) + full;
  if (full.size() > 63) {
    *error = "resource name " + QuoteInput(full) + " is longer than 63 characters";
    return std::nullopt;
  }
  std::string_view suffix = std::string_view(full).substr(full.find('/') + 1);
  if (!IsDns1123Subdomain(suffix)) {
    *error = "invalid resource name " + QuoteInput(full) + ": " + QuoteInput(suffix) +
             " must be lowercase alphanumerics, '-' or '.', starting and ending with an "
             "alphanumeric";
    return std::nullopt;
  }
  return full;
}

bool PatternMatches(std::string_view pattern, std::string_view text, PatternMatching matching) {
  // Split on '*': the pieces must appear in order. Anchored, the first piece must start the
  // text and the last must end it (taking the last place it fits, after the earlier pieces).
  const bool anchored = matching == PatternMatching::kAnchored;
  size_t position = 0;
  size_t start = 0;
  bool first = true;
  while (true) {
    size_t star = pattern.find('*', start);
    std::string_view piece =
        pattern.substr(start, star == std::string_view::npos ? star : star - start);
    const bool last = star == std::string_view::npos;
    if (anchored && last) {
      if (first) return text == piece;  // no '*' at all
      return text.size() >= position + piece.size() && text.ends_with(piece);
    }
    if (!piece.empty()) {
      size_t found = text.find(piece, position);
      if (found == std::string_view::npos || (anchored && first && found != 0)) return false;
      position = found + piece.size();
    }
    if (last) return true;
    start = star + 1;
    first = false;
  }
}

std::optional<PatternMatching> ParsePatternMatching(std::string_view name) {
  if (name == "substring") return PatternMatching::kSubstring;
  if (name == "anchored") return PatternMatching::kAnchored;
  return std::nullopt;
}

}  // namespace nvdp::config
