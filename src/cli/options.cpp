#include "cli/options.hpp"

#include <array>
#include <cxxopts.hpp>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <sstream>

#include "cli/rate_text.hpp"
#include "crypto/cipher.hpp"
#include "crypto/key_file.hpp"
#include "wire/protocol.hpp"

namespace vmp {
namespace {

constexpr const char* kDefaultCheckphrase = "yoda";

// Word -> (long option, number of arguments it takes).
const std::map<std::string, std::pair<std::string, int>>& words() {
  static const std::map<std::string, std::pair<std::string, int>> table{
      {"rx", {"rx", 1}},
      {"tx", {"tx", 2}},
      {"threads", {"threads", 1}},
      {"checksum", {"checksum", 0}},
      {"checksums", {"checksum", 0}},
      {"chaos", {"chaos", 1}},
      {"verbose", {"verbose", 1}},
      {"checkphrase", {"checkphrase", 1}},
      {"genkey", {"genkey", 1}},
      {"charmode", {"charmode", 0}},
      {"prbs", {"prbs", 1}},
      {"leglimit", {"leglimit", 1}},
      {"delayus", {"delayus", 1}},
      {"terminate", {"terminate", 1}},
      {"initiate", {"initiate", 2}},
  };
  return table;
}

// Rewrites the original's words into --long-options; `tx HOST PORT` becomes --tx=HOST:PORT.
std::variant<std::vector<std::string>, UsageError> translate_words(int argc,
                                                                   const char* const* argv) {
  std::vector<std::string> out{argc > 0 ? argv[0] : "viamillipede"};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.starts_with("-")) {
      out.push_back(arg);
      continue;
    }
    auto it = words().find(arg);
    if (it == words().end()) {
      // The value of a preceding "--option value" or "-o value" pair.
      const std::string& prev = out.back();
      const bool long_option = prev.starts_with("--") && prev.find('=') == std::string::npos;
      const bool short_option = prev.size() == 2 && prev[0] == '-' && prev[1] != '-';
      if (out.size() > 1 && (long_option || short_option)) {
        out.push_back(arg);
        continue;
      }
      return UsageError{"unknown word '" + arg + "'"};
    }
    const auto& [option, nargs] = it->second;
    if (i + nargs >= argc) {
      return UsageError{"'" + arg + "' needs " + std::to_string(nargs) +
                        (nargs == 1 ? " argument" : " arguments")};
    }
    if (nargs == 0) {
      out.push_back("--" + option);
    } else if (nargs == 1) {
      out.push_back("--" + option + "=" + argv[i + 1]);
    } else {
      const std::string host = argv[i + 1];
      const bool v6 = host.find(':') != std::string::npos;
      out.push_back("--" + option + "=" + (v6 ? "[" + host + "]" : host) + ":" + argv[i + 2]);
    }
    i += nargs;
  }
  return out;
}

