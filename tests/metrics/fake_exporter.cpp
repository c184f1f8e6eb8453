// Serves a synthetic running transfer (a transmitter and a receiver, counters advancing on
// every scrape, tuner reports included) on two ephemeral loopback ports, for tests that need
// real exposition over HTTP without the transfer core. Prints "tx HOST:PORT" and
// "rx HOST:PORT", then serves until stdin reaches end of file.
#include <iostream>
#include <string>

#include "fake_stats.hpp"
#include "vmp/metrics/exporter.hpp"

int main() {
  using namespace vmp::metrics;
  vmp::Stats tx_stats = test::sample_tx();
  tx_stats.last_tuning = test::sample_tuning();
  tx_stats.tuning_generations = 18;
  test::FakeSource tx(tx_stats);
  test::FakeSource rx(test::sample_rx());
  tx.on_snapshot(test::advance);
  rx.on_snapshot(test::advance);
  try {
    Exporter tx_exporter("127.0.0.1:0", tx);
    Exporter rx_exporter("127.0.0.1:0", rx);
    std::cout << "tx " << tx_exporter.endpoint() << "\nrx " << rx_exporter.endpoint() << std::endl;
    std::string ignored;
    while (std::getline(std::cin, ignored)) {
    }
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
  return 0;
}
