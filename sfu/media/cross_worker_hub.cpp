#include "sfu/media/cross_worker_hub.h"

#include <algorithm>

namespace sfu {
namespace {
constexpr uint64_t kConsentIntervalMs = 1000;
}  // namespace

CrossWorkerHub::CrossWorkerHub(uv_loop_t* loop, uint32_t worker_index, std::function<void()> after_drain)
    : index_(worker_index), after_drain_(std::move(after_drain)), loop_(loop) {
  doorbell_ = new uv_async_t;
  uv_async_init(loop_, doorbell_, [](uv_async_t* async) {
    auto* self = static_cast<CrossWorkerHub*>(async->data);
    if (self) self->drain(uv_now(async->loop));
  });
  doorbell_->data = this;
  wake_check_ = new uv_check_t;
  uv_check_init(loop_, wake_check_);
  wake_check_->data = this;
  uv_check_start(wake_check_, [](uv_check_t* check) {
    if (auto* self = static_cast<CrossWorkerHub*>(check->data)) self->wake_peers();
  });
  // Neither keeps the loop alive: the worker's loop runs until it is stopped.
  uv_unref(reinterpret_cast<uv_handle_t*>(doorbell_));
  uv_unref(reinterpret_cast<uv_handle_t*>(wake_check_));
}

CrossWorkerHub::~CrossWorkerHub() { close(); }

void CrossWorkerHub::close() {
  for (uv_timer_t** timer : {&consent_timer_, &handshake_timer_}) {
    if (!*timer) continue;
    (*timer)->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(*timer),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
    *timer = nullptr;
  }
  if (relay_socket_) relay_socket_->close();
  if (doorbell_) {
    doorbell_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(doorbell_),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_async_t*>(handle); });
    doorbell_ = nullptr;
  }
  if (wake_check_) {
    wake_check_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(wake_check_),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_check_t*>(handle); });
    wake_check_ = nullptr;
  }
}

void CrossWorkerHub::ring() {
  if (doorbell_) uv_async_send(doorbell_);
}

void CrossWorkerHub::attach(uint32_t peer, std::shared_ptr<CrossWorkerLink> to_peer,
                            std::shared_ptr<CrossWorkerLink> from_peer) {
  if (peer == index_) return;
  if (links_.size() <= peer) links_.resize(peer + 1);
  links_[peer] = PeerLinks{std::move(to_peer), std::move(from_peer)};
  // The peer may have pushed before this side was attached: look now.
  ring();
}

void CrossWorkerHub::drain(uint64_t now_ms) {
  size_t taken = 0;
  for (uint32_t peer = 0; peer < links_.size(); ++peer) {
    PeerLinks& links = links_[peer];
    if (!links.in || !links.out) continue;
    CrossWorkerLink& back = *links.out;
    taken +=
        links.in->drain([&](CrossWorkerPacket& packet) { tables_.dispatch(peer, packet, back, now_ms); });
  }
  if (taken > 0 && after_drain_) after_drain_();
}

void CrossWorkerHub::wake_peers() {
  for (PeerLinks& links : links_)
    if (links.out) links.out->wake_consumer();
  // The turn's relay datagrams: one sendmmsg for all.
  if (relay_socket_) relay_socket_->flush();
}

// ---- relay between nodes ----

bool CrossWorkerHub::open_relay(const SocketAddress& address,
                                std::shared_ptr<dtls::DtlsCertificate> certificate, std::string* error) {
  if (!certificate) {
    if (error) *error = "no DTLS certificate";
    return false;
  }
  certificate_ = std::move(certificate);
  relay_socket_ = std::make_unique<net::UdpSocket>(
      loop_, [this](std::span<net::UdpSocket::Datagram> batch) { on_relay_datagrams(batch); });
  // The relay carries every track crossing to other nodes: buffers like the media sockets'.
  constexpr uint32_t kRelayBufferBytes = 4u << 20;
  if (!relay_socket_->bind(address, kRelayBufferBytes, kRelayBufferBytes, error)) {
    relay_socket_.reset();
    return false;
  }
  relay_address_ = relay_socket_->local_address();
  relay_fingerprint_ = certificate_->fingerprint_sha256();
  relay_slot_ = std::make_unique<CrossWorkerPacket>();
  consent_timer_ = new uv_timer_t;
  uv_timer_init(loop_, consent_timer_);
  consent_timer_->data = this;
  uv_timer_start(
      consent_timer_,
      [](uv_timer_t* timer) {
        if (auto* self = static_cast<CrossWorkerHub*>(timer->data)) self->send_consent();
      },
      kConsentIntervalMs, kConsentIntervalMs);
  uv_unref(reinterpret_cast<uv_handle_t*>(consent_timer_));
  handshake_timer_ = new uv_timer_t;
  uv_timer_init(loop_, handshake_timer_);
  handshake_timer_->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(handshake_timer_));
  return true;
}