std::optional<std::uint16_t> parse_port(const std::string& text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (v == 0 || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

std::optional<Target> parse_target(const std::string& text) {
  Target t;
  std::string port;
  if (text.starts_with("[")) {
    auto close = text.find("]:");
    if (close == std::string::npos) return std::nullopt;
    t.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) return std::nullopt;
    t.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  auto p = parse_port(port);
  if (!p || t.host.empty()) return std::nullopt;
  t.port = *p;
  return t;
}

// The "knobs" group of --help, one option per row of the knob table.
void add_knob_options(cxxopts::Options& o) {
  auto group = o.add_options("knobs");
  for (const auto& spec : kKnobTable) {
    const std::string name(spec.option);
    const std::string help = knob_help(spec);
    switch (spec.type) {
      case KnobType::count:
        group(name, help, cxxopts::value<std::uint32_t>(), "N");
        break;
      case KnobType::bytes:
        group(name, help, cxxopts::value<std::string>(), "BYTES");
        break;
      case KnobType::name:
        group(name, help, cxxopts::value<std::string>(), "NAME");
        break;
      case KnobType::weights:
        group(name, help, cxxopts::value<std::string>(), "W,W,..");
        break;
      case KnobType::rate:
        group(name, help, cxxopts::value<std::string>(), "RATE");
        break;
      case KnobType::rates:
        group(name, help, cxxopts::value<std::string>(), "R,R,..");
        break;
    }
  }
}

cxxopts::Options make_options() {
  cxxopts::Options o("viamillipede", "Carry a pipe over many parallel TCP connections.");
  // clang-format off
  o.add_options("mode")
    ("rx", "receive on PORT, write the stream to stdout", cxxopts::value<std::string>(), "PORT")
    ("tx", "send stdin to HOST:PORT (repeat for more links, in preference order)",
     cxxopts::value<std::vector<std::string>>(), "HOST:PORT")
    ("terminate", "with rx and tx: carry one TCP connection accepted on [ADDR:]PORT (ADDR "
     "defaults to 127.0.0.1) instead of stdin/stdout", cxxopts::value<std::string>(), "[ADDR:]PORT")
    ("initiate", "with rx and tx: when the stream starts, connect to HOST:PORT and carry that "
     "connection instead of stdin/stdout", cxxopts::value<std::string>(), "HOST:PORT")
    ("genkey", "write a new random key to FILE (mode 0600) for --key-file; never overwrites",
     cxxopts::value<std::string>(), "FILE")
    ("h,help", "show this help")
    ("version", "show the version");
  o.add_options("transfer")
    ("checksum", "checksum every frame (XXH3); rx: require it")
    ("no-zero-copy", "copy data through memory: no sendfile from a regular-file stdin (tx), no splice to stdout (rx)")
    ("charmode", "send what stdin has at once instead of filling frames (interactive use)")
    ("prbs", "tx: send a pseudo-random stream made from SEED instead of stdin; rx: check the "
     "stream against it (exit 8 at the first wrong byte) and still write it to stdout",
     cxxopts::value<std::string>(), "SEED")
    ("leglimit", "tx: end the stream after N chunks of 2 MiB (the original's unit)",
     cxxopts::value<std::string>(), "N")
    ("limit-bytes", "tx: end the stream after N bytes", cxxopts::value<std::string>(), "N")
    ("delayus", "tx: sleep N microseconds at every 2 MiB of the stream (a crude throttle)",
     cxxopts::value<std::string>(), "N")
    ("chaos", "reset the leg that sends every N-th frame (testing)", cxxopts::value<std::uint32_t>(), "N")
    ("checkphrase", "shared phrase of up to 4 bytes, must match on both sides [yoda]",
     cxxopts::value<std::string>(), "WORD")
    ("outage-timeout", "tx: survive a total outage this long; rx: wait at most this long for "
     "a vanished transmitter, whatever it asks, seconds [3600]",
     cxxopts::value<std::uint32_t>(), "S")
    ("expect-bytes", "the stream is exactly N bytes: anything else is an error (tx: stdin "
     "ended early or ran long, exit 5; rx: exit 8); also shows percent and ETA in --progress",
     cxxopts::value<std::string>(), "N")
    ("connect-timeout", "give up one connect attempt after S seconds [5]",
     cxxopts::value<std::uint32_t>(), "S")
    ("bind", "rx: listen on this address only [all]", cxxopts::value<std::string>(), "ADDR")
    ("filter", "tx: pass every frame through CMD (e.g. 'gzip -1'; plain words start "
     "directly, anything else with sh -c), in parallel; needs --unfilter on rx",
     cxxopts::value<std::string>(), "CMD")
    ("unfilter", "rx: undo the transmitter's --filter with CMD (e.g. 'gzip -dc')",
     cxxopts::value<std::string>(), "CMD")
    ("filter-timeout", "a --filter/--unfilter that reads and writes nothing this long hangs: "
     "the transfer fails (exit 9), seconds [60]", cxxopts::value<std::uint32_t>(), "S")
    ("key-file", "pre-shared key (make one with genkey; mode 0600): both ends prove they hold "
     "it on every leg, and every frame is encrypted and authenticated", cxxopts::value<std::string>(), "FILE")
    ("cipher", "tx: aes-256-gcm, chacha20-poly1305, or auto (AES where the CPU has AES "
     "instructions) [auto]", cxxopts::value<std::string>(), "NAME");
  // clang-format on
  add_knob_options(o);
  // clang-format off
  o.add_options("observe")
    ("v,verbose", "verbosity 0-9 [0]; SIGUSR2 raises it at run time", cxxopts::value<int>(), "N")
    ("progress", "live progress line on stderr")
    ("metrics", "serve Prometheus /metrics on [HOST:]PORT (HOST defaults to 127.0.0.1)",
     cxxopts::value<std::string>(), "ADDR")
    ("stats-json", "write a JSON summary at the end and on SIGUSR1", cxxopts::value<std::string>(), "FILE");
  o.add_options("tuner")
    ("no-tune", "tx: keep the knobs as given (tuning is on by default)")
    ("tune-seed", "tx: deterministic tuner", cxxopts::value<std::uint64_t>(), "N")
    ("tune-log", "tx: one JSON line per tuner generation", cxxopts::value<std::string>(), "FILE")
    ("tune-profile", "tx: start from / save the best knobs in FILE", cxxopts::value<std::string>(), "FILE");
  // clang-format on
  return o;
}

template <typename T>
std::optional<std::string> in_range(const char* what, T v, std::uint64_t lo, std::uint64_t hi) {
  if (static_cast<std::uint64_t>(v) < lo || static_cast<std::uint64_t>(v) > hi) {
    return std::string(what) + " " + std::to_string(v) + " is outside " + std::to_string(lo) +
           ".." + std::to_string(hi);
  }
  return std::nullopt;
}

// --rate-limit RATE and --link-rates R,R,..: see cli/rate_text.hpp; validate() checks ranges.
std::optional<std::string> parse_rate_knob(const std::string& text, const KnobSpec& spec,
                                           Knobs& k) {
  const auto bad = [&](const std::string& item) {
    return "--" + std::string(spec.option) + ": '" + item + "' is not a rate (10M, 100Mbit)";
  };
  if (spec.type == KnobType::rate) {
    const auto v = parse_rate(text);
    if (!v) return bad(text);
    spec.put(k, *v);
    return std::nullopt;
  }
  std::stringstream ss(text);
  std::string item;
  std::vector<double> list;
  while (std::getline(ss, item, ',')) {
    const auto v = parse_rate(item);
    if (!v) return bad(item);
    list.push_back(static_cast<double>(*v));
  }
  spec.put_list(k, std::move(list));
  return std::nullopt;
}

// Reads one knob's command-line option (if given) into `k`. Numbers above the declared
// maximum are rejected here, before they are narrowed into the Knobs field; the rest of the
// range is validate()'s job.
std::optional<std::string> parse_knob(const cxxopts::ParseResult& r, const KnobSpec& spec,
                                      Knobs& k) {
  const std::string name(spec.option);
  switch (spec.type) {
    case KnobType::count: {
      spec.put(k, r[name].as<std::uint32_t>());
      return std::nullopt;
    }
    case KnobType::bytes: {
      const auto text = r[name].as<std::string>();
      auto v = parse_size(text);
      if (!v) return "--" + name + ": '" + text + "' is not a size";
      if (*v > spec.range.max) {
        auto err =
            *in_range(std::string(spec.range.name).c_str(), *v, spec.range.min, spec.range.max);
        if (spec.range.zero_allowed) err += " (or 0 for automatic)";
        return err;
      }
      spec.put(k, *v);
      return std::nullopt;
    }
    case KnobType::name:
      spec.put_name(k, r[name].as<std::string>());
      return std::nullopt;
    case KnobType::weights: {
      std::stringstream ss(r[name].as<std::string>());
      std::string item;
      std::vector<double> list;
      while (std::getline(ss, item, ',')) {
        try {
          std::size_t used = 0;
          list.push_back(std::stod(item, &used));
          if (used != item.size()) throw std::invalid_argument(item);
        } catch (const std::exception&) {
          return "--" + name + ": '" + item + "' is not a number";
        }
      }
      spec.put_list(k, std::move(list));
      return std::nullopt;
    }
    case KnobType::rate:
    case KnobType::rates:
      return parse_rate_knob(r[name].as<std::string>(), spec, k);
  }
  return std::nullopt;
}

// Options only one role uses (besides the knobs, whose table says so): given to the other role
// they would be silently ignored, so they are an error instead.
constexpr std::array<const char*, 11> kTxOnly{"chaos",    "connect-timeout", "no-tune", "tune-seed",
                                              "tune-log", "tune-profile",    "filter",  "cipher",
                                              "leglimit", "limit-bytes",     "delayus"};
constexpr std::array<const char*, 2> kRxOnly{"bind", "unfilter"};

std::optional<std::string> wrong_role(const cxxopts::ParseResult& r, bool rx) {
  auto given = [&](const std::string& name) { return r.count(name) > 0; };
  const char* role = rx ? "tx" : "rx";
  for (const char* name : rx ? std::span<const char* const>(kTxOnly) : kRxOnly) {
    if (given(name)) return std::string("--") + name + " is for " + role + " only";
  }
  if (!rx) return std::nullopt;
  for (const auto& spec : kKnobTable) {
    if (!spec.rx_too && given(std::string(spec.option))) {
      return "--" + std::string(spec.option) + " is for tx only";
    }
  }
  return std::nullopt;
}

std::optional<std::string> expected_size(const cxxopts::ParseResult& r,
                                         std::optional<std::uint64_t>& out) {
  if (!r.count("expect-bytes")) return std::nullopt;
  const auto text = r["expect-bytes"].as<std::string>();
  const auto v = parse_size(text);
  if (!v) return "--expect-bytes: '" + text + "' is not a size";
  out = *v;
  return std::nullopt;
}

std::optional<std::string> filter_timeout(const cxxopts::ParseResult& r,
                                          sidechain::FilterCommand& filter) {
  if (!r.count("filter-timeout")) return std::nullopt;
  const auto s = r["filter-timeout"].as<std::uint32_t>();
  if (auto e = in_range("filter-timeout", s, 1, 86400)) return e;
  filter.stall_timeout = std::chrono::seconds(s);
  return std::nullopt;
}

// --compress and --filter. Compression is opt-in (it gives up the zero-copy paths): unless
// the user says `auto`, the tuner leaves the codec and the workers alone. Needs c.tune set.
std::optional<std::string> sidechain_options(const cxxopts::ParseResult& r, Config& c) {
  auto& k = c.tx.knobs;
  if (k.compress == "auto") {
    c.tx.compress_auto = true;
    k.compress = "lz4";  // where the search starts: cheap, and already worth it on most data
  } else if (k.compress == "zstd") {
    k.compress = "zstd:3";  // zstd's own default level
  }
  if (auto e = filter_timeout(r, c.tx.filter)) return e;
  if (r.count("filter")) {
    c.tx.filter.command = r["filter"].as<std::string>();
    if (c.tx.filter.command.empty()) return "--filter needs a command";
    if (k.compress != "none" || c.tx.compress_auto)
      return "--filter and --compress: choose one (compress inside the filter, e.g. 'zstd -1')";
    // The raw frame's checksum travels with it, so an --unfilter that does not invert the
    // filter is caught instead of written.
    c.tx.checksums = true;
    // A process per frame: bigger frames spread its start-up cost (1 GB of a tar of /usr
    // through 'gzip -1' / 'gzip -dc' on loopback, 2 cores, --no-tune: 66 MB/s with 4M frames,
    // 69-73 with 8M, 78 with 16M; 1M frames ran at about half of 4M). The frame size is not a
    // gene here: the tuner would only try smaller, slower ones. At most kMaxFilterFrame, so
    // that a filter may double a frame (base64 adds a third, gzip a little on random data)
    // and still fit the wire's 16 MiB payload. The transmitter still shrinks frames on slow
    // legs (Transmitter::frame_size_locked).
    constexpr std::uint64_t kMaxFilterFrame = wire::kMaxPayload / 2;
    if (!has(c.pinned, KnobId::frame_bytes)) {
      k.frame_bytes =
          static_cast<std::uint32_t>(std::min<std::uint64_t>(kMaxFilterFrame, k.window_bytes / 2));
      set(c.pinned, KnobId::frame_bytes);
    } else if (k.frame_bytes > kMaxFilterFrame) {
      return "--frame-size with --filter is at most 8M: the filter's output of a frame must fit "
             "the wire's 16M frame";
    }
  }
  // `auto` with the tuner: the codec and the stage's workers are genes (the tuner credits each
  // codec with the stream bytes of its own frames, see tuner/README "Compression"). `auto`
  // without it: the sidechain's own feedback moves the codec. Otherwise they are the user's.
  c.tx.compress_tuned = c.tx.compress_auto && c.tune;
  if (c.tx.compress_tuned) {
    unset(c.pinned, KnobId::compress);
  } else {
    c.pinned |= opt_in_genes();
  }
  return std::nullopt;
}

// --key-file (both roles) and --cipher (tx).
std::optional<std::string> key_options(const cxxopts::ParseResult& r, Config& c) {
  if (!r.count("key-file")) {
    if (r.count("cipher")) return "--cipher needs --key-file";
    return std::nullopt;
  }
  auto loaded = crypto::load_key_file(r["key-file"].as<std::string>());
  if (auto* error = std::get_if<std::string>(&loaded)) return *error;
  auto key = std::make_shared<const crypto::Secret>(std::move(std::get<crypto::Secret>(loaded)));
  c.tx.key = c.rx.key = key;
  const auto name = r.count("cipher") ? r["cipher"].as<std::string>() : std::string("auto");
  const auto cipher = crypto::parse_cipher(name);
  if (!cipher) {
    return "--cipher: '" + name + "' is not one of aes-256-gcm, chacha20-poly1305, auto";
  }
  c.tx.cipher = *cipher;
  return std::nullopt;
}

// "123" or "0x7b" (the original's smoke tests write leglimit 0x800, prbs 0xd00f).
std::optional<std::uint64_t> parse_number(const std::string& text) {
  const bool hex = text.starts_with("0x") || text.starts_with("0X");
  const std::string digits = hex ? text.substr(2) : text;
  if (digits.empty() || digits.size() > (hex ? 16U : 20U)) return std::nullopt;
  std::uint64_t v = 0;
  for (char ch : digits) {
    const int d = std::isdigit(static_cast<unsigned char>(ch)) ? ch - '0'
                  : hex && std::isxdigit(static_cast<unsigned char>(ch))
                      ? std::tolower(static_cast<unsigned char>(ch)) - 'a' + 10
                      : -1;
    if (d < 0) return std::nullopt;
    const std::uint64_t base = hex ? 16 : 10;
    if (v > (std::numeric_limits<std::uint64_t>::max() - static_cast<std::uint64_t>(d)) / base)
      return std::nullopt;
    v = v * base + static_cast<std::uint64_t>(d);
  }
  return v;
}

std::variant<std::uint64_t, std::string> number_option(const cxxopts::ParseResult& r,
                                                       const char* name) {
  const auto text = r[name].as<std::string>();
  if (auto v = parse_number(text)) return *v;
  return std::string(name) + ": '" + text + "' is not a number";
}

// charmode, prbs, leglimit / --limit-bytes, delayus: the original's words.
std::optional<std::string> stream_words(const cxxopts::ParseResult& r, Config& c) {
  c.tx.charmode = r.count("charmode") > 0;
  if (r.count("prbs")) {
    auto seed = number_option(r, "prbs");
    if (auto* e = std::get_if<std::string>(&seed)) return *e;
    c.prbs_seed = std::get<std::uint64_t>(seed);
  }
  if (r.count("leglimit") && r.count("limit-bytes"))
    return "leglimit and --limit-bytes: choose one";
  if (r.count("leglimit")) {
    auto chunks = number_option(r, "leglimit");
    if (auto* e = std::get_if<std::string>(&chunks)) return *e;
    const auto n = std::get<std::uint64_t>(chunks);
    if (n > std::numeric_limits<std::uint64_t>::max() / (2 * MiB))
      return "leglimit " + std::to_string(n) + " is too large";
    c.tx.limit_bytes = n * 2 * MiB;
  }
  if (r.count("limit-bytes")) {
    const auto text = r["limit-bytes"].as<std::string>();
    const auto v = parse_size(text);
    if (!v) return "--limit-bytes: '" + text + "' is not a size";
    c.tx.limit_bytes = *v;
  }
  if (r.count("delayus")) {
    auto us = number_option(r, "delayus");
    if (auto* e = std::get_if<std::string>(&us)) return *e;
    if (auto e = in_range("delayus", std::get<std::uint64_t>(us), 0, 3600ULL * 1000 * 1000))
      return e;
    c.tx.delay_per_chunk = std::chrono::microseconds(std::get<std::uint64_t>(us));
  }
  return std::nullopt;
}

// terminate [ADDR:]PORT / initiate HOST PORT: a tunnel needs both directions.
std::optional<std::string> tunnel_words(const cxxopts::ParseResult& r, Config& c) {
  const bool terminate = r.count("terminate") > 0;
  const bool initiate = r.count("initiate") > 0;
  if (!terminate && !initiate) return std::nullopt;
  if (terminate && initiate) return "terminate and initiate: choose one (one per end of a tunnel)";
  const char* word = terminate ? "terminate" : "initiate";
  if (c.mode != Config::Mode::duplex)
    return std::string(word) + " needs rx PORT and tx HOST PORT (the tunnel's two directions)";
  if (c.prbs_seed) return std::string(word) + " and prbs: choose one (what the tunnel carries)";
  auto& t = c.tunnel;
  if (initiate) {
    const auto text = r["initiate"].as<std::string>();
    auto target = parse_target(text);
    if (!target) return "initiate: '" + text + "' is not HOST PORT";
    t.kind = TunnelConfig::Kind::initiate;
    t.target = *target;
    return std::nullopt;
  }
  const auto text = r["terminate"].as<std::string>();
  t.kind = TunnelConfig::Kind::terminate;
  if (auto port = parse_port(text)) {
    t.port = *port;
    return std::nullopt;
  }
  auto where = parse_target(text);
  if (!where) return "terminate: '" + text + "' is not [ADDR:]PORT";
  t.bind_address = where->host;
  t.port = where->port;
  return std::nullopt;
}

std::optional<std::string> rx_options(const cxxopts::ParseResult& r, Config& c) {
  auto port = parse_port(r["rx"].as<std::string>());
  if (!port) return "rx: '" + r["rx"].as<std::string>() + "' is not a port (1-65535)";
  c.rx.port = *port;
  if (r.count("bind")) c.rx.bind_address = r["bind"].as<std::string>();
  // The receiver takes the knobs the table marks rx_too: its sockets' buffers, and the
  // window, which bounds what it holds for reordering.
  Knobs rx_knobs;
  for (const auto& spec : kKnobTable) {
    if (!spec.rx_too || !r.count(std::string(spec.option))) continue;
    if (auto e = parse_knob(r, spec, rx_knobs)) return e;
  }
  if (r.count("window")) {
    rx_knobs.frame_bytes = static_cast<std::uint32_t>(kFrameRange.min);  // not the rx's concern
    c.rx.window_bytes = rx_knobs.window_bytes;
  }
  if (auto e = validate(rx_knobs)) return e;
  c.rx.rcvbuf_bytes = rx_knobs.rcvbuf_bytes;
  c.rx.sidechain_workers = rx_knobs.sidechain_workers;
  if (r.count("unfilter")) {
    c.rx.unfilter.command = r["unfilter"].as<std::string>();
    if (c.rx.unfilter.command.empty()) return "--unfilter needs a command";
  }
  if (auto e = filter_timeout(r, c.rx.unfilter)) return e;
  if (r.count("outage-timeout"))
    c.rx.max_outage = std::chrono::seconds(r["outage-timeout"].as<std::uint32_t>());
  return expected_size(r, c.rx.expect_bytes);
}

std::optional<std::string> tx_options(const cxxopts::ParseResult& r, Config& c) {
  for (const auto& t : r["tx"].as<std::vector<std::string>>()) {
    auto target = parse_target(t);
    if (!target) return "tx: '" + t + "' is not HOST PORT";
    c.tx.targets.push_back(*target);
  }
  auto& k = c.tx.knobs;
  for (const auto& spec : kKnobTable) {
    if (!r.count(std::string(spec.option))) continue;
    if (auto e = parse_knob(r, spec, k)) return e;
    set(c.pinned, spec.id);
  }
  c.tune = r.count("no-tune") == 0;
  if (auto e = sidechain_options(r, c)) return e;
  // A window too small for the default frame shrinks the frame, unless the user chose both.
  if (has(c.pinned, KnobId::window_bytes) && !has(c.pinned, KnobId::frame_bytes) &&
      k.window_bytes < 2ULL * k.frame_bytes) {
    k.frame_bytes =
        static_cast<std::uint32_t>(std::max<std::uint64_t>(kFrameRange.min, k.window_bytes / 2));
  }
  if (has(c.pinned, KnobId::link_weights) && k.link_weights.size() != c.tx.targets.size()) {
    return "--link-weights needs one weight per tx target (" + std::to_string(c.tx.targets.size()) +
           ")";
  }
  if (has(c.pinned, KnobId::link_rates) && k.link_rates.size() != c.tx.targets.size()) {
    return "--link-rates needs one rate per tx target (" + std::to_string(c.tx.targets.size()) +
           ")";
  }
  if (auto e = validate(k)) return e;
  if (r.count("chaos")) {
    c.tx.chaos = r["chaos"].as<std::uint32_t>();
    if (c.tx.chaos == 1) return "chaos 1 would kill every frame's leg; use 2 or more (0 = off)";
  }
  if (r.count("outage-timeout")) {
    c.tx.outage_timeout = std::chrono::seconds(r["outage-timeout"].as<std::uint32_t>());
  }
  if (auto e = expected_size(r, c.tx.expect_bytes)) return e;
  if (r.count("connect-timeout")) {
    const auto s = r["connect-timeout"].as<std::uint32_t>();
    if (auto e = in_range("connect-timeout", s, 1, 600)) return e;
    c.tx.connect_timeout = std::chrono::seconds(s);
  }
  if (r.count("tune-seed")) c.tune_seed = r["tune-seed"].as<std::uint64_t>();
  if (r.count("tune-log")) c.tune_log = r["tune-log"].as<std::string>();
  if (r.count("tune-profile")) c.tune_profile = r["tune-profile"].as<std::string>();
  return std::nullopt;
}

std::variant<Config, UsageError> build(const cxxopts::ParseResult& r) {
  Config c;
  if (r.count("help")) return c;
  if (r.count("version")) {
    c.mode = Config::Mode::version;
    return c;
  }
  if (r.count("genkey")) {
    if (r.count("rx") || r.count("tx")) return UsageError{"genkey is a command of its own"};
    c.mode = Config::Mode::genkey;
    c.genkey_path = r["genkey"].as<std::string>();
    if (c.genkey_path.empty()) return UsageError{"genkey needs a file name"};
    return c;
  }
  const bool rx = r.count("rx") > 0;
  const bool tx = r.count("tx") > 0;
  if (!rx && !tx) return UsageError{"say rx PORT or tx HOST PORT (or both, for full duplex)"};
  if (r.count("rx") > 1) return UsageError{"rx takes a single port"};
  c.mode = rx && tx ? Config::Mode::duplex : rx ? Config::Mode::rx : Config::Mode::tx;
  // In full duplex every option has a direction that uses it.
  if (c.mode != Config::Mode::duplex) {
    if (auto e = wrong_role(r, rx)) return UsageError{*e};
  }

  std::string phrase =
      r.count("checkphrase") ? r["checkphrase"].as<std::string>() : kDefaultCheckphrase;
  auto cp = wire::make_checkphrase(phrase);
  if (!cp || phrase.empty()) return UsageError{"checkphrase must be 1 to 4 bytes"};
  c.tx.checkphrase = c.rx.checkphrase = *cp;

  if (r.count("verbose")) {
    c.verbosity = r["verbose"].as<int>();
    if (auto e = in_range("verbose", c.verbosity, 0, 9)) return UsageError{*e};
  }
  c.tx.progress = c.rx.progress = r.count("progress") > 0;
  c.tx.checksums = c.rx.require_checksums = r.count("checksum") > 0;
  c.tx.zero_copy = c.rx.zero_copy = r.count("no-zero-copy") == 0;
  if (r.count("metrics")) c.metrics = r["metrics"].as<std::string>();
  if (r.count("stats-json")) c.stats_json = r["stats-json"].as<std::string>();
  if (auto e = key_options(r, c)) return UsageError{*e};
  if (auto e = stream_words(r, c)) return UsageError{*e};
  if (auto e = tunnel_words(r, c)) return UsageError{*e};
  if (rx) {
    if (auto e = rx_options(r, c)) return UsageError{*e};
  }
  if (tx) {
    if (auto e = tx_options(r, c)) return UsageError{*e};
  }
  return c;
}

}  // namespace

std::optional<std::uint64_t> parse_size(const std::string& text) {
  std::size_t i = 0;
  std::uint64_t v = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (v > std::numeric_limits<std::uint64_t>::max() / 10) return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(text[i++] - '0');
  }
  if (i == 0) return std::nullopt;
  std::string suffix = text.substr(i);
  for (auto& ch : suffix) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  static const std::map<std::string, std::uint64_t> units{
      {"", 1},     {"b", 1},     {"k", KiB}, {"kb", KiB}, {"kib", KiB}, {"m", MiB},
      {"mb", MiB}, {"mib", MiB}, {"g", GiB}, {"gb", GiB}, {"gib", GiB}};
  auto it = units.find(suffix);
  if (it == units.end()) return std::nullopt;
  if (v > std::numeric_limits<std::uint64_t>::max() / it->second) return std::nullopt;
  return v * it->second;
}

