#include "cli/options.hpp"

#include <gtest/gtest.h>

namespace vmp {
namespace {

std::variant<Config, UsageError> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "viamillipede");
  return parse_command_line(static_cast<int>(args.size()), args.data());
}

Config ok(std::vector<const char*> args) {
  auto r = parse(std::move(args));
  if (auto* e = std::get_if<UsageError>(&r)) ADD_FAILURE() << e->message;
  return std::get<Config>(r);
}

std::string error(std::vector<const char*> args) {
  auto r = parse(std::move(args));
  if (auto* e = std::get_if<UsageError>(&r)) return e->message;
  ADD_FAILURE() << "expected a usage error";
  return {};
}

TEST(Options, OriginalWordSyntax) {
  auto rx = ok({"rx", "8834", "verbose", "5"});
  EXPECT_EQ(rx.mode, Config::Mode::rx);
  EXPECT_EQ(rx.rx.port, 8834);
  EXPECT_EQ(rx.verbosity, 5);

  auto tx = ok({"tx", "cheap-1g", "8834", "tx", "north-10g", "8834", "tx", "east-1g", "8834",
                "threads", "16", "checksum", "chaos", "1731", "checkphrase", "wat!"});
  EXPECT_EQ(tx.mode, Config::Mode::tx);
  ASSERT_EQ(tx.tx.targets.size(), 3u);
  EXPECT_EQ(tx.tx.targets[1].host, "north-10g");
  EXPECT_EQ(tx.tx.targets[2].port, 8834);
  EXPECT_EQ(tx.tx.knobs.legs, 16u);
  EXPECT_TRUE(tx.tx.checksums);
  EXPECT_EQ(tx.tx.chaos, 1731u);
  EXPECT_EQ(tx.tx.checkphrase, *wire::make_checkphrase("wat!"));
  EXPECT_TRUE(has(tx.pinned, KnobId::legs));
  EXPECT_FALSE(has(tx.pinned, KnobId::window_bytes));

  EXPECT_TRUE(ok({"tx", "h", "1", "checksums"}).tx.checksums);
}

TEST(Options, LongOptionsMeanTheSame) {
  auto tx = ok({"--tx", "localhost:12334", "--threads", "8", "--checksum", "--chaos", "50",
                "--verbose", "2", "--checkphrase", "wat!", "--outage-timeout", "60", "--window",
                "128M", "--frame-size", "256K", "--no-tune"});
  EXPECT_EQ(tx.tx.targets[0].host, "localhost");
  EXPECT_EQ(tx.tx.knobs.legs, 8u);
  EXPECT_EQ(tx.tx.knobs.window_bytes, 128 * MiB);
  EXPECT_EQ(tx.tx.knobs.frame_bytes, 256 * KiB);
  EXPECT_EQ(tx.tx.outage_timeout.count(), 60);
  EXPECT_FALSE(tx.tune);
  EXPECT_EQ(ok({"--rx", "9000"}).rx.port, 9000);
  EXPECT_EQ(ok({"tx", "::1", "9000"}).tx.targets[0].host, "::1");
  EXPECT_EQ(ok({"--help"}).mode, Config::Mode::help);
  EXPECT_EQ(ok({"--version"}).mode, Config::Mode::version);
}

// A filter starts a process per frame: 8 MiB frames, not a gene of the tuner, unless the user
// chose the size (at most 8 MiB: room for the filter to double it); a small window still holds
// two frames.
TEST(Options, FilterFixesTheFrameSize) {
  auto tx = ok({"tx", "h", "1", "--filter", "gzip -1"});
  EXPECT_EQ(tx.tx.filter.command, "gzip -1");
  EXPECT_EQ(tx.tx.knobs.frame_bytes, 8 * MiB);
  EXPECT_TRUE(has(tx.pinned, KnobId::frame_bytes));
  EXPECT_TRUE(tx.tx.checksums);
  EXPECT_TRUE(tx.tune);

  auto chosen = ok({"tx", "h", "1", "--filter", "gzip -1", "--frame-size", "1M"});
  EXPECT_EQ(chosen.tx.knobs.frame_bytes, 1 * MiB);

  auto small = ok({"tx", "h", "1", "--filter", "gzip -1", "--window", "4M"});
  EXPECT_EQ(small.tx.knobs.frame_bytes, 2 * MiB);
  EXPECT_FALSE(validate(small.tx.knobs));

  EXPECT_EQ(ok({"tx", "h", "1", "--filter", "cat", "--frame-size", "8M"}).tx.knobs.frame_bytes,
            8 * MiB);
  EXPECT_NE(error({"tx", "h", "1", "--filter", "cat", "--frame-size", "9M"}).find("at most 8M"),
            std::string::npos);
  EXPECT_EQ(ok({"tx", "h", "1", "--frame-size", "16M"}).tx.knobs.frame_bytes, 16 * MiB);

  EXPECT_NE(error({"tx", "h", "1", "--filter", "gzip -1", "--compress", "lz4"}).find("choose one"),
            std::string::npos);
  EXPECT_FALSE(has(ok({"tx", "h", "1"}).pinned, KnobId::frame_bytes));
}

