#include "app/run_transfer.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "app/observers.hpp"
#include "rx/receiver.hpp"
#include "streams/prbs_checker.hpp"
#include "streams/prbs_generator.hpp"
#include "streams/tcp_tunnel.hpp"
#include "tx/transmitter.hpp"
#include "util/fd_limit.hpp"
#include "util/pipe_capacity.hpp"
#include "vmp/tuner/tuner.hpp"

namespace vmp::app {
namespace {

// What an `initiate` tunnel waits for before it dials: the receiver adopted a session (the
// tunnel's stream starts), or the receiver ended without one.
class StreamStart {
 public:
  enum class State { waiting, started, ended };
  void set(State s) {
    {
      std::lock_guard lock(mutex_);
      if (state_ == State::waiting) state_ = s;
    }
    changed_.notify_all();
  }
  State wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return state_ != State::waiting; });
    return state_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  State state_ = State::waiting;
};

// prbs replaces stdin; a stdin that carries something (not a terminal, not /dev/null) is
// worth one line, so nobody wonders where their data went.
void say_stdin_ignored(const Logger& log) {
  struct stat st {};
  if (::isatty(STDIN_FILENO) || ::fstat(STDIN_FILENO, &st) != 0) return;
  const bool dev_null = S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
  if (!dev_null) log.error("prbs: sending the pattern; stdin is not read");
}

// Full duplex: stdout's reader sees its end of file when our receiving direction ends, not
// when the whole process does (a far end that echoes our stream back waits for that EOF
// before its own direction can end). /dev/null takes fd 1's place, so no later open() gets it.
void release_stdout() {
  const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null_fd < 0) {
    ::close(STDOUT_FILENO);
    return;
  }
  ::dup2(null_fd, STDOUT_FILENO);
  ::close(null_fd);
}

class TransferRun {
 public:
  explicit TransferRun(const Config& cfg)
      : cfg_(cfg),
        tx_log_("viamillipede tx", cfg.verbosity),
        rx_log_("viamillipede rx", cfg.verbosity),
        observers_(cfg, cfg.runs_tx() ? tx_log_ : rx_log_) {}
  TransferRun(const TransferRun&) = delete;
  TransferRun& operator=(const TransferRun&) = delete;

  int run() {
    if (auto code = start(); code != ExitCode::ok) return to_int(code);
    switch (cfg_.tunnel.kind) {
      case TunnelConfig::Kind::none:
        run_streams();
        break;
      case TunnelConfig::Kind::terminate:
        run_terminate();
        break;
      case TunnelConfig::Kind::initiate:
        run_initiate();
        break;
    }
    observers_.write_json();
    observers_.detach();
    return to_int(tx_code_ != ExitCode::ok ? tx_code_ : rx_code_);
  }

 private:
  ExitCode fail(const Logger& log, ExitCode code, const std::string& message) {
    log.error(message);
    return code;
  }