std::variant<Config, UsageError> parse_command_line(int argc, const char* const* argv) {
  auto translated = translate_words(argc, argv);
  if (auto* err = std::get_if<UsageError>(&translated)) return *err;
  auto& args = std::get<std::vector<std::string>>(translated);
  std::vector<const char*> ptrs;
  for (const auto& a : args) ptrs.push_back(a.c_str());
  try {
    auto options = make_options();
    auto result = options.parse(static_cast<int>(ptrs.size()), ptrs.data());
    if (!result.unmatched().empty())
      return UsageError{"unexpected '" + result.unmatched()[0] + "'"};
    auto config = build(result);
    if (auto* c = std::get_if<Config>(&config); c && c->runs_tx()) {
      auto k = c->tx.knobs;
      if (k.legs > k.legs_per_link_max * c->tx.targets.size()) {
        return UsageError{"threads " + std::to_string(k.legs) + " exceed legs-per-link " +
                          std::to_string(k.legs_per_link_max) + " x " +
                          std::to_string(c->tx.targets.size()) + " targets"};
      }
    }
    return config;
  } catch (const cxxopts::exceptions::exception& e) {
    return UsageError{e.what()};
  }
}

std::string usage_text() {
  std::string text =
      "usage: viamillipede rx PORT [options]              (receive; stream to stdout)\n"
      "       viamillipede tx HOST PORT [tx HOST PORT ...] [options]   (send stdin)\n"
      "       viamillipede rx PORT tx HOST PORT [options]     (full duplex: stdin out, stdout in)\n"
      "       viamillipede rx PORT tx HOST PORT terminate PORT | initiate HOST PORT  (a TCP "
      "tunnel)\n"
      "       viamillipede genkey FILE                          (a new key for --key-file)\n"
      "words as in the original: threads N, checksum, chaos N, verbose N, checkphrase WORD,\n"
      "  charmode, prbs SEED, leglimit N, delayus N, terminate PORT, initiate HOST PORT\n";
  auto o = make_options();
  return text + o.help({"mode", "transfer", "knobs", "observe", "tuner"});
}

std::string version_text() {
  // VMP_VERSION is the project(VERSION) of the top CMakeLists.txt (see src/CMakeLists.txt).
  return std::string("viamillipede ") + VMP_VERSION + " (wire protocol " +
         std::to_string(wire::kVersion) + ")\n";
}

}  // namespace vmp