TEST(Options, ThreadsRange) {
  for (const char* n : {"1", "16", "64"})
    EXPECT_EQ(ok({"tx", "h", "1", "threads", n}).mode, Config::Mode::tx);
  EXPECT_NE(error({"tx", "h", "1", "threads", "0"}).find("legs"), std::string::npos);
  EXPECT_FALSE(error({"tx", "h", "1", "threads", "65"}).empty());
  EXPECT_FALSE(error({"tx", "h", "1", "threads", "many"}).empty());
}

TEST(Options, BadInputGivesOneLine) {
  for (auto msg :
       {error({}), error({"rx", "0"}), error({"rx", "70000"}), error({"tx", "host"}),
        error({"frobnicate"}), error({"rx", "1", "rx", "2", "tx", "h", "2"}),
        error({"tx", "h", "1", "checkphrase", "toolong"}),
        error({"tx", "h", "1", "--window", "1K"}), error({"tx", "h", "1", "--congestion", "nope"}),
        error({"tx", "h", "1", "--frame-size", "12Q"}), error({"tx", "h", "1", "chaos", "1"}),
        error({"rx", "1", "--bogus"})}) {
    EXPECT_FALSE(msg.empty());
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(Options, SizeSuffixes) {
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("4k"), 4096u);
  EXPECT_EQ(parse_size("1MiB"), MiB);
  EXPECT_EQ(parse_size("2G"), 2 * GiB);
  EXPECT_FALSE(parse_size("x"));
  EXPECT_FALSE(parse_size("1T"));
  EXPECT_FALSE(parse_size("99999999999999999999"));
}

}  // namespace
}  // namespace vmp