  // Builds the engines (each listens or checks its options at once, so a port in use or a bad
  // tune log is reported before anything moves) and attaches the observers.
  ExitCode start() {
    if (cfg_.runs_rx()) {
      EngineHooks hooks = observers_.hooks();
      hooks.on_session = [this] { stream_start_.set(StreamStart::State::started); };
      // With prbs, the stream is complete once the checker has seen every byte of it.
      if (cfg_.prbs_seed)
        hooks.settle_sink = [this](std::uint64_t bytes) {
          return checker_ ? checker_->wait_checked(bytes) : std::string();
        };
      try {
        RxConfig rx_cfg = cfg_.rx;
        if (cfg_.tunnel.kind != TunnelConfig::Kind::none)
          rx_cfg.sink_name = "the tunnelled connection";
        rx_ = std::make_unique<Receiver>(std::move(rx_cfg), rx_log_, hooks);
      } catch (const std::exception& e) {
        return fail(rx_log_, ExitCode::network, e.what());
      }
      rx_log_.info(1, "listening on port " + std::to_string(rx_->port()) + " (up to " +
                          std::to_string(raise_fd_limit()) + " open files)");
    }
    if (cfg_.tunnel.kind == TunnelConfig::Kind::terminate) {
      try {
        listener_.emplace(cfg_.tunnel.bind_address, cfg_.tunnel.port);
      } catch (const std::exception& e) {
        return fail(tx_log_, ExitCode::network, e.what());
      }
    }
    std::vector<const StatsSource*> sources;
    if (cfg_.runs_tx()) {
      tx_ = std::make_unique<Transmitter>(cfg_.tx, tx_log_, observers_.hooks());
      sources.push_back(tx_.get());
    }
    if (rx_) sources.push_back(rx_.get());
    try {
      observers_.attach(std::move(sources));
    } catch (const std::exception& e) {
      return fail(tx_ ? tx_log_ : rx_log_, ExitCode::network, e.what());
    }
    if (tx_ && cfg_.tune) {
      tuner::TunerOptions opts;
      opts.seed = cfg_.tune_seed;
      opts.log_path = cfg_.tune_log;
      opts.profile_path = cfg_.tune_profile;
      opts.pinned = cfg_.pinned;
      opts.link_count = cfg_.tx.targets.size();
      // --compress auto: the stage's feedback picks the codec the search starts from, during
      // the time the search would only measure the start and the defaults anyway.
      if (cfg_.tx.compress_tuned) opts.codec_feedback_seconds = opts.explore_after_seconds;
      opts.warn = [this](std::string_view msg) { tx_log_.error(std::string(msg)); };
      try {
        tuner_ = std::make_unique<tuner::Tuner>(*tx_, std::move(opts));
      } catch (const std::exception& e) {
        return fail(tx_log_, ExitCode::usage, e.what());
      }
    }
    return ExitCode::ok;
  }

  void send(int in_fd) {
    if (tuner_) tuner_->start();
    tx_code_ = tx_->run(in_fd);
    if (tuner_) tuner_->stop();
    if (tx_code_ != ExitCode::ok) tx_log_.error(tx_->message());
  }

  void receive(int out_fd) {
    rx_code_ = rx_->run(out_fd);
    if (rx_code_ != ExitCode::ok) rx_log_.error(rx_->message());
  }

  // Runs receive() on its own thread when both directions run, else on this one.
  template <typename Body>
  std::jthread receive_beside(Body body) {
    if (!tx_) {
      body();
      return {};
    }
    return std::jthread(body);
  }

  // stdin -> tx, rx -> stdout (either or both), or the prbs pattern in their place.
  void run_streams() {
    std::optional<streams::PrbsGenerator> generator;
    int in_fd = STDIN_FILENO;
    int out_fd = STDOUT_FILENO;
    if (tx_ && cfg_.prbs_seed) {
      say_stdin_ignored(tx_log_);
      generator.emplace(*cfg_.prbs_seed);
      in_fd = generator->read_fd();
    } else if (tx_) {
      widen_if_pipe(STDIN_FILENO);
    }
    if (rx_) {
      widen_if_pipe(STDOUT_FILENO);
      if (cfg_.prbs_seed) {
        checker_.emplace(*cfg_.prbs_seed, STDOUT_FILENO,
                         [this](ExitCode code, const std::string& why) {
                           rx_->stop(wire::AbortCode::sink_failed, code, why);
                         });
        out_fd = checker_->write_fd();
      }
    }
    const auto receive_and_check = [this, out_fd] {
      receive(out_fd);
      if (!checker_) return;
      // (A failure after completion cannot happen: completion waited for the check.)
      const auto checked = checker_->finish();
      if (checked != ExitCode::ok && rx_code_ == ExitCode::ok) {
        rx_code_ = checked;
        rx_log_.error(checker_->message());
      }
      if (rx_code_ == ExitCode::ok)
        rx_log_.info(1,
                     "prbs: " + std::to_string(checker_->bytes_checked()) + " bytes as expected");
    };
    const auto receive_then_release = [this, &receive_and_check] {
      receive_and_check();
      if (tx_) release_stdout();
    };
    std::jthread rx_thread;
    if (rx_) rx_thread = receive_beside(receive_then_release);
    if (tx_) send(in_fd);
  }

