// The pre-shared key of --key-file. `viamillipede genkey FILE` writes 32 random bytes as 64
// hex digits and a newline, mode 0600, and never overwrites. A key file is read as hex when it
// is nothing but hex digits (and whitespace), else as raw bytes; either way it must hold at
// least 32 bytes of secret. Like ssh with a private key, a key file that group or others may
// read or write is refused.
#pragma once

#include <string>
#include <variant>

#include "crypto/secret.hpp"

namespace vmp::crypto {

inline constexpr std::size_t kMinKeyBytes = 32;

// The key, or one line saying what is wrong with the file.
std::variant<Secret, std::string> load_key_file(const std::string& path);
// Empty on success, else one line.
std::string write_new_key_file(const std::string& path);

}  // namespace vmp::crypto
