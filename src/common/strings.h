// Small string helpers used across modules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nvdp {

std::vector<std::string> Split(std::string_view text, char separator);
std::string_view TrimSpace(std::string_view text);
std::string Join(const std::vector<std::string>& parts, std::string_view separator);
std::string ToLower(std::string_view text);
// At most `max` bytes of `text`; a longer one is cut and says how long it was:
// "abc… (3900000 bytes)".
std::string Abbreviate(std::string_view text, size_t max);
// Outside input for a message or a log line: control and non-ASCII bytes (and '\\') as \xNN, at
// most `max` bytes of it shown (as Abbreviate). QuoteInput adds double quotes (and escapes them).
std::string PrintableInput(std::string_view text, size_t max = 96);
std::string QuoteInput(std::string_view text, size_t max = 96);
// Parses a whole decimal integer; false on empty input, junk or overflow.
bool ParseInt64(std::string_view text, long long* value);
// An integer as Go's strconv.ParseInt(text, 0, 64) reads it, which is how upstream's command
// line (urfave/cli) takes integer flags and env vars: an optional sign, then decimal, 0x/0X hex,
// 0o/0O or a leading 0 octal, 0b/0B binary, with single underscores between digits.
bool ParseGoInt(std::string_view text, long long* value);
bool ParseUint64(std::string_view text, unsigned long long* value);
// "7b968a6d-c8aa-45e1-9e07-e1e51be99c31" <-> 16 bytes. `bytes` may be null to only validate.
bool ParseUuidBytes(std::string_view text, unsigned char* bytes);
std::string FormatUuid(const unsigned char* bytes);  // canonical lowercase
// Standard base64 with padding; whitespace is skipped. False on any other character.
bool DecodeBase64(std::string_view text, std::string* out);

}  // namespace nvdp