  // One direction of a tunnel failed: the other has nothing left to carry, and the
  // connection ends for its peer too. (Each is called on the thread that ran the direction.)
  void tx_failed(int socket_fd) {
    rx_->stop(wire::AbortCode::shutdown, tx_code_, "the tunnel's other direction failed");
    ::shutdown(socket_fd, SHUT_RDWR);
  }
  void rx_failed(int socket_fd) {
    tx_->stop(rx_code_, "the tunnel's other direction failed");
    if (socket_fd >= 0) ::shutdown(socket_fd, SHUT_RDWR);
  }

  // terminate: one client's connection is the source of tx and the sink of rx.
  void run_terminate() {
    UniqueFd client;
    tx_log_.info(1, "terminate: waiting for a connection on " + listener_->endpoint());
    try {
      client = listener_->accept_one();
    } catch (const std::exception& e) {
      tx_code_ = fail(tx_log_, ExitCode::network, e.what());
      return;
    }
    tx_log_.info(1, "terminate: carrying a connection");
    const int fd = client.get();
    auto rx_thread = std::jthread([this, fd] {
      receive(fd);
      if (rx_code_ == ExitCode::ok)
        ::shutdown(fd, SHUT_WR);  // the client reads its end of file
      else
        rx_failed(fd);
    });
    send(fd);
    if (tx_code_ != ExitCode::ok) tx_failed(fd);
  }

  // initiate: rx runs at once (into a pipe); when its session starts we dial the target and
  // the connection becomes the source of tx, while a pump moves the pipe into it.
  void run_initiate() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      tx_code_ = fail(tx_log_, ExitCode::internal, "initiate: cannot make a pipe");
      return;
    }
    UniqueFd pipe_out(fds[0]);
    UniqueFd pipe_in(fds[1]);
    widen_if_pipe(pipe_in.get());
    UniqueFd connection;
    std::promise<bool> dialled;
    auto rx_thread = std::jthread([this, &pipe_in] {
      receive(pipe_in.get());
      pipe_in.reset();  // the pump's end of file
      stream_start_.set(StreamStart::State::ended);
      if (rx_code_ != ExitCode::ok) rx_failed(-1);  // the pump shuts the connection
    });
    auto pump = std::jthread([this, &pipe_out, &connection, &dialled] {
      if (stream_start_.wait() != StreamStart::State::started) {
        dialled.set_value(false);
        return;
      }
      auto dial = streams::dial_tunnel(cfg_.tunnel.target, cfg_.tx.connect_timeout);
      if (auto* why = std::get_if<std::string>(&dial)) {
        rx_->stop(wire::AbortCode::sink_failed, ExitCode::network, *why);
        dialled.set_value(false);
        streams::drain(pipe_out.get());  // what arrives meanwhile has nowhere to go
        return;
      }
      connection = std::move(std::get<UniqueFd>(dial));
      tx_log_.info(1, "initiate: connected to " + cfg_.tunnel.target.label());
      dialled.set_value(true);
      const auto error =
          streams::pump_to_socket(pipe_out.get(), connection.get(), cfg_.tunnel.target.label());
      if (!error.empty()) rx_->stop(wire::AbortCode::sink_failed, ExitCode::sink, error);
      pipe_out.reset();  // a writer blocked on the full pipe gets EPIPE
    });
    if (!dialled.get_future().get()) return;
    send(connection.get());
    if (tx_code_ != ExitCode::ok) tx_failed(connection.get());
  }

  const Config& cfg_;
  Logger tx_log_;
  Logger rx_log_;
  StreamStart stream_start_;
  std::optional<streams::TunnelListener> listener_;
  std::unique_ptr<Receiver> rx_;
  std::unique_ptr<Transmitter> tx_;
  std::unique_ptr<tuner::Tuner> tuner_;          // after tx_, which it steers: stopped first
  std::optional<streams::PrbsChecker> checker_;  // prbs on rx; calls rx_ (so after it)
  // Last, so destroyed first: no scrape may read an engine being destroyed.
  Observers observers_;
  ExitCode tx_code_ = ExitCode::ok;
  ExitCode rx_code_ = ExitCode::ok;
};

}  // namespace

int run_transfer(const Config& cfg) {
  TransferRun run(cfg);
  return run.run();
}

}  // namespace vmp::app
