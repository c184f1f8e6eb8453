#include "crypto/key_file.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "crypto/primitives.hpp"
#include "util/unique_fd.hpp"

namespace vmp::crypto {
namespace {

constexpr std::size_t kMaxKeyFileBytes = 4096;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

// The bytes of a file of hex digits (whitespace ignored) into out (reserved by the caller);
// out is left empty when the file is not one.
void decode_hex(const std::vector<char>& text, std::vector<std::byte>& out) {
  out.clear();
  int high = -1;
  for (char c : text) {
    if (is_space(c)) continue;
    const int v = hex_value(c);
    if (v < 0) {
      out.clear();
      return;
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::byte>(high * 16 + v));
      high = -1;
    }
  }
  if (high >= 0) out.clear();
}

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

}  // namespace

std::variant<Secret, std::string> load_key_file(const std::string& path) {
  const auto name = "key file '" + path + "'";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return name + ": " + std::strerror(errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return name + ": " + std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return name + " is not a regular file";
  if ((st.st_mode & 077) != 0) {
    return name + " is accessible by group or others (mode " + octal_mode(st.st_mode) +
           "): chmod 600 it";
  }
  if (st.st_uid != ::geteuid() && st.st_uid != 0)
    return name + " belongs to another user (uid " + std::to_string(st.st_uid) + ")";
  // Everything read from the file is wiped however this ends (sizes fixed up front, so no
  // reallocation leaves a copy behind).
  std::vector<char> text(kMaxKeyFileBytes + 1);
  std::vector<std::byte> bytes;
  bytes.reserve(text.size());
  struct Wipe {
    std::vector<std::byte>& bytes;
    std::vector<char>& text;
    ~Wipe() {
      OPENSSL_cleanse(bytes.data(), bytes.capacity());
      OPENSSL_cleanse(text.data(), text.capacity());
    }
  } wipe{bytes, text};
  std::size_t got = 0;
  for (;;) {
    const auto n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return name + ": " + std::strerror(errno);
    if (n == 0 || (got += static_cast<std::size_t>(n)) == text.size()) break;
  }
  if (got > kMaxKeyFileBytes)
    return name + " is larger than " + std::to_string(kMaxKeyFileBytes) + " bytes";
  text.resize(got);
  decode_hex(text, bytes);
  if (bytes.empty()) {
    // Raw bytes; a trailing newline is not part of the secret.
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    bytes.assign(reinterpret_cast<const std::byte*>(text.data()),
                 reinterpret_cast<const std::byte*>(text.data()) + text.size());
  }
  if (bytes.size() < kMinKeyBytes) {
    return name + " holds " + std::to_string(bytes.size()) + " bytes of key; at least " +
           std::to_string(kMinKeyBytes) + " are needed (make one with: viamillipede genkey FILE)";
  }
  return Secret(bytes);
}

std::string write_new_key_file(const std::string& path) {
  const auto name = "key file '" + path + "'";
  std::array<std::byte, kMinKeyBytes> key{};
  random_bytes(key);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  for (auto b : key) {
    text += kDigits[std::to_integer<int>(b) >> 4];
    text += kDigits[std::to_integer<int>(b) & 15];
  }
  text += '\n';
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600));
  if (!fd) {
    return errno == EEXIST ? name + " exists; not overwriting a key"
                           : name + ": " + std::strerror(errno);
  }
  // The umask may only have taken bits away; make sure of 0600.
  if (::fchmod(fd.get(), 0600) != 0) return name + ": " + std::strerror(errno);
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return name + ": " + std::strerror(errno);
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return name + ": " + std::strerror(errno);
  OPENSSL_cleanse(text.data(), text.size());
  OPENSSL_cleanse(key.data(), key.size());
  return {};
}

}  // namespace vmp::crypto
