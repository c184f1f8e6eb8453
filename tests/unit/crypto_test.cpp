// Keyed sessions' building blocks: key files, frame sealing, leg proofs and control tags.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "crypto/frame_keys.hpp"
#include "crypto/key_file.hpp"
#include "crypto/leg_auth.hpp"
#include "crypto/primitives.hpp"
#include "sidechain/frame_transform.hpp"
#include "wire/checksum.hpp"

namespace vmp::crypto {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("vmp_crypto_test." + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

void write_file(const fs::path& p, const std::string& text, mode_t mode) {
  std::ofstream(p, std::ios::binary) << text;
  ::chmod(p.c_str(), mode);
}

Secret some_key(char fill = 'k') {
  std::vector<std::byte> bytes(32, static_cast<std::byte>(fill));
  return Secret(bytes);
}

// Bytes that are not all alike (byte i is i * step), so a misplaced byte shows.
std::vector<std::byte> pattern(std::size_t n, std::size_t step) {
  std::vector<std::byte> bytes(n);
  for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<std::byte>(i * step);
  return bytes;
}

Salt some_salt(std::uint8_t fill) {
  Salt s{};
  s.fill(static_cast<std::byte>(fill));
  return s;
}

TEST(KeyFile, GenkeyWritesA0600KeyThatLoadsAndNeverOverwrites) {
  TempDir dir;
  const auto path = (dir.path / "k").string();
  ASSERT_EQ(write_new_key_file(path), "");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  auto loaded = load_key_file(path);
  ASSERT_TRUE(std::holds_alternative<Secret>(loaded));
  EXPECT_EQ(std::get<Secret>(loaded).size(), 32U);  // 64 hex digits
  EXPECT_NE(write_new_key_file(path).find("exists"), std::string::npos);
  // Two keys are not the same key.
  const auto other = (dir.path / "k2").string();
  ASSERT_EQ(write_new_key_file(other), "");
  auto a = std::get<Secret>(load_key_file(path));
  auto b = std::get<Secret>(load_key_file(other));
  EXPECT_FALSE(equal_constant_time(a.bytes(), b.bytes()));
}

TEST(KeyFile, RefusesLoosePermissionsShortKeysAndNonFiles) {
  TempDir dir;
  const auto loose = dir.path / "loose";
  write_file(loose, std::string(64, 'a'), 0644);
  auto r = load_key_file(loose.string());
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  EXPECT_NE(std::get<std::string>(r).find("0644"), std::string::npos);
  write_file(loose, std::string(64, 'a'), 0620);  // group may write: refused too
  EXPECT_TRUE(std::holds_alternative<std::string>(load_key_file(loose.string())));

  const auto short_hex = dir.path / "short";
  write_file(short_hex, std::string(62, 'a') + "\n", 0600);  // 31 bytes of hex
  EXPECT_TRUE(std::holds_alternative<std::string>(load_key_file(short_hex.string())));
  EXPECT_TRUE(std::holds_alternative<std::string>(load_key_file(dir.path.string())));
  EXPECT_TRUE(std::holds_alternative<std::string>(load_key_file((dir.path / "none").string())));

  // Raw bytes (not hex) of at least 32 bytes are a key; the trailing newline is not part of it.
  const auto raw = dir.path / "raw";
  write_file(raw, std::string(40, 'z') + "\n", 0400);
  auto ok = load_key_file(raw.string());
  ASSERT_TRUE(std::holds_alternative<Secret>(ok));
  EXPECT_EQ(std::get<Secret>(ok).size(), 40U);
}

TEST(FrameKeys, SealedFramesOpenOnlyUnderTheSameKeySaltSeqAndHeader) {
  const FrameKeys keys(some_key(), some_salt(1), Cipher::aes_256_gcm);
  const auto plain = pattern(100000, 7);
  const std::vector<std::byte> aad(48, std::byte{3});
  auto data = plain;
  std::array<std::byte, kTagBytes> tag{};
  keys.seal(9, aad, data, tag);
  EXPECT_NE(data, plain);

  auto try_open = [&](const FrameKeys& k, std::uint64_t seq, std::vector<std::byte> aad2,
                      std::vector<std::byte> ct) { return k.open(seq, aad2, ct, tag); };
  EXPECT_TRUE(try_open(keys, 9, aad, data));
  auto opened = data;
  ASSERT_TRUE(keys.open(9, aad, opened, tag));
  EXPECT_EQ(opened, plain);
  EXPECT_FALSE(try_open(keys, 10, aad, data));  // moved to another place in the stream
  auto other_aad = aad;
  other_aad[1] ^= std::byte{1};  // e.g. the `last` flag set
  EXPECT_FALSE(try_open(keys, 9, other_aad, data));
  auto flipped = data;
  flipped[5000] ^= std::byte{0x10};
  EXPECT_FALSE(try_open(keys, 9, aad, flipped));
  EXPECT_FALSE(try_open(FrameKeys(some_key(), some_salt(2), Cipher::aes_256_gcm), 9, aad, data));
  EXPECT_FALSE(try_open(FrameKeys(some_key('x'), some_salt(1), Cipher::aes_256_gcm), 9, aad, data));
  EXPECT_FALSE(
      try_open(FrameKeys(some_key(), some_salt(1), Cipher::chacha20_poly1305), 9, aad, data));
}

TEST(FrameKeys, AnOpenerInPiecesEqualsOpenAtOnce) {
  for (const auto cipher : {Cipher::aes_256_gcm, Cipher::chacha20_poly1305}) {
    const FrameKeys keys(some_key(), some_salt(1), cipher);
    const auto plain = pattern(300001, 13);
    const std::vector<std::byte> aad(48, std::byte{5});
    auto sealed = plain;
    std::array<std::byte, kTagBytes> tag{};
    keys.seal(77, aad, sealed, tag);
    // Pieces of odd sizes, as recv() hands them over: none a multiple of the AES block.
    auto open_in_pieces = [&](std::vector<std::byte> data, std::uint64_t seq) {
      auto opener = keys.opener(seq, aad);
      for (std::size_t at = 0, piece = 1; at < data.size(); at += piece, piece = piece * 3 + 1)
        opener.update(std::span(data).subspan(at, std::min(piece, data.size() - at)));
      return std::pair(opener.finish(tag), data);
    };
    const auto [ok, opened] = open_in_pieces(sealed, 77);
    EXPECT_TRUE(ok) << describe(cipher);
    EXPECT_EQ(opened, plain) << describe(cipher);
    auto flipped = sealed;
    flipped[299999] ^= std::byte{1};  // in the last piece
    EXPECT_FALSE(open_in_pieces(flipped, 77).first) << describe(cipher);
    EXPECT_FALSE(open_in_pieces(sealed, 78).first) << describe(cipher);
  }
}

TEST(FrameKeys, KeysChangeEveryEpochAndResealingIsDeterministic) {
  const FrameKeys keys(some_key(), some_salt(1), Cipher::chacha20_poly1305);
  const std::vector<std::byte> aad(48);
  auto seal = [&](std::uint64_t seq) {
    std::vector<std::byte> data(64, std::byte{0});
    std::array<std::byte, kTagBytes> tag{};
    keys.seal(seq, aad, data, tag);
    data.insert(data.end(), tag.begin(), tag.end());
    return data;
  };
  EXPECT_EQ(seal(5), seal(5));  // a resent frame is the same ciphertext
  EXPECT_NE(seal(5), seal(6));
  // Rekeying: a frame of epoch 3 is sealed under the key HKDF gives for epoch 3, not under
  // epoch 0's (which would hold every frame if the epoch were left out of the derivation).
  const auto far = FrameKeys::kFramesPerKey * 3 + 5;
  const auto sealed = seal(far);
  Nonce nonce{};
  for (int i = 0; i < 8; ++i) nonce[11 - i] = static_cast<std::byte>(far >> (8 * i));
  auto opens_with = [&](std::uint64_t epoch) {
    const auto key = hkdf(some_key().bytes(), some_salt(1),
                          "viamillipede 4 frames chacha20-poly1305 key " + std::to_string(epoch));
    std::vector<std::byte> data(sealed.begin(), sealed.end() - kTagBytes);
    const std::span<const std::byte, kTagBytes> tag(sealed.data() + data.size(), kTagBytes);
    return aead_open(Cipher::chacha20_poly1305, key, nonce, aad, data, tag);
  };
  EXPECT_TRUE(opens_with(3));
  EXPECT_FALSE(opens_with(0));
}

TEST(LegAuth, ProofsDependOnKeyRoleAndTranscript) {
  const std::vector<std::byte> transcript(136, std::byte{9});
  auto other = transcript;
  other[100] = std::byte{1};
  EXPECT_EQ(receiver_proof(some_key(), transcript), receiver_proof(some_key(), transcript));
  EXPECT_NE(receiver_proof(some_key(), transcript), transmitter_proof(some_key(), transcript));
  EXPECT_NE(receiver_proof(some_key(), transcript), receiver_proof(some_key('x'), transcript));
  EXPECT_NE(transmitter_proof(some_key(), transcript), transmitter_proof(some_key(), other));
}

TEST(LegAuth, ControlTagsCheckOrderDirectionAndLeg) {
  const std::vector<std::byte> transcript(136, std::byte{9});
  auto tx = leg_auth(some_key(), transcript, Role::transmitter);
  auto rx = leg_auth(some_key(), transcript, Role::receiver);
  const std::vector<std::byte> ack(32, std::byte{'A'});
  auto t0 = rx.outgoing.tag(ack);
  auto t1 = rx.outgoing.tag(ack);
  EXPECT_NE(t0, t1);  // the counter is in the tag
  EXPECT_TRUE(tx.incoming.verify(ack, t0));
  EXPECT_FALSE(tx.incoming.verify(ack, t0));  // replayed: expected counter 1 now
  // Our own direction's tag is not accepted from the peer (reflection).
  auto mine = tx.outgoing.tag(ack);
  EXPECT_FALSE(rx.incoming.verify(ack, t1));  // rx expects counter 0 from tx...
  auto rx2 = leg_auth(some_key(), transcript, Role::receiver);
  EXPECT_TRUE(rx2.incoming.verify(ack, mine));  // ...which `mine` is, on a fresh leg state
  // Another leg (another transcript) rejects this leg's tags.
  auto other = transcript;
  other[0] = std::byte{0};
  auto tx_other = leg_auth(some_key(), other, Role::transmitter);
  EXPECT_FALSE(tx_other.incoming.verify(ack, t0));
}

TEST(SealedFrames, EncodeSealsAndDecodeOpensInPlaceAndRefusesTampering) {
  BufferPool pool(64 << 20);
  sidechain::FrameCodec codec(pool);
  auto keys = std::make_shared<const FrameKeys>(some_key(), some_salt(7), Cipher::aes_256_gcm);
  for (const char* how : {"none", "zstd:1"}) {
    SCOPED_TRACE(how);
    std::vector<std::byte> raw(200000);
    for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::byte>((i / 100) % 7);
    OutFrame frame;
    frame.header.length = static_cast<std::uint32_t>(raw.size());
    frame.header.seq = 3;
    frame.header.offset = 600000;
    frame.payload = pool.get(raw.size());
    std::memcpy(frame.payload.data(), raw.data(), raw.size());
    ASSERT_FALSE(sidechain::encode_frame(codec, *sidechain::parse_compression(how), {}, keys.get(),
                                         frame, pool));
    const auto& h = frame.header;
    ASSERT_TRUE(h.has(wire::FrameFlag::sealed));
    // What the receiver reads: the header through the wire, the payload followed by the tag.
    const auto encoded = h.encode();
    auto decoded_header = wire::FrameHeader::decode(encoded);
    ASSERT_TRUE(decoded_header);
    auto receive = [&](const wire::FrameHeader& header, std::size_t flip_at) {
      Buffer wire_bytes = pool.get(h.wire_length);
      const auto body = h.wire_length - kTagBytes;
      std::memcpy(wire_bytes.data(), frame.payload.data(), body);
      std::memcpy(wire_bytes.data() + body, frame.tag.data(), kTagBytes);
      if (flip_at < h.wire_length) wire_bytes.data()[flip_at] ^= std::byte{1};
      return sidechain::decode_frame(codec, {}, keys.get(), header, wire_bytes, pool);
    };
    auto back = receive(*decoded_header, SIZE_MAX);
    ASSERT_TRUE(std::holds_alternative<Buffer>(back));
    EXPECT_EQ(std::memcmp(std::get<Buffer>(back).data(), raw.data(), raw.size()), 0);
    for (std::size_t at : {std::size_t{0}, std::size_t{h.wire_length} - 1}) {
      auto bad = receive(*decoded_header, at);
      ASSERT_TRUE(std::holds_alternative<sidechain::DecodeError>(bad));
      EXPECT_TRUE(std::get<sidechain::DecodeError>(bad).forged);
    }
    auto moved = *decoded_header;
    moved.offset += 1;
    EXPECT_TRUE(std::holds_alternative<sidechain::DecodeError>(receive(moved, SIZE_MAX)));
    // An unkeyed receiver refuses a sealed frame; a keyed one an unsealed frame.
    Buffer copy = pool.get(h.wire_length);
    EXPECT_TRUE(std::holds_alternative<sidechain::DecodeError>(
        sidechain::decode_frame(codec, {}, nullptr, *decoded_header, copy, pool)));
  }
}

TEST(FrameKeys, ChecksumsAndTheDigestTravelMasked) {
  // An unkeyed checksum of the plaintext in the clear would confirm a guessed frame.
  BufferPool pool(16 << 20);
  sidechain::FrameCodec codec(pool);
  const FrameKeys keys(some_key(), some_salt(3), Cipher::aes_256_gcm);
  std::vector<std::byte> raw(5000, std::byte{42});
  OutFrame frame;
  frame.header.length = static_cast<std::uint32_t>(raw.size());
  frame.header.seq = 11;
  frame.header.flags = static_cast<std::uint8_t>(wire::FrameFlag::checksum);
  frame.header.checksum = wire::frame_checksum(frame.header, raw);
  const auto raw_sum = frame.header.checksum;
  frame.payload = pool.get(raw.size());
  std::memcpy(frame.payload.data(), raw.data(), raw.size());
  ASSERT_FALSE(sidechain::encode_frame(codec, {}, {}, &keys, frame, pool));
  EXPECT_NE(frame.header.checksum, raw_sum);
  EXPECT_EQ(frame.header.checksum ^ keys.checksum_mask(11), raw_sum);
  EXPECT_NE(keys.checksum_mask(11), keys.checksum_mask(12));
  EXPECT_NE(keys.digest_mask(), 0U);
  EXPECT_NE(keys.digest_mask(),
            FrameKeys(some_key(), some_salt(4), Cipher::aes_256_gcm).digest_mask());
}

}  // namespace
}  // namespace vmp::crypto
