#include "sfu/media/relay_peer.h"

#include <cstring>

#include "base/counter.h"
#include "base/logger.h"

namespace sfu {

RelayPeer::RelayPeer(uv_loop_t* loop, const RelayPeerParams& params,
                     std::shared_ptr<dtls::DtlsCertificate> certificate, net::UdpSocket& socket,
                     RelayCounters& counters)
    : loop_(loop),
      peer_(params.peer),
      address_(params.address),
      dtls_client_(params.dtls_client),
      remote_fingerprint_(params.remote_fingerprint),
      dead_after_ms_(params.dead_after_ms),
      handshake_timeout_ms_(params.handshake_timeout_ms),
      retry_ms_(params.retry_ms),
      certificate_(std::move(certificate)),
      socket_(socket),
      counters_(counters),
      sealer_(RelayKey{}),
      opener_(RelayKey{}),
      created_ms_(uv_now(loop)) {}

RelayPeer::~RelayPeer() = default;

void RelayPeer::start() {
  dtls::DtlsCallbacks callbacks;
  callbacks.send = [this](ByteSpan datagram) { send_dtls(datagram); };
  callbacks.on_connected = [this](const dtls::SrtpKeys& keys) { on_connected(keys); };
  callbacks.on_failed = [this](std::string_view reason) { on_failed(reason); };
  callbacks.on_application_data = [](ByteSpan) {};  // the relay sends none
  // Both ends are ours: the one profile whose keys fit the relay frames (AES-128-GCM, 12-byte salt).
  dtls_ = std::make_unique<dtls::DtlsTransport>(
      certificate_, dtls_client_ ? dtls::DtlsRole::Client : dtls::DtlsRole::Server, std::move(callbacks),
      std::vector<rtp::SrtpProfile>{rtp::SrtpProfile::AeadAes128Gcm});
  dtls_->set_remote_fingerprint("sha-256", remote_fingerprint_);
  dtls_->set_handshake_timeout_ms(handshake_timeout_ms_);
  dtls_->set_initial_retransmit_ms(kInitialRetransmitMs);
  failed_ = false;
  started_ms_ = uv_now(loop_);
  dtls_->start(started_ms_);
}

void RelayPeer::retire() {
  retired_ = true;
  connected_ = false;
  failed_ = false;
  dtls_.reset();  // called from a worker task, never inside the transport's callbacks
}

std::optional<uint64_t> RelayPeer::next_timeout_ms() const {
  if (connected_ || retired_) return std::nullopt;
  if (failed_) return retry_at_ms_;
  return dtls_ ? dtls_->next_timeout_ms() : std::nullopt;
}

void RelayPeer::handle_timeout(uint64_t now_ms) {
  if (connected_ || retired_) return;
  if (failed_) {
    if (now_ms >= retry_at_ms_) start();  // the failed transport is destroyed here, outside its calls
    return;
  }
  if (dtls_) dtls_->handle_timeout(now_ms);
}

void RelayPeer::send_dtls(ByteSpan datagram) {
  MutableByteSpan buffer = socket_.acquire_send();
  if (datagram.size() + 1 > buffer.size()) return;  // DtlsTransport::kMtu keeps it far smaller
  buffer[0] = static_cast<uint8_t>(RelayFrameType::kDtls);
  std::memcpy(buffer.data() + 1, datagram.data(), datagram.size());
  socket_.commit_send(datagram.size() + 1, address_);
}

void RelayPeer::on_connected(const dtls::SrtpKeys& keys) {
  RelayKey send_key, receive_key;
  if (keys.profile != rtp::SrtpProfile::AeadAes128Gcm ||
      !relay_key_from_srtp(keys.local_key_salt, send_key) ||
      !relay_key_from_srtp(keys.remote_key_salt, receive_key))
    return on_failed("unexpected SRTP profile");
  sealer_.rekey(send_key);
  opener_.rekey(receive_key);
  connected_ = true;
  failure_logged_ = false;
  // The handshake authenticated the peer: that is consent.
  last_valid_ms_ = uv_now(loop_);
  bump(counters_.handshakes_completed);
  const uint64_t now_ms = uv_now(loop_);
  log_info("cluster", "relay link keyed",
           {{"peer", address_.to_string()},
            {"role", dtls_client_ ? "client" : "server"},
            {"handshake_ms", std::to_string(now_ms - started_ms_)},
            {"since_link_ms", std::to_string(now_ms - created_ms_)}});
  send_consent();  // the peer's first authenticated frame, at once
}

void RelayPeer::on_failed(std::string_view reason) {
  if (failed_) return;
  failed_ = true;
  retry_at_ms_ = uv_now(loop_) + retry_ms_;
  bump(counters_.handshakes_failed);
  // Once per run of failures: a peer that is gone fails again every retry.
  if (!failure_logged_)
    log_warn("cluster", "relay handshake failed",
             {{"peer", address_.to_string()}, {"reason", std::string(reason)}});
  failure_logged_ = true;
}

bool RelayPeer::consent_fresh() const {
  return connected_ && uv_now(loop_) < last_valid_ms_ + dead_after_ms_;
}

bool RelayPeer::send_frame(RelayFrameType type, ByteSpan plain) {
  MutableByteSpan buffer = socket_.acquire_send();
  size_t size = sealer_.seal(type, plain, buffer);
  if (size == 0) {
    bump(counters_.dropped_too_large);
    return false;
  }
  socket_.commit_send(size, address_);
  return true;
}

bool RelayPeer::send_slot(const CrossWorkerPacket& slot) {
  if (retired_) {
    bump(counters_.dropped_no_consent);
    return false;
  }
  if (!connected_) {
    bump(counters_.dropped_handshaking);
    return false;
  }
  if (!consent_fresh()) {
    bump(counters_.dropped_no_consent);
    return false;
  }
  size_t size = encode_relay_slot(slot, plain_);
  if (size == 0 || !send_frame(RelayFrameType::kSlot, ByteSpan(plain_.data(), size))) {
    if (size == 0) bump(counters_.dropped_too_large);
    return false;
  }
  bump(counters_.packets_sent);
  bump(counters_.bytes_sent, size);
  return true;
}

void RelayPeer::send_consent() {
  if (!connected_ || retired_) return;
  if (!consent_fresh()) {
    // Nothing valid from the peer for dead_after_ms: it may have lost its end (a failed or timed-out
    // handshake there) or be gone. A new handshake recovers the first; for the second it is a few
    // datagrams per attempt, as consent frames were.
    connected_ = false;
    start();
    return;
  }
  if (send_frame(RelayFrameType::kConsent, {})) bump(counters_.consent_sent);
}

bool RelayPeer::receive(ByteSpan datagram, CrossWorkerPacket& slot) {
  if (datagram.size() > kRelayMaxFrameBytes) {
    bump(counters_.dropped_too_large);
    return false;
  }
  if (!datagram.empty() && datagram[0] == static_cast<uint8_t>(RelayFrameType::kDtls)) {
    constexpr size_t kDtlsRecordHeaderBytes = 13;
    if (datagram.size() < 1 + kDtlsRecordHeaderBytes) {
      bump(counters_.dropped_malformed);
      return false;
    }
    if (!dtls_ || failed_) {  // waiting to try again
      bump(counters_.dropped_handshaking);
      return false;
    }
    // Also after the handshake: a retransmitted last flight is answered. Never consent by itself.
    dtls_->handle_packet(datagram.subspan(1), uv_now(loop_));
    return false;
  }
  if (!connected_) {
    bump(counters_.dropped_handshaking);
    return false;
  }
  RelayFrameType type = RelayFrameType::kConsent;
  size_t size = 0;
  switch (opener_.open(datagram, plain_, type, size)) {
    case RelayOpenResult::kOk:
      break;
    case RelayOpenResult::kMalformed:
      bump(counters_.dropped_malformed);
      return false;
    case RelayOpenResult::kBadTag:
      bump(counters_.dropped_bad_tag);
      return false;
    case RelayOpenResult::kReplay:
      bump(counters_.dropped_replay);
      return false;
  }
  last_valid_ms_ = uv_now(loop_);
  if (type == RelayFrameType::kConsent) {
    bump(counters_.consent_received);
    return false;
  }
  if (!decode_relay_slot(ByteSpan(plain_.data(), size), slot)) {
    bump(counters_.dropped_malformed);
    return false;
  }
  bump(counters_.packets_received);
  bump(counters_.bytes_received, size);
  return true;
}

}  // namespace sfu