namespace vmp {
namespace {

TEST(Options, OptionsOfTheOtherRoleAreRejected) {
  EXPECT_EQ(error({"rx", "9", "--frame-size", "1M"}), "--frame-size is for tx only");
  EXPECT_EQ(error({"rx", "9", "--connect-timeout", "3"}), "--connect-timeout is for tx only");
  EXPECT_EQ(error({"rx", "9", "chaos", "100"}), "--chaos is for tx only");
  EXPECT_EQ(error({"tx", "h", "9", "--bind", "::1"}), "--bind is for rx only");
  EXPECT_EQ(ok({"rx", "9", "--rcvbuf", "64K"}).rx.rcvbuf_bytes, 64 * KiB);  // both roles
  // rx: the window bounds what it holds for reordering; the outage timeout caps what a
  // transmitter may ask it to wait.
  EXPECT_EQ(ok({"rx", "9", "--window", "32M"}).rx.window_bytes, 32 * MiB);
  EXPECT_EQ(ok({"rx", "9", "--outage-timeout", "60"}).rx.max_outage, std::chrono::seconds(60));
  EXPECT_EQ(error({"rx", "9", "--window", "1K"}), "window 1024 is outside 1048576..4294967296");
  EXPECT_EQ(*ok({"tx", "h", "9", "--expect-bytes", "8M"}).tx.expect_bytes, 8 * MiB);
  EXPECT_EQ(ok({"rx", "9", "-v", "2"}).verbosity, 2);  // the README's "-v N" form
}

// The original's remaining words, as its README and smoke tests write them.
TEST(Options, FullDuplexAndTheOriginalsSmokeWords) {
  auto d = ok({"charmode", "verbose", "3", "prbs", "0xd00f", "tx", "localhost", "3434", "threads",
               "4", "rx", "3434", "leglimit", "0x800"});
  EXPECT_EQ(d.mode, Config::Mode::duplex);
  EXPECT_TRUE(d.runs_tx() && d.runs_rx());
  EXPECT_EQ(d.rx.port, 3434);
  EXPECT_EQ(d.tx.targets.at(0).port, 3434);
  EXPECT_TRUE(d.tx.charmode);
  EXPECT_EQ(d.prbs_seed, 0xd00fu);
  EXPECT_EQ(d.tx.limit_bytes, 0x800ULL * 2 * MiB);
  EXPECT_EQ(d.tunnel.kind, TunnelConfig::Kind::none);

  auto delay = ok({"rx", "1", "tx", "h", "2", "leglimit", "4", "delayus", "5000000"});
  EXPECT_EQ(delay.tx.delay_per_chunk.count(), 5000000);
  EXPECT_EQ(ok({"tx", "h", "1", "--limit-bytes", "1M"}).tx.limit_bytes, MiB);
  EXPECT_EQ(ok({"rx", "1", "prbs", "12"}).prbs_seed, 12u);  // the checking end
  EXPECT_FALSE(ok({"tx", "h", "1"}).tx.charmode);

  auto term = ok({"rx", "7788", "tx", "host2", "9900", "charmode", "terminate", "9022"});
  EXPECT_EQ(term.tunnel.kind, TunnelConfig::Kind::terminate);
  EXPECT_EQ(term.tunnel.bind_address, "127.0.0.1");
  EXPECT_EQ(term.tunnel.port, 9022);
  auto any = ok({"--rx", "1", "--tx", "h:2", "--terminate", "0.0.0.0:9022"});
  EXPECT_EQ(any.tunnel.bind_address, "0.0.0.0");
  auto init = ok({"rx", "9900", "tx", "host1", "7788", "charmode", "initiate", "localhost", "22"});
  EXPECT_EQ(init.tunnel.kind, TunnelConfig::Kind::initiate);
  EXPECT_EQ(init.tunnel.target.host, "localhost");
  EXPECT_EQ(init.tunnel.target.port, 22);
  EXPECT_EQ(ok({"--rx", "1", "--tx", "h:2", "--initiate", "[::1]:22"}).tunnel.target.host, "::1");
}

TEST(Options, BadCombinationsOfTheNewWords) {
  EXPECT_EQ(error({"rx", "1", "tx", "h", "2", "terminate", "3", "initiate", "h", "4"}),
            "terminate and initiate: choose one (one per end of a tunnel)");
  EXPECT_EQ(error({"tx", "h", "2", "terminate", "3"}),
            "terminate needs rx PORT and tx HOST PORT (the tunnel's two directions)");
  EXPECT_EQ(error({"rx", "2", "initiate", "h", "3"}),
            "initiate needs rx PORT and tx HOST PORT (the tunnel's two directions)");
  EXPECT_EQ(error({"rx", "1", "tx", "h", "2", "prbs", "1", "terminate", "3"}),
            "terminate and prbs: choose one (what the tunnel carries)");
  EXPECT_EQ(error({"tx", "h", "2", "leglimit", "1", "--limit-bytes", "5"}),
            "leglimit and --limit-bytes: choose one");
  EXPECT_EQ(error({"tx", "h", "2", "leglimit", "0xzz"}), "leglimit: '0xzz' is not a number");
  EXPECT_EQ(error({"tx", "h", "2", "prbs", "-1"}), "prbs: '-1' is not a number");
  EXPECT_EQ(error({"tx", "h", "2", "prbs", "seed"}), "prbs: 'seed' is not a number");
  EXPECT_EQ(error({"tx", "h", "2", "leglimit", "99999999999999999999"}),
            "leglimit: '99999999999999999999' is not a number");
  EXPECT_EQ(error({"tx", "h", "2", "leglimit", "0x7fffffffffffffff"}),
            "leglimit 9223372036854775807 is too large");
  EXPECT_EQ(error({"rx", "2", "leglimit", "1"}), "--leglimit is for tx only");
  EXPECT_EQ(error({"rx", "2", "delayus", "1"}), "--delayus is for tx only");
  EXPECT_EQ(error({"rx", "1", "tx", "h", "2", "terminate", "x"}),
            "terminate: 'x' is not [ADDR:]PORT");
  EXPECT_EQ(error({"rx", "1", "tx", "h", "2", "initiate", "h", "0"}),
            "initiate: 'h:0' is not HOST PORT");
  EXPECT_EQ(error({"rx", "1", "rx", "2", "tx", "h", "3"}), "rx takes a single port");
}

}  // namespace
}  // namespace vmp
