#include "tx/rate_limiter.hpp"

#include <algorithm>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <limits>

namespace vmp {
namespace {

std::uint64_t link_rate(const Knobs& k, std::size_t link) {
  return link < k.link_rates.size() ? static_cast<std::uint64_t>(k.link_rates[link]) : 0;
}

asio::awaitable<void> wait(RateLimiter::Clock::duration d) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(d);
  // Throws when the leg is torn down (the race of its loops cancels the wait): it ends.
  co_await timer.async_wait(asio::use_awaitable);
}

}  // namespace

RateLimiter::RateLimiter(std::size_t links, const Knobs& knobs)
    : global_(knobs.rate_limit, Clock::now()) {
  const auto now = Clock::now();
  for (std::size_t i = 0; i < links; ++i) {
    links_.push_back(std::make_unique<TokenBucket>(link_rate(knobs, i), now));
  }
}

void RateLimiter::set(const Knobs& knobs) {
  const auto now = Clock::now();
  global_.set_rate(knobs.rate_limit, now);
  for (std::size_t i = 0; i < links_.size(); ++i) links_[i]->set_rate(link_rate(knobs, i), now);
}

const TokenBucket* RateLimiter::link_bucket(std::size_t link) const {
  return link < links_.size() ? links_[link].get() : nullptr;
}

bool RateLimiter::limited(std::size_t link) const {
  const auto* l = link_bucket(link);
  return global_.rate() != 0 || (l && l->rate() != 0);
}

std::size_t RateLimiter::piece(std::size_t link) const {
  std::uint64_t piece = std::numeric_limits<std::size_t>::max();
  if (global_.rate() != 0) piece = std::min(piece, global_.depth());
  if (const auto* l = link_bucket(link); l && l->rate() != 0) piece = std::min(piece, l->depth());
  return static_cast<std::size_t>(piece);
}

asio::awaitable<RateLimiter::Clock::duration> RateLimiter::acquire(std::size_t link,
                                                                   std::size_t bytes) {
  // The link first, then the whole: tokens of the global bucket are taken only when the link
  // lets the bytes go, so a slow link does not sit on the transfer's share meanwhile.
  Clock::duration waited{};
  if (link < links_.size()) {
    if (const auto d = links_[link]->reserve(bytes, Clock::now()); d > Clock::duration::zero()) {
      co_await wait(d);
      waited += d;
    }
  }
  if (const auto d = global_.reserve(bytes, Clock::now()); d > Clock::duration::zero()) {
    co_await wait(d);
    waited += d;
  }
  waited_ns_.fetch_add(static_cast<std::uint64_t>(
                           std::chrono::duration_cast<std::chrono::nanoseconds>(waited).count()),
                       std::memory_order_relaxed);
  co_return waited;
}

double RateLimiter::wait_seconds() const {
  return static_cast<double>(waited_ns_.load(std::memory_order_relaxed)) / 1e9;
}

std::size_t LinkPacer::piece() const {
  return limiter_ ? limiter_->piece(link_) : std::numeric_limits<std::size_t>::max();
}

asio::awaitable<void> LinkPacer::acquire(std::size_t bytes) {
  if (!limited()) co_return;
  waited_ += co_await limiter_->acquire(link_, bytes);
}

}  // namespace vmp