void CrossWorkerHub::attach_remote(const RelayPeerParams& params) {
  if (!relay_socket_ || params.peer == index_) return;
  if (links_.size() <= params.peer) links_.resize(params.peer + 1);
  if (links_[params.peer].out) return;  // attached already (a peer index names one run of a worker)
  auto& relay = remotes_.emplace_back(
      std::make_unique<RelayPeer>(loop_, params, certificate_, *relay_socket_, relay_counters_));
  links_[params.peer].out = std::make_shared<CrossWorkerLink>(index_, params.peer, *relay, counters_);
  relay->start();  // a client's ClientHello goes out with this turn's flush
  schedule_handshakes();
}

void CrossWorkerHub::retire_remote(uint32_t peer) {
  auto it = std::find_if(remotes_.begin(), remotes_.end(),
                         [peer](const std::unique_ptr<RelayPeer>& relay) { return relay->peer() == peer; });
  if (it == remotes_.end()) return;
  (*it)->retire();
  retired_.push_back(std::move(*it));
  remotes_.erase(it);
}

const RelayPeer* CrossWorkerHub::remote(uint32_t peer) const {
  for (const auto& relay : remotes_)
    if (relay->peer() == peer) return relay.get();
  return nullptr;
}

void CrossWorkerHub::on_handshake_timer() {
  const uint64_t now_ms = uv_now(loop_);
  for (auto& relay : remotes_) {
    std::optional<uint64_t> due = relay->next_timeout_ms();
    if (due && *due <= now_ms) relay->handle_timeout(now_ms);
  }
  if (relay_socket_) relay_socket_->flush();
  schedule_handshakes();
}

void CrossWorkerHub::schedule_handshakes() {
  if (!handshake_timer_) return;
  std::optional<uint64_t> next;
  for (auto& relay : remotes_)
    if (std::optional<uint64_t> due = relay->next_timeout_ms()) next = next ? std::min(*next, *due) : *due;
  if (!next) {
    uv_timer_stop(handshake_timer_);
    return;
  }
  const uint64_t now_ms = uv_now(loop_);
  uv_timer_start(
      handshake_timer_,
      [](uv_timer_t* timer) {
        if (auto* self = static_cast<CrossWorkerHub*>(timer->data)) self->on_handshake_timer();
      },
      *next > now_ms ? *next - now_ms : 0, 0);
}

void CrossWorkerHub::send_consent() {
  for (auto& relay : remotes_) relay->send_consent();
  if (relay_socket_) relay_socket_->flush();
  schedule_handshakes();  // a link whose consent lapsed started a new handshake
}

void CrossWorkerHub::on_relay_datagrams(std::span<net::UdpSocket::Datagram> batch) {
  const uint64_t now_ms = uv_now(loop_);
  size_t taken = 0;
  bool handshake_moved = false;
  for (const net::UdpSocket::Datagram& datagram : batch) {
    RelayPeer* from = nullptr;
    for (auto& relay : remotes_)
      if (relay->address() == datagram.from) {
        from = relay.get();
        break;
      }
    if (!from) {
      bump(relay_counters_.dropped_not_member);
      continue;
    }
    if (datagram.size > 0 && datagram.data[0] == static_cast<uint8_t>(RelayFrameType::kDtls))
      handshake_moved = true;
    if (!from->receive(ByteSpan(datagram.data, datagram.size), *relay_slot_)) continue;
    // The sender's arrival time is on its machine's monotonic clock, meaningless here (another
    // boot, another origin): on this node the packet arrived now. Layer liveness (a simulcast
    // layer that stops arriving) is judged against this worker's clock.
    relay_slot_->arrival_ms = now_ms;
    CrossWorkerLink* back = to_peer(from->peer());
    if (!back) continue;
    bump(counters_.packets_in);
    tables_.dispatch(from->peer(), *relay_slot_, *back, now_ms);
    ++taken;
  }
  if (handshake_moved) schedule_handshakes();
  if (taken > 0 && after_drain_) after_drain_();
}

}  // namespace sfu
